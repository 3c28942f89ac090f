"""The growth statistics (skills/growth.py) against examples worked out by hand."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clusterwise.skills.growth import growth_of_levels, growth_report, signed_rank_test, whole_level

# --- the Wilcoxon signed-rank test ----------------------------------------------------------


def test_five_rises_of_different_sizes_give_the_exact_p_of_one_in_sixteen() -> None:
    # Ranks 1..5 all positive: W+ = 15, W− = 0. Of the 2^5 = 32 equally likely sign
    # patterns only this one has W− = 0, so the two-sided p is 2 × 1/32 = 0.0625.
    test = signed_rank_test([1, 2, 3, 4, 5])
    assert test.changes == 5
    assert test.w_plus == 15
    assert test.w_minus == 0
    assert test.statistic == 0
    assert test.p_value == pytest.approx(0.0625)
    assert test.effect_size == 1


def test_one_fall_among_five_changes_gives_the_exact_p_by_counting_sign_patterns() -> None:
    # |changes| 1..5 rank 1..5; the fall (−2) has rank 2: W+ = 1+3+4+5 = 13, W− = 2.
    # Patterns with W− ≤ 2: {}, {1}, {2} → 3 of 32; two-sided p = 2 × 3/32 = 0.1875.
    test = signed_rank_test([1, -2, 3, 4, 5])
    assert (test.w_plus, test.w_minus) == (13, 2)
    assert test.p_value == pytest.approx(0.1875)
    assert test.effect_size == pytest.approx((13 - 2) / 15)


def test_ties_and_zeros_use_the_normal_approximation_with_the_tie_correction() -> None:
    changes = [0, 0, 1, 1, 1, -1, 2, 2, 3]
    # Zeros are dropped: n = 7, |changes| 1,1,1,1,2,2,3. The four 1s share ranks 1–4
    # (2.5 each), the two 2s share ranks 5–6 (5.5 each), the 3 has rank 7.
    w_plus = 3 * 2.5 + 2 * 5.5 + 7
    w_minus = 2.5
    n = 7
    mean = n * (n + 1) / 4
    ties = [4, 2]  # sizes of the groups of tied ranks
    variance = n * (n + 1) * (2 * n + 1) / 24 - sum(t**3 - t for t in ties) / 48
    z = (w_plus - mean) / math.sqrt(variance)
    p = math.erfc(abs(z) / math.sqrt(2))  # two-sided, no continuity correction

    test = signed_rank_test(changes)
    assert test.changes == 7
    assert (test.w_plus, test.w_minus) == (w_plus, w_minus) == (25.5, 2.5)
    assert variance == pytest.approx(33.625)
    assert test.p_value == pytest.approx(p, rel=1e-9)
    assert test.p_value == pytest.approx(0.04735, abs=1e-5)
    assert test.effect_size == pytest.approx((25.5 - 2.5) / 28)


def test_no_change_at_all_gives_no_p_value_and_no_effect_size() -> None:
    test = signed_rank_test([0, 0, 0])
    assert test.changes == 0
    assert test.p_value is None
    assert test.effect_size is None


# --- whole levels ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("mean", "level"),
    [(2.5, 3), (1.5, 2), (3.5, 4), (2.49, 2), (2.75, 3), (1.0, 1), (7 / 3, 2), (8 / 3, 3)],
)
def test_a_mean_level_rounds_to_the_nearest_level_with_halves_up(mean: float, level: int) -> None:
    assert whole_level(mean) == level


def test_mean_levels_that_round_to_the_same_level_count_as_stayed() -> None:
    # (1.5 → 2.0): both are level 2; (2.0 → 2.5): level 2 → 3 moved up.
    growth = growth_of_levels([(1.5, 2.0), (2.0, 2.5)], excluded=0, whole=True)
    assert (growth.moved_up, growth.stayed, growth.moved_down) == (1, 1, 0)
    assert growth.mean_change == pytest.approx(0.5)
    assert growth.before == {1: 0, 2: 2, 3: 0, 4: 0}
    assert growth.after == {1: 0, 2: 1, 3: 1, 4: 0}


# --- the report -------------------------------------------------------------------------------

BEFORE = {
    "a": {"s1": 1, "s2": 2},
    "b": {"s1": 2, "s2": 2},
    "c": {"s1": 1},  # no rating of s2 in the earlier round
    "d": {"s1": 3, "s2": 3},  # not assessed in the later round
}
AFTER = {
    "a": {"s1": 2, "s2": 3},
    "b": {"s1": 2, "s2": 1},
    "c": {"s1": 3, "s2": 3},
}
MEMBERS = ["a", "b", "c", "d", "e"]  # e was never assessed


def report():
    return growth_report(
        BEFORE,
        AFTER,
        skills=["s1", "s2"],
        themes={"data": ["s1"], "feedback": ["s2"]},
        members=MEMBERS,
    )


def test_overall_growth_compares_only_crcs_with_every_rating_and_counts_the_others() -> None:
    overall = report().overall
    # a: mean 1.5 (level 2) → 2.5 (level 3), moved up, change +1.0
    # b: mean 2.0 (level 2) → 1.5 (level 2), stayed, change −0.5
    # c (missing s2 before), d (no later round), e (nothing): excluded.
    assert overall.compared == 2
    assert overall.excluded == 3
    assert (overall.moved_up, overall.stayed, overall.moved_down) == (1, 1, 0)
    assert overall.share_moved_up == 0.5
    assert overall.mean_change == pytest.approx((1.0 - 0.5) / 2)
    # Changes +1.0 and −0.5: ranks 2 and 1.
    assert (overall.test.w_plus, overall.test.w_minus) == (2, 1)
    assert overall.test.effect_size == pytest.approx(1 / 3)
    assert overall.before == {1: 0, 2: 2, 3: 0, 4: 0}
    assert overall.after == {1: 0, 2: 1, 3: 1, 4: 0}


def test_each_skill_compares_every_crc_rated_on_it_in_both_rounds() -> None:
    result = report()
    s1 = result.skills["s1"]
    # a 1→2, b 2→2, c 1→3; d and e excluded.
    assert (s1.compared, s1.excluded) == (3, 2)
    assert (s1.moved_up, s1.stayed, s1.moved_down) == (2, 1, 0)
    assert s1.mean_change == pytest.approx(1.0)
    # Non-zero changes +1, +2: ranks 1 and 2, exact p = 2 × 1/4.
    assert (s1.test.w_plus, s1.test.w_minus, s1.test.p_value) == (3, 0, pytest.approx(0.5))
    s2 = result.skills["s2"]
    # a 2→3, b 2→1; c, d, e excluded. One rise and one fall of the same size.
    assert (s2.compared, s2.excluded) == (2, 3)
    assert (s2.moved_up, s2.moved_down) == (1, 1)
    assert s2.mean_change == 0
    assert (s2.test.w_plus, s2.test.w_minus) == (1.5, 1.5)
    assert s2.test.effect_size == 0
    assert s2.test.p_value == pytest.approx(1.0)


def test_themes_are_reported_by_their_own_skills() -> None:
    result = report()
    assert result.themes["data"].compared == result.skills["s1"].compared
    assert result.themes["feedback"].moved_up == 1


def test_the_chart_counts_every_rating_of_the_crcs_compared() -> None:
    result = report()
    # a and b only: before 1,2 and 2,2; after 2,3 and 2,1.
    assert result.ratings_before == {1: 1, 2: 3, 3: 0, 4: 0}
    assert result.ratings_after == {1: 1, 2: 2, 3: 1, 4: 0}


def test_nobody_compared_gives_no_share_and_no_mean() -> None:
    growth = growth_report({"a": {"s": 1}}, {}, skills=["s"], themes={}).overall
    assert (growth.compared, growth.excluded) == (0, 1)
    assert growth.share_moved_up is None
    assert growth.mean_change is None


# --- properties -----------------------------------------------------------------------------

SKILLS = ["s1", "s2", "s3"]
rating = st.one_of(st.none(), st.integers(min_value=1, max_value=4))
person = st.fixed_dictionaries(dict.fromkeys(SKILLS, rating))
cohort = st.lists(st.tuples(person, person), min_size=0, max_size=25)


def as_rounds(people):
    before = {i: {s: lv for s, lv in b.items() if lv} for i, (b, _a) in enumerate(people)}
    after = {i: {s: lv for s, lv in a.items() if lv} for i, (_b, a) in enumerate(people)}
    return before, after


@given(cohort)
def test_the_share_who_moved_up_is_a_share_and_everyone_is_counted_once(people) -> None:
    before, after = as_rounds(people)
    result = growth_report(
        before, after, skills=SKILLS, themes={"t": SKILLS[:2]}, members=range(len(people))
    )
    for growth in [result.overall, *result.themes.values(), *result.skills.values()]:
        assert growth.compared + growth.excluded == len(people)
        assert growth.moved_up + growth.stayed + growth.moved_down == growth.compared
        if growth.share_moved_up is not None:
            assert 0 <= growth.share_moved_up <= 1
        if growth.test.p_value is not None:
            assert 0 <= growth.test.p_value <= 1


@given(cohort)
def test_swapping_the_rounds_mirrors_the_result(people) -> None:
    before, after = as_rounds(people)
    forward = growth_report(before, after, skills=SKILLS, themes={}, members=range(len(people)))
    backward = growth_report(after, before, skills=SKILLS, themes={}, members=range(len(people)))
    for there, back in [
        (forward.overall, backward.overall),
        *((forward.skills[s], backward.skills[s]) for s in SKILLS),
    ]:
        assert (there.moved_up, there.moved_down) == (back.moved_down, back.moved_up)
        assert (there.test.w_plus, there.test.w_minus) == (back.test.w_minus, back.test.w_plus)
        if there.test.effect_size is None:
            assert back.test.effect_size is None
        else:
            assert there.test.effect_size == pytest.approx(-back.test.effect_size)
            assert there.test.p_value == pytest.approx(back.test.p_value)
        if there.mean_change is not None:
            assert there.mean_change == pytest.approx(-back.mean_change)
