"""Feedback quality: automatic indicators of written feedback, and the before/after
comparison of coaches' rubric ratings. Pure functions: no models, no queries.

The indicators are signals for a coach, not a judgement; the rubric ratings are the
judgement. They are shown side by side and labelled as such.
"""

from __future__ import annotations

import datetime
import re
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from clusterwise.skills.growth import SignedRankTest, signed_rank_test

# Words are split at spaces and punctuation (including the danda), not with \w: Python's
# \w stops at Devanagari vowel signs, which would cut Hindi and Marathi words apart.
_SPLIT = re.compile(r"[\s.,;:!?\"'()\[\]{}<>/\\|।॥–—-]+")
_ENGLISH_STOP = """
    about after again also because been before being between both could does doing during
    each from have having here into just more most once only other over same should some
    such than that their them then there these they this those through under until very
    what when where which while will with would your yours children child students student
    teacher class lesson today
"""
_HINDI_MARATHI_STOP = """
    और में की के का को से है हैं था थे पर भी यह वह लिए कर किया करें करना एक
    आणि मध्ये ची चे चा ला ने आहे आहेत होते वर पण हे ते साठी केले करा करणे
"""
_STOP = frozenset(_ENGLISH_STOP.split()) | frozenset(_HINDI_MARATHI_STOP.split())
# A time in a next step: a number (a date, "in 2 weeks"), or a word for a day or a period.
_TIME = re.compile(
    r"\d|\b(today|tomorrow|tonight|monday|tuesday|wednesday|thursday|friday|saturday|sunday|"
    r"week|weeks|month|daily|every day|next|by the|before|until)\b"
    r"|आज|कल|सोमवार|मंगलवार|बुधवार|गुरुवार|शुक्रवार|शनिवार|रविवार|सप्ताह|हफ्ते|महीने|प्रतिदिन|रोज"
    r"|उद्या|सोमवारी|मंगळवारी|बुधवारी|गुरुवारी|शुक्रवारी|शनिवारी|आठवड्या|महिन्या|दररोज|पर्यंत|तक",
    re.IGNORECASE,
)
MIN_SHARED_WORDS = 2  # an evidence note counts as cited when the feedback reuses 2 of its words
TARGET_WORDS = (40, 250)  # long enough to be specific, short enough to be read


def content_words(text: str) -> set[str]:
    """The words of a text that carry meaning: 4+ letters, not a frequent function word."""
    return {
        word
        for word in (part.casefold() for part in _SPLIT.split(text or ""))
        if len(word) >= 4 and word not in _STOP and not word.isdigit()
    }


@dataclass(frozen=True)
class Indicators:
    words: int
    next_steps: int
    evidence_notes: int
    evidence_cited: int
    steps_with_time: int
    actions: int
    actions_dated: int

    @property
    def length_ok(self) -> bool:
        return TARGET_WORDS[0] <= self.words <= TARGET_WORDS[1]

    @property
    def focused(self) -> bool:
        return 1 <= self.next_steps <= 2

    @property
    def cites_evidence(self) -> bool:
        return self.evidence_cited > 0

    @property
    def concrete(self) -> bool:
        """Every next step names a time, or every agreed action has a date."""
        timed_steps = self.next_steps > 0 and self.steps_with_time == self.next_steps
        dated_actions = self.actions > 0 and self.actions_dated == self.actions
        return timed_steps or dated_actions


def indicators(
    *,
    strengths: str,
    next_steps: Sequence[str],
    actions: Sequence[tuple[str, datetime.date | None]],
    evidence: Iterable[str],
    visit_on: datetime.date,
    horizon_days: int = 42,
) -> Indicators:
    """Count what can be counted in a piece of feedback (see the module docstring)."""
    steps = [step for step in next_steps if step.strip()]
    written = " ".join([strengths, *steps, *(text for text, _ in actions)])
    feedback_words = content_words(written)
    notes = [note for note in evidence if content_words(note)]
    cited = sum(
        1 for note in notes if len(content_words(note) & feedback_words) >= MIN_SHARED_WORDS
    )
    dated = sum(
        1
        for _, due in actions
        if due is not None and visit_on <= due <= visit_on + datetime.timedelta(days=horizon_days)
    )
    return Indicators(
        words=len([w for w in _SPLIT.split(" ".join([strengths, *steps])) if w]),
        next_steps=len(steps),
        evidence_notes=len(notes),
        evidence_cited=cited,
        steps_with_time=sum(1 for step in steps if _TIME.search(step)),
        actions=len(actions),
        actions_dated=dated,
    )


# --- before and after -------------------------------------------------------------------


@dataclass
class WriterChange:
    writer: Any
    before: list[int] = field(default_factory=list)
    after: list[int] = field(default_factory=list)

    @property
    def mean_before(self) -> float | None:
        return statistics.fmean(self.before) if self.before else None

    @property
    def mean_after(self) -> float | None:
        return statistics.fmean(self.after) if self.after else None

    @property
    def change(self) -> float | None:
        if self.mean_before is None or self.mean_after is None:
            return None
        return self.mean_after - self.mean_before


@dataclass
class QualityComparison:
    split_on: datetime.date
    writers: list[WriterChange]
    test: SignedRankTest

    @property
    def paired(self) -> list[WriterChange]:
        return [w for w in self.writers if w.change is not None]

    @property
    def improved(self) -> int:
        return sum(1 for w in self.paired if (w.change or 0) > 0)

    @property
    def share_improved(self) -> float | None:
        return self.improved / len(self.paired) if self.paired else None

    @property
    def mean_change(self) -> float | None:
        changes = [w.change for w in self.paired if w.change is not None]
        return statistics.fmean(changes) if changes else None

    @property
    def unpaired(self) -> int:
        return len(self.writers) - len(self.paired)


def compare_before_after(
    reviews: Iterable[tuple[Any, datetime.date, int]], split_on: datetime.date
) -> QualityComparison:
    """Per writer, the mean rubric total of feedback written before `split_on` and from it on;
    over writers with both, the share who improved and a Wilcoxon signed-rank test."""
    by_writer: dict[Any, WriterChange] = {}
    for writer, written_on, total in reviews:
        change = by_writer.setdefault(writer, WriterChange(writer))
        (change.before if written_on < split_on else change.after).append(total)
    writers = list(by_writer.values())
    changes = [w.change for w in writers if w.change is not None]
    return QualityComparison(split_on, writers, signed_rank_test(changes))
