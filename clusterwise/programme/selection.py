"""Where a cohort starts: "the lowest-performing block of each district".

The ranking comes from learning data (the learning app, a later issue). It plugs in
through the setting BLOCK_RANKING: the dotted path of a function that takes a district
and returns its blocks, lowest-performing first (empty when it has no data). Until one is
set, the choice is shown but not offered.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from django.conf import settings
from django.utils.module_loading import import_string

from clusterwise.org.models import OrgUnit

BlockRanking = Callable[[OrgUnit], list[OrgUnit]]


def block_ranking() -> BlockRanking | None:
    path = getattr(settings, "BLOCK_RANKING", None)
    return import_string(path) if path else None


def ranking_available() -> bool:
    return block_ranking() is not None


def lowest_blocks(districts: Iterable[OrgUnit]) -> list[OrgUnit]:
    """The lowest-ranked block of each district that has a ranking."""
    ranking = block_ranking()
    if ranking is None:
        return []
    lowest = []
    for district in districts:
        ranked = ranking(district)
        if ranked:
            lowest.append(ranked[0])
    return lowest
