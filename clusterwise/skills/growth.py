"""Growth between two assessment rounds: who moved up, by how much, and whether it is
more than chance (Wilcoxon signed-rank test). Pure functions: no models, no queries.

Definitions (also shown on the report page and in docs/guide.md):
- A skill moves up when its level in the later round is higher than in the earlier one.
- A CRC's level on a theme, or overall, is the mean of their skill levels rounded to the
  nearest whole level (halves round up: a mean of 2.5 is level 3). They moved up on it
  when that level is higher in the later round.
- A CRC is compared only when both rounds rate every skill in question; the others are
  excluded, and the report counts them.
- The test is the Wilcoxon signed-rank test on the paired changes, zero changes dropped
  (Wilcoxon's method), two-sided; exact p for up to 50 changes without ties, otherwise the
  normal approximation with the tie correction. The effect size is the matched-pairs
  rank-biserial correlation r = (W+ − W−) / (W+ + W−), from −1 (all fell) to 1 (all rose).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from scipy import stats

K = TypeVar("K")  # who is measured (a CRC)
S = TypeVar("S")  # what is measured (a skill)

LEVELS = (1, 2, 3, 4)


@dataclass(frozen=True)
class SignedRankTest:
    changes: int  # non-zero changes the test used
    w_plus: float
    w_minus: float
    p_value: float | None
    effect_size: float | None  # matched-pairs rank-biserial correlation

    @property
    def statistic(self) -> float:
        """The two-sided statistic as usually reported: the smaller rank sum."""
        return min(self.w_plus, self.w_minus)


@dataclass(frozen=True)
class Growth:
    compared: int  # CRCs with both rounds complete
    excluded: int  # CRCs missing a round or a rating
    moved_up: int
    moved_down: int
    mean_change: float | None
    test: SignedRankTest
    before: dict[int, int] = field(default_factory=dict)  # level → how many
    after: dict[int, int] = field(default_factory=dict)

    @property
    def share_moved_up(self) -> float | None:
        return self.moved_up / self.compared if self.compared else None

    @property
    def stayed(self) -> int:
        return self.compared - self.moved_up - self.moved_down


def whole_level(mean: float) -> int:
    """A mean of levels as a whole level, halves rounded up (2.5 → 3)."""
    # Means of whole levels are fractions k/n; the small epsilon keeps 2.5 (or 2.4999…
    # from float division) on the upper side, as the definition says.
    return math.floor(mean + 0.5 + 1e-9)


def signed_rank_test(changes: Iterable[float]) -> SignedRankTest:
    """Wilcoxon signed-rank test of paired changes (see the module docstring)."""
    nonzero = [c for c in changes if c != 0]
    if not nonzero:
        return SignedRankTest(0, 0.0, 0.0, None, None)
    ranks = stats.rankdata([abs(c) for c in nonzero])  # ties share their mean rank
    w_plus = float(sum(r for r, c in zip(ranks, nonzero, strict=True) if c > 0))
    w_minus = float(sum(r for r, c in zip(ranks, nonzero, strict=True) if c < 0))
    ties = len(set(ranks)) < len(ranks)
    method = "exact" if len(nonzero) <= 50 and not ties else "approx"
    result = stats.wilcoxon(nonzero, zero_method="wilcox", correction=False, method=method)
    p_value = float(result.pvalue)
    return SignedRankTest(
        changes=len(nonzero),
        w_plus=w_plus,
        w_minus=w_minus,
        p_value=None if math.isnan(p_value) else min(p_value, 1.0),
        effect_size=(w_plus - w_minus) / (w_plus + w_minus),
    )


def growth_of_levels(
    pairs: Sequence[tuple[float, float]], *, excluded: int, whole: bool = False
) -> Growth:
    """Growth over (before, after) pairs of levels or of mean levels (`whole=True`)."""

    def level(value: float) -> int:
        return whole_level(value) if whole else int(value)

    changes = [after - before for before, after in pairs]
    before_levels = [level(b) for b, _ in pairs]
    after_levels = [level(a) for _, a in pairs]
    moved = [a - b for b, a in zip(before_levels, after_levels, strict=True)]
    return Growth(
        compared=len(pairs),
        excluded=excluded,
        moved_up=sum(1 for m in moved if m > 0),
        moved_down=sum(1 for m in moved if m < 0),
        mean_change=sum(changes) / len(changes) if changes else None,
        test=signed_rank_test(changes),
        before={lv: before_levels.count(lv) for lv in LEVELS},
        after={lv: after_levels.count(lv) for lv in LEVELS},
    )


@dataclass(frozen=True)
class GrowthReport(Generic[S]):
    overall: Growth
    themes: dict[str, Growth]
    skills: dict[S, Growth]
    # Every rating of the compared CRCs, level → how many, for the before/after chart.
    ratings_before: dict[int, int]
    ratings_after: dict[int, int]


def growth_report(
    before: Mapping[K, Mapping[S, int]],
    after: Mapping[K, Mapping[S, int]],
    *,
    skills: Sequence[S],
    themes: Mapping[str, Sequence[S]],
    members: Iterable[K] | None = None,
) -> GrowthReport[S]:
    """Growth of every CRC in `members` (default: anyone rated in either round)."""
    people = list(members) if members is not None else list(dict.fromkeys([*before, *after]))

    empty: dict[S, int] = {}
    rows = [(before.get(p, empty), after.get(p, empty)) for p in people]

    def mean_pairs(scope: Sequence[S]) -> tuple[list[tuple[float, float]], int]:
        pairs: list[tuple[float, float]] = []
        n = len(scope)
        for b, a in rows:
            try:  # a missing rating in either round excludes the CRC
                pairs.append((sum([b[s] for s in scope]) / n, sum([a[s] for s in scope]) / n))
            except KeyError:
                continue
        return pairs, len(rows) - len(pairs)

    overall_pairs, overall_excluded = mean_pairs(skills)
    ratings_before = dict.fromkeys(LEVELS, 0)
    ratings_after = dict.fromkeys(LEVELS, 0)
    for b, a in rows:
        if all(s in b and s in a for s in skills):
            for s in skills:
                ratings_before[b[s]] += 1
                ratings_after[a[s]] += 1
    return GrowthReport(
        overall=growth_of_levels(overall_pairs, excluded=overall_excluded, whole=True),
        themes={
            theme: _growth(mean_pairs(theme_skills), whole=True)
            for theme, theme_skills in themes.items()
            if theme_skills
        },
        skills={skill: _growth(mean_pairs([skill]), whole=False) for skill in skills},
        ratings_before=ratings_before,
        ratings_after=ratings_after,
    )


def _growth(result: tuple[list[tuple[float, float]], int], *, whole: bool) -> Growth:
    pairs, excluded = result
    return growth_of_levels(pairs, excluded=excluded, whole=whole)
