"""The reads behind the exports: every CRC's levels in two rounds, and one CRC's profile.

Callers pass CRCs and members they fetched through the programme's scoped selectors
(crcs_for, member_get), so nothing here widens what the user sees."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import connection
from django.db.models import CharField, QuerySet
from django.db.models.functions import Cast
from django.utils import timezone

from clusterwise.org.models import OrgUnit
from clusterwise.programme import selectors as programme_selectors
from clusterwise.skills import selectors as skill_selectors
from clusterwise.skills.models import Assessment, Rating, Round

if TYPE_CHECKING:
    from clusterwise.programme.models import Cohort, CohortMember, VisitAction
    from clusterwise.skills.models import Theme

# What programme.selectors.progress_of counts for each CRC, as the profile shows it.
PROGRESS_FIGURES = ("attended", "sessions_marked", "submitted", "accepted", "visits_done")
# OrgUnit depths of a CRC's district, block and cluster (state = 1).
DISTRICT, BLOCK, CLUSTER = 2, 3, 4


@dataclass
class CrcLevels:
    name: str
    district: str
    block: str
    cluster: str
    before: dict[int, int]  # skill id → level (coach's assessment)
    after: dict[int, int]


def crc_levels(
    crcs: QuerySet[CohortMember], cohort: Cohort, *, before: str, after: str
) -> Iterator[CrcLevels]:
    """Each CRC's coach-assessed levels in two rounds, ordered by place then name.

    Three queries whatever the number of CRCs. Member ids stay text: they are only keys
    here, and 5,000 × 24 UUID objects would cost more than the query (docs/performance.md).
    """
    levels: dict[str, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    ratings = (
        Rating.objects.filter(cohort=cohort, kind=Assessment.Kind.COACH, round__in=[before, after])
        .filter(member__in=crcs.order_by().values("pk"))
        .order_by()
        .annotate(key=Cast("member_id", CharField()))
        .values_list("key", "round", "skill_id", "level")
    )
    people = (
        crcs.order_by("org_path", "person__name", "pk")
        .annotate(key=Cast("pk", CharField()))
        .values_list("key", "person__name", "org_path")
    )
    with connection.cursor() as cursor:
        cursor.execute(*ratings.query.sql_with_params())
        for key, round_, skill_id, level in cursor.fetchall():
            levels[key][round_][skill_id] = level
        cursor.execute(*people.query.sql_with_params())
        rows = cursor.fetchall()
    step = OrgUnit.steplen
    wanted = {path[: depth * step] for _key, _name, path in rows for depth in (DISTRICT, BLOCK)}
    wanted |= {path[: CLUSTER * step] for _key, _name, path in rows}
    names = dict(OrgUnit.objects.filter(path__in=wanted).values_list("path", "name"))
    for key, name, path in rows:
        yield CrcLevels(
            name=name,
            district=names.get(path[: DISTRICT * step], ""),
            block=names.get(path[: BLOCK * step], ""),
            cluster=names.get(path[: CLUSTER * step], ""),
            before=levels[key][before],
            after=levels[key][after],
        )


@dataclass
class Profile:
    """What a CRC's one-page profile shows."""

    member: CohortMember
    places: list[OrgUnit]  # cluster, block, district: nearest first
    themes: list[Theme]
    rounds: list[tuple[str, str]]  # rounds with a rating (value, label)
    levels: dict[str, dict[str, dict[int, Rating]]]  # round → kind → skill id → rating
    attended: int
    sessions_marked: int
    submitted: int
    accepted: int
    assignments_due: int
    visits_done: int
    visits_planned: int
    open_actions: list[VisitAction] = field(default_factory=list)
    today: datetime.date = field(default_factory=timezone.localdate)

    @property
    def attendance_rate(self) -> int | None:
        """Per cent of the marked workshop sessions attended (present or late)."""
        if not self.sessions_marked:
            return None
        return round(100 * self.attended / self.sessions_marked)


def profile_of(member: CohortMember) -> Profile:
    """One CRC's profile (callers fetched `member` through scope: member_get)."""
    from clusterwise.programme.models import CohortMember as Member

    cohort = member.cohort
    today = timezone.localdate()
    progress = programme_selectors.progress_of(Member.objects.filter(pk=member.pk), cohort).get()
    figures = {name: getattr(progress, name) for name in PROGRESS_FIGURES}
    step = OrgUnit.steplen
    path = member.org_path
    places = list(
        OrgUnit.objects.filter(
            path__in=[path[: depth * step] for depth in range(DISTRICT, len(path) // step + 1)]
        ).order_by("-depth")
    )
    levels = skill_selectors.levels_of(member)
    return Profile(
        member=member,
        places=places,
        themes=skill_selectors.themes_with_skills(cohort.framework),
        rounds=[(r, str(Round(r).label)) for r in Round.values if r in levels],
        levels=levels,
        assignments_due=cohort.field_assignments.filter(due_on__lte=today).count(),
        visits_planned=cohort.visits_planned,
        open_actions=list(programme_selectors.open_actions(member)),
        today=today,
        **figures,
    )
