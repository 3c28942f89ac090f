"""Ranking a district's blocks on a round, to pick the lowest-performing one.

The metric is a block's figure over all the round's grades for one subject: the share of
results at or above the proficiency score ("proficient"), or the mean score as a share of
the maximum ("mean"), averaged over the subject's competencies with each competency
weighted by its number of results. Only percentages are published, and a block with fewer
than SMALL_CELL students is not ranked ("too few results").
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.conf import settings
from django.db.models import Sum

from clusterwise.core.scope import prefix_q
from clusterwise.org.models import OrgUnit

from .models import Competency, ResultCell, Round

if TYPE_CHECKING:
    from clusterwise.org.models import User

METRICS = ("proficient", "mean")


@dataclass
class Ranked:
    block: OrgUnit
    value: float | None  # None: too few results to rank
    students: int
    lowest: bool = False


def rank_blocks(
    round_: Round, district: OrgUnit, *, subject: str, metric: str = "proficient"
) -> list[Ranked]:
    """The district's blocks with results in the round, lowest first (unranked last)."""
    if metric not in METRICS:
        raise ValueError(f"metric must be one of {METRICS}")
    competencies = {c.pk: c for c in Competency.objects.filter(round=round_, subject=subject)}
    rows = (
        ResultCell.objects.filter(
            prefix_q("org_path", district.path),
            round=round_,
            depth=district.depth + 1,
            competency__in=list(competencies),
        )
        .values("org_unit_id", "competency_id")
        .annotate(n=Sum("students"), total=Sum("total"), below=Sum("below"))
        .order_by()
    )
    good: dict[object, float] = {}
    results: dict[object, int] = {}
    students: dict[object, int] = {}  # the most children assessed in one competency
    for row in rows:
        comp = competencies[row["competency_id"]]
        block, n = row["org_unit_id"], int(row["n"] or 0)
        if metric == "proficient":
            good[block] = good.get(block, 0.0) + n - (row["below"] or 0)
        else:
            good[block] = good.get(block, 0.0) + (row["total"] or 0) / comp.max_score
        results[block] = results.get(block, 0) + n
        students[block] = max(students.get(block, 0), n)
    blocks = OrgUnit.objects.in_bulk(list(results))
    ranked = [
        Ranked(
            blocks[pk],
            round(100 * good[pk] / results[pk], 1)
            if results[pk] and students[pk] >= settings.SMALL_CELL
            else None,
            students[pk],
        )
        for pk in results
        if pk in blocks
    ]
    ranked.sort(key=lambda r: (r.value is None, r.value or 0.0, r.block.name))
    if ranked and ranked[0].value is not None:
        ranked[0].lowest = True
    return ranked


def default_round(district: OrgUnit, user: User | None = None) -> Round | None:
    """The latest round covering the district that has results."""
    rounds = Round.objects.filter(
        org_path__in=[
            district.path[:n]
            for n in range(OrgUnit.steplen, len(district.path) + 1, OrgUnit.steplen)
        ]
    ).order_by("-starts_on")
    for round_ in rounds:
        if ResultCell.objects.filter(round=round_, org_path=district.path).exists():
            return round_
    return None


def default_subject(round_: Round) -> str:
    subjects = sorted(set(round_.competencies.values_list("subject", flat=True)))
    return "language" if "language" in subjects else (subjects[0] if subjects else "")


def blocks_lowest_first(district: OrgUnit) -> list[OrgUnit]:
    """The programme's hook (settings.BLOCK_RANKING): the district's ranked blocks, lowest
    first, on the latest round's language results (empty without data)."""
    round_ = default_round(district)
    if round_ is None:
        return []
    ranked = rank_blocks(round_, district, subject=default_subject(round_))
    return [r.block for r in ranked if r.value is not None]
