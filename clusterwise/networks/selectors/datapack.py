"""A meeting's data pack: the member schools side by side, so leaders compare practice and
performance. Learning results come from the analytics cells (small cells hidden, as in every
aggregate), attendance and dropout from the schools' own monthly figures, visits from the
classroom observations, commitments from the network's plans."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db.models import Count, Q, Sum
from django.utils import timezone

from clusterwise.learning.models import Competency, ResultCell, Round
from clusterwise.learning.selectors import rounds_for
from clusterwise.observation.models import Observation
from clusterwise.org.models import OrgUnit, User

from ..models import Action, Meeting, SchoolFigures
from .networks import schools_of
from .practices import practices_matching

VISITS_OVER_DAYS = 90  # classroom visits counted over this many days before the meeting
PRACTICES_SHOWN = 5
# The topics of each kind of meeting, as practices are tagged; the agenda's own words count
# too (a custom item "Reading corners" finds practices tagged "reading").
TEMPLATE_TOPICS = {
    Meeting.Template.SCHOOL_IMPROVEMENT: ("leadership", "teaching", "reading", "data use"),
    Meeting.Template.DATA_REVIEW: ("data use", "assessment", "remedial", "attendance"),
    Meeting.Template.CRISIS: ("wellbeing", "attendance", "parents", "inclusion", "community"),
    Meeting.Template.PEER_REVIEW: ("peer review", "leadership", "peer learning"),
    Meeting.Template.CUSTOM: (),
}


@dataclass
class SchoolColumn:
    school: OrgUnit
    learning: dict[str, float | None] = field(default_factory=dict)  # subject → % or hidden
    figures: SchoolFigures | None = None
    visits: int = 0
    open_actions: int = 0
    overdue: int = 0


@dataclass
class DataPack:
    meeting: Meeting
    round: Round | None
    subjects: list[str]
    columns: list[SchoolColumn]
    small_cell: int
    practices: list[Any] = field(default_factory=list)


def agenda_topics(meeting: Meeting) -> list[str]:
    """What the meeting is about, as tags: its template's topics and its agenda's words."""
    topics = list(TEMPLATE_TOPICS.get(Meeting.Template(meeting.template), ()))
    for title in meeting.agenda.filter(action__isnull=True).values_list("title", flat=True):
        topics += [w.strip(".,:;!?()").lower() for w in title.split() if len(w) >= 4]
    return topics


def _latest_round(user: User, schools: list[OrgUnit]) -> Round | None:
    """The newest round the user sees with results at one of these schools."""
    with_cells = ResultCell.objects.filter(org_unit__in=schools).values("round")
    return rounds_for(user).filter(pk__in=with_cells).order_by("-starts_on").first()


def data_pack(user: User, meeting: Meeting) -> DataPack:
    """The member schools' figures as of the meeting, in a fixed number of queries."""
    network = meeting.network
    schools = [link.school for link in schools_of(network)]
    columns = {s.pk: SchoolColumn(school=s) for s in schools}
    on = timezone.localdate(meeting.starts_at)
    round_ = _latest_round(user, schools)
    subjects: list[str] = []
    if round_ is not None:
        subjects = sorted(
            set(Competency.objects.filter(round=round_).values_list("subject", flat=True))
        )
        rows = (
            ResultCell.objects.filter(round=round_, org_unit__in=schools)
            .values("org_unit", "competency__subject")
            .annotate(results=Sum("students"), below=Sum("below"))
        )
        # A school's subject is shown when each of its competency cells could be: the
        # biggest cell (a grade and gender) must reach the small-cell limit.
        per_competency = (
            ResultCell.objects.filter(round=round_, org_unit__in=schools)
            .values("org_unit", "competency__subject", "competency")
            .annotate(children=Sum("students"))
        )
        smallest: dict[tuple[Any, str], int] = {}
        for cell in per_competency:
            key = (cell["org_unit"], cell["competency__subject"])
            smallest[key] = min(smallest.get(key, cell["children"]), cell["children"])
        for row in rows:
            key = (row["org_unit"], row["competency__subject"])
            shown = smallest.get(key, 0) >= settings.SMALL_CELL
            columns[row["org_unit"]].learning[row["competency__subject"]] = (
                round(100 * (1 - row["below"] / row["results"]), 1)
                if shown and row["results"]
                else None
            )
    latest: dict[Any, SchoolFigures] = {}
    for figures in SchoolFigures.objects.filter(school__in=schools, month__lte=on).order_by(
        "school", "-month"
    ):
        latest.setdefault(figures.school_id, figures)
    for school_id, figures in latest.items():
        columns[school_id].figures = figures
    since = on - datetime.timedelta(days=VISITS_OVER_DAYS)
    for seen in (
        Observation.objects.filter(school__in=schools, observed_on__gt=since, observed_on__lte=on)
        .values("school")
        .annotate(n=Count("pk"))
    ):
        columns[seen["school"]].visits = seen["n"]
    open_statuses = [Action.Status.OPEN, Action.Status.IN_PROGRESS]
    for owed in (
        Action.objects.filter(
            Q(plan__network=network) | Q(plan__org_unit__in=schools),
            status__in=open_statuses,
            owner__network_memberships__network=network,
            owner__network_memberships__school__isnull=False,
        )
        .values("owner__network_memberships__school")
        .annotate(
            n=Count("pk", distinct=True), late=Count("pk", filter=Q(due_on__lt=on), distinct=True)
        )
    ):
        column = columns.get(owed["owner__network_memberships__school"])
        if column is not None:
            column.open_actions = owed["n"]
            column.overdue = owed["late"]
    return DataPack(
        meeting=meeting,
        round=round_,
        subjects=subjects,
        columns=list(columns.values()),
        small_cell=settings.SMALL_CELL,
        practices=practices_matching(agenda_topics(meeting), user=user, limit=PRACTICES_SHOWN),
    )
