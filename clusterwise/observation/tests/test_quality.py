"""Feedback-quality indicators and the before/after comparison, on hand-made examples."""

from __future__ import annotations

import datetime

from hypothesis import given
from hypothesis import strategies as st

from clusterwise.observation.quality import compare_before_after, content_words, indicators

VISIT = datetime.date(2026, 11, 10)


def test_devanagari_words_stay_whole():
    words = content_words("विद्यार्थ्यांनी गटात काम केले। आणि")
    assert "विद्यार्थ्यांनी" in words  # not cut at its vowel signs
    assert "आणि" not in words  # a function word


def test_feedback_that_reuses_the_evidence_cites_it():
    result = indicators(
        strengths="Pairs counted bundles of ten sticks and explained their count aloud.",
        next_steps=["By Friday, ask the six children at the back to show bundles first."],
        actions=[("Seat the back row in pairs", VISIT + datetime.timedelta(days=7))],
        evidence=[
            "Pairs counted bundles of sticks",
            "Six at the back waited to show their bundles",
        ],
        visit_on=VISIT,
    )
    assert result.next_steps == 1 and result.focused
    assert result.evidence_notes == 2 and result.evidence_cited == 2 and result.cites_evidence
    assert result.steps_with_time == 1 and result.concrete
    assert result.actions_dated == 1


def test_generic_praise_cites_nothing_and_names_no_time():
    result = indicators(
        strengths="Good lesson. Keep it up.",
        next_steps=["Improve classroom management.", "Use more activities.", "Be better."],
        actions=[],
        evidence=["Group work on fractions with paper strips"],
        visit_on=VISIT,
    )
    assert not result.cites_evidence
    assert not result.focused  # three next steps
    assert not result.concrete
    assert not result.length_ok


def test_marathi_time_words_count_as_a_time():
    result = indicators(
        strengths="",
        next_steps=["पुढील आठवड्यात प्रत्येक गटाला प्रश्न विचारा"],
        actions=[],
        evidence=[],
        visit_on=VISIT,
    )
    assert result.steps_with_time == 1


def test_an_action_due_long_after_the_visit_is_not_counted_as_dated():
    result = indicators(
        strengths="x",
        next_steps=["y"],
        actions=[("z", VISIT + datetime.timedelta(days=200)), ("w", None)],
        evidence=[],
        visit_on=VISIT,
    )
    assert result.actions == 2 and result.actions_dated == 0


def test_before_and_after_pairs_writers_with_reviews_on_both_sides():
    split = datetime.date(2026, 9, 1)
    before, after = datetime.date(2026, 8, 1), datetime.date(2026, 10, 1)
    reviews = [
        ("a", before, 10),
        ("a", before, 12),
        ("a", after, 15),  # a: 11 → 15
        ("b", before, 14),
        ("b", after, 12),  # b: 14 → 12
        ("c", after, 18),  # c: after only
        ("d", before, 9),
        ("d", after, 16),  # d: 9 → 16
    ]
    result = compare_before_after(reviews, split)
    assert len(result.paired) == 3 and result.unpaired == 1
    assert result.improved == 2
    assert result.share_improved == 2 / 3
    assert result.mean_change == (4 - 2 + 7) / 3
    assert result.test.changes == 3
    assert result.test.w_plus == 5.0 and result.test.w_minus == 1.0


@given(
    st.lists(
        st.tuples(
            st.sampled_from("abcdef"),
            st.dates(datetime.date(2026, 1, 1), datetime.date(2026, 12, 31)),
            st.integers(5, 20),
        ),
        max_size=40,
    )
)
def test_the_share_improved_is_a_proportion_of_the_paired_writers(reviews):
    result = compare_before_after(reviews, datetime.date(2026, 7, 1))
    assert result.improved <= len(result.paired) <= len(result.writers)
    if result.share_improved is not None:
        assert 0 <= result.share_improved <= 1
