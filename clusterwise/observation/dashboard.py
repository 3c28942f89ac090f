"""The read side of the observation dashboards: visit coverage, item-score distributions and
trends, time on task, for one area of the org tree and a range of months.

Every figure is a handful of GROUP BY queries over the user's scope (core.scope), never a
loop over units or people: a row per child unit comes from grouping on the first characters
of the tree path (the child's path), so a district with 40 blocks costs what one with 2 does.

Only submitted observations count; drafts are the observer's own business. The figures are
about adults' practice, so small cells are shown as they are (no suppression).
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q, QuerySet, Sum
from django.db.models.functions import Substr, TruncMonth
from django.http import Http404

from clusterwise.core.i18n import localized
from clusterwise.core.scope import in_scope, prefix_q
from clusterwise.org import selectors as org_selectors
from clusterwise.org.models import Assignment, OrgUnit, Person, Role

from .models import (
    SCALE,
    Instrument,
    Item,
    Observation,
    OnTask,
    PlannedVisit,
    Score,
    Section,
    Snapshot,
)
from .selectors import term_start
from .services import TEACHING_ROLES

if TYPE_CHECKING:
    from clusterwise.org.models import User

VIEW_AREA = "observation.view_area"
DEFAULT_MONTHS = 6
MAX_MONTHS = 36
# The roles whose people observe lessons (observation.rules.can_observe).
OBSERVER_ROLES = (
    Role.CRC,
    Role.COACH,
    Role.MASTER_FACILITATOR,
    Role.HEADTEACHER,
    Role.LEADER_OF_LEARNING,
)
ON_TASK = tuple(OnTask.values)


# --- what is asked ----------------------------------------------------------------------


def month_start(day: datetime.date) -> datetime.date:
    return day.replace(day=1)


def add_months(month: datetime.date, n: int) -> datetime.date:
    index = month.year * 12 + month.month - 1 + n
    return datetime.date(index // 12, index % 12 + 1, 1)


@dataclass(frozen=True)
class Selection:
    """The months (first days, both included) and, optionally, one instrument family."""

    first_month: datetime.date
    last_month: datetime.date
    instrument_key: str = ""

    @classmethod
    def default(cls, today: datetime.date, instrument_key: str = "") -> Selection:
        """The last six months, this one included."""
        last = month_start(today)
        return cls(add_months(last, 1 - DEFAULT_MONTHS), last, instrument_key)

    @property
    def end(self) -> datetime.date:
        """The first day after the last month."""
        return add_months(self.last_month, 1)

    @property
    def months(self) -> list[datetime.date]:
        months = [self.first_month]
        while months[-1] < self.last_month:
            months.append(add_months(months[-1], 1))
        return months

    @property
    def term_start(self) -> datetime.date:
        """The first day of the school term holding the last month."""
        return term_start(self.last_month)


def instrument_choices() -> list[tuple[str, str]]:
    """(key, name of the newest version) of every instrument family ever published."""
    names: dict[str, str] = {}
    rows = (
        Instrument.objects.exclude(status=Instrument.Status.DRAFT)
        .order_by("key", "-version")
        .values_list("key", "name")
    )
    for key, name in rows:
        names.setdefault(key, localized(name) or key)
    return sorted(names.items(), key=lambda kv: kv[1].lower())


@dataclass
class Area:
    """Where the user looks: one unit and its children, or (for a user whose scope has
    several roots) those roots side by side."""

    unit: OrgUnit | None
    rows: list[OrgUnit]
    ancestors: list[OrgUnit]

    @property
    def by_observer(self) -> bool:
        """Clusters and schools also show a row per observer."""
        if self.unit is None:
            return False
        levels = settings.ORG_LEVELS
        return self.unit.level in levels and levels.index(self.unit.level) >= len(levels) - 2

    @property
    def name(self) -> str:
        if self.unit is not None:
            return self.unit.name
        return ", ".join(unit.name for unit in self.rows)


def area_for(user: User, unit_id: Any = None) -> Area:
    """The area a user asks for: `unit_id` must lie in their scope (else 404); without it,
    their own area. Users without the area role get 403."""
    if not user.has_perm(VIEW_AREA):
        raise PermissionDenied
    if unit_id:
        unit: OrgUnit | None = org_selectors.orgunit_get(user, unit_id)
    else:
        roots = org_selectors.scope_roots(user)
        if not roots:
            raise Http404
        unit = roots[0] if len(roots) == 1 else None
        if unit is None:
            return Area(unit=None, rows=roots, ancestors=[])
    assert unit is not None
    return Area(
        unit=unit,
        rows=list(org_selectors.children_of(user, unit)),
        ancestors=org_selectors.ancestors_in_scope(user, unit),
    )


# --- the scoped querysets -----------------------------------------------------------------


def _under(queryset: QuerySet[Any], user: User, area: Area, path_field: str) -> QuerySet[Any]:
    queryset = in_scope(queryset, user, path_field)
    if area.unit is not None:
        queryset = queryset.filter(prefix_q(path_field, area.unit.path))
    return queryset.order_by()


def submitted(
    user: User, area: Area, selection: Selection, *, since: datetime.date | None = None
) -> QuerySet[Observation]:
    """Submitted observations in the area and months (from `since` if given)."""
    queryset = Observation.objects.filter(
        status=Observation.Status.SUBMITTED,
        observed_on__gte=since or selection.first_month,
        observed_on__lt=selection.end,
    )
    if selection.instrument_key:
        queryset = queryset.filter(instrument__key=selection.instrument_key)
    return _under(queryset, user, area, "org_path")


def _teaching_posts(user: User, area: Area) -> QuerySet[Assignment]:
    # Teaching posts are held at schools only (org.services checks it), so no join to
    # the unit: the count reads the assignment_path index alone.
    posts = Assignment.objects.active().filter(role__in=TEACHING_ROLES)
    return _under(posts, user, area, "org_path")


def _by_row(
    queryset: QuerySet[Any], area: Area, path_field: str, *values: str, **annotations: Any
) -> list[dict[str, Any]]:
    """GROUP BY the row each record falls in (the first characters of its path) and `values`.

    Rows of one depth share one query; several roots of different depths (a user posted
    at a cluster and at a school elsewhere) need one query per depth."""
    lengths: dict[int, list[str]] = defaultdict(list)
    for unit in area.rows:
        lengths[len(unit.path)].append(unit.path)
    result: list[dict[str, Any]] = []
    for length, paths in lengths.items():
        part = queryset
        if area.unit is None:  # roots: keep what lies under one of them
            q = Q(pk__in=[])
            for path in paths:
                q |= prefix_q(path_field, path)
            part = part.filter(q)
        result += list(
            part.annotate(row=Substr(path_field, 1, length))
            .values("row", *values)
            .annotate(**annotations)
            .order_by()
        )
    return result


# --- coverage ------------------------------------------------------------------------------


def _share(n: int, of: int) -> float | None:
    return n / of if of else None


@dataclass
class Coverage:
    """Visits and teachers observed in one unit (or month), against its teachers."""

    observations: int = 0
    teachers: int = 0  # people with an active teaching post in the unit today
    observed_period: int = 0  # teachers observed at least once in the months selected
    observed_month: int = 0  # ... in the last month selected (or the row's month)
    observed_term: int = 0  # ... from the start of the term to the end of the last month
    planned: int = 0  # visits still planned
    done: int = 0
    cancelled: int = 0

    @property
    def share_period(self) -> float | None:
        return _share(self.observed_period, self.teachers)

    @property
    def share_month(self) -> float | None:
        return _share(self.observed_month, self.teachers)

    @property
    def share_term(self) -> float | None:
        return _share(self.observed_term, self.teachers)

    @property
    def visits_planned(self) -> int:
        """Every visit put on a plan and not cancelled: still planned or done."""
        return self.planned + self.done


@dataclass
class UnitRow:
    unit: OrgUnit
    coverage: Coverage


@dataclass
class MonthRow:
    month: datetime.date
    coverage: Coverage


@dataclass
class ObserverRow:
    person: Person
    roles: list[str]
    observations: int = 0  # in the months selected
    teachers: int = 0  # distinct teachers they observed in the months selected
    month_visits: int = 0  # observations in the last month selected
    month_planned: int = 0  # planned visits in the last month, not cancelled
    month_done: int = 0
    month_cancelled: int = 0


@dataclass
class CoverageReport:
    units: list[UnitRow]
    total: Coverage
    months: list[MonthRow]
    observers: list[ObserverRow] = field(default_factory=list)


def _planned_counts(target: Coverage, status: str, n: int) -> None:
    if status == PlannedVisit.Status.DONE:
        target.done += n
    elif status == PlannedVisit.Status.CANCELLED:
        target.cancelled += n
    else:
        target.planned += n


def coverage(user: User, area: Area, selection: Selection) -> CoverageReport:
    """Visits, teachers observed and planned visits per child unit and per month."""
    last = selection.last_month
    since = min(selection.first_month, selection.term_start)
    observations = submitted(user, area, selection)
    wide = submitted(user, area, selection, since=since)
    distinct_teachers = {
        "observed_period": Count(
            "teacher", distinct=True, filter=Q(observed_on__gte=selection.first_month)
        ),
        "observed_month": Count("teacher", distinct=True, filter=Q(observed_on__gte=last)),
        "observed_term": Count(
            "teacher", distinct=True, filter=Q(observed_on__gte=selection.term_start)
        ),
        "observations": Count("id", filter=Q(observed_on__gte=selection.first_month)),
    }
    units = {unit.path: Coverage() for unit in area.rows}
    for row in _by_row(wide, area, "org_path", **distinct_teachers):
        if row["row"] in units:
            units[row["row"]] = Coverage(**{k: row[k] for k in distinct_teachers})
    total = Coverage(**wide.aggregate(**distinct_teachers))

    posts = _teaching_posts(user, area)
    for row in _by_row(posts, area, "org_path", n=Count("person", distinct=True)):
        if row["row"] in units:
            units[row["row"]].teachers = row["n"]
    total.teachers = posts.aggregate(n=Count("person", distinct=True))["n"]

    months = {month: Coverage(teachers=total.teachers) for month in selection.months}
    per_month = (
        observations.annotate(month=TruncMonth("observed_on"))
        .values("month")
        .annotate(n=Count("id"), teachers=Count("teacher", distinct=True))
        .order_by()
    )
    for counts in per_month:
        month = months.get(_as_date(counts["month"]))
        if month is not None:
            month.observations = counts["n"]
            month.observed_month = month.observed_period = counts["teachers"]

    plans = _under(
        PlannedVisit.objects.filter(
            planned_on__gte=selection.first_month, planned_on__lt=selection.end
        ),
        user,
        area,
        "org_path",
    )
    by_month = plans.annotate(month=TruncMonth("planned_on"))
    for row in _by_row(by_month, area, "org_path", "month", "status", n=Count("id")):
        _planned_counts(total, row["status"], row["n"])
        if row["row"] in units:
            _planned_counts(units[row["row"]], row["status"], row["n"])
        month = months.get(_as_date(row["month"]))
        if month is not None:
            _planned_counts(month, row["status"], row["n"])

    report = CoverageReport(
        units=[UnitRow(unit, units[unit.path]) for unit in area.rows],
        total=total,
        months=[MonthRow(month, months[month]) for month in selection.months],
    )
    if area.by_observer:
        report.observers = observers(user, area, selection, observations, plans)
    return report


def _as_date(value: Any) -> datetime.date:
    """TruncMonth gives a date (or, on some backends, a datetime)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    assert isinstance(value, datetime.date)
    return value


def observers(
    user: User,
    area: Area,
    selection: Selection,
    observations: QuerySet[Observation],
    plans: QuerySet[PlannedVisit],
) -> list[ObserverRow]:
    """A row per observer posted in the area (so one who made no visit shows too) or who
    observed or planned in it: their visits this month against their plan."""
    last = selection.last_month
    done = {
        row["observer_id"]: row
        for row in observations.values("observer_id").annotate(
            n=Count("id"),
            teachers=Count("teacher", distinct=True),
            month=Count("id", filter=Q(observed_on__gte=last)),
        )
    }
    planned: dict[Any, dict[str, int]] = defaultdict(dict)
    for row in (
        plans.filter(planned_on__gte=last).values("observer_id", "status").annotate(n=Count("id"))
    ):
        planned[row["observer_id"]][row["status"]] = row["n"]
    assert area.unit is not None
    posts = (
        Assignment.objects.active()
        .filter(role__in=OBSERVER_ROLES)
        .filter(prefix_q("org_path", area.unit.path) | Q(person_id__in=[*done, *planned]))
        .values_list("person_id", "role")
        .order_by()
    )
    roles: dict[Any, list[str]] = defaultdict(list)
    labels = dict(Role.choices)
    for person_id, role in posts:
        if str(labels[role]) not in roles[person_id]:
            roles[person_id].append(str(labels[role]))
    ids = set(roles) | set(done) | set(planned)
    rows = []
    for person in Person.objects.filter(pk__in=ids).order_by("name"):
        mine: dict[str, Any] = dict(done.get(person.pk, {}))
        plan = planned.get(person.pk, {})
        rows.append(
            ObserverRow(
                person=person,
                roles=roles.get(person.pk, []),
                observations=mine.get("n", 0),
                teachers=mine.get("teachers", 0),
                month_visits=mine.get("month", 0),
                month_planned=plan.get(PlannedVisit.Status.PLANNED, 0)
                + plan.get(PlannedVisit.Status.DONE, 0),
                month_done=plan.get(PlannedVisit.Status.DONE, 0),
                month_cancelled=plan.get(PlannedVisit.Status.CANCELLED, 0),
            )
        )
    return rows


# --- item scores ---------------------------------------------------------------------------


@dataclass
class ItemRow:
    """The scores one item got, 1 to 5 (items of every version of an instrument with the
    same code are one row, named as in the newest version)."""

    instrument: str
    section: str
    code: str
    name: str
    counts: dict[int, int]

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> float | None:
        total = self.total
        return sum(k * n for k, n in self.counts.items()) / total if total else None

    @property
    def cells(self) -> list[int]:
        return [self.counts[point] for point in SCALE]

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


def _newest(objects: Iterable[Any], key: Any) -> dict[Any, Any]:
    """Per key, the object of the newest instrument version."""
    newest: dict[Any, Any] = {}
    for obj in objects:
        k = key(obj)
        if k not in newest or obj.instrument.version > newest[k].instrument.version:
            newest[k] = obj
    return newest


def item_distribution(user: User, area: Area, selection: Selection) -> list[ItemRow]:
    """Per item, how many scores of 1, 2, 3, 4 and 5 it got in the selection."""
    counts = (
        Score.objects.filter(observation__in=submitted(user, area, selection), score__isnull=False)
        .values("item_id", "score")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_item: dict[Any, dict[int, int]] = defaultdict(dict)
    for row in counts:
        by_item[row["item_id"]][row["score"] or 0] = row["n"]
    if not by_item:
        return []
    items = list(Item.objects.filter(pk__in=by_item).select_related("section", "instrument"))
    family = _newest(items, lambda item: (item.instrument.key, item.code))
    merged: dict[tuple[str, str], dict[int, int]] = {key: dict.fromkeys(SCALE, 0) for key in family}
    for item in items:
        target = merged[(item.instrument.key, item.code)]
        for score, n in by_item[item.pk].items():
            target[score] += n
    rows = []
    ordered = sorted(
        family.values(),
        key=lambda i: (localized(i.instrument.name), i.section.order, i.order, i.code),
    )
    for item in ordered:
        rows.append(
            ItemRow(
                instrument=localized(item.instrument.name),
                section=localized(item.section.name),
                code=item.code,
                name=localized(item.name),
                counts=merged[(item.instrument.key, item.code)],
            )
        )
    return rows


@dataclass
class SectionTrend:
    """The mean score of a section's items, month by month."""

    instrument: str
    code: str
    name: str
    sums: dict[datetime.date, tuple[int, int]]  # month → (sum of scores, number of scores)

    def mean(self, month: datetime.date) -> float | None:
        total, n = self.sums.get(month, (0, 0))
        return total / n if n else None

    def means(self, months: list[datetime.date]) -> list[float | None]:
        return [self.mean(month) for month in months]


def section_trends(user: User, area: Area, selection: Selection) -> list[SectionTrend]:
    """Per section (of every version of an instrument with the same code), the mean score
    per month."""
    rows = list(
        Score.objects.filter(observation__in=submitted(user, area, selection), score__isnull=False)
        .annotate(month=TruncMonth("observation__observed_on"))
        .values("item__section_id", "month")
        .annotate(total=Sum("score"), n=Count("id"))
        .order_by()
    )
    if not rows:
        return []
    sections = list(
        Section.objects.filter(pk__in={row["item__section_id"] for row in rows}).select_related(
            "instrument"
        )
    )
    family = _newest(sections, lambda s: (s.instrument.key, s.code))
    key_of = {s.pk: (s.instrument.key, s.code) for s in sections}
    sums: dict[tuple[str, str], dict[datetime.date, tuple[int, int]]] = defaultdict(dict)
    for row in rows:
        month = _as_date(row["month"])
        total, n = sums[key_of[row["item__section_id"]]].get(month, (0, 0))
        sums[key_of[row["item__section_id"]]][month] = (total + row["total"], n + row["n"])
    ordered = sorted(family.values(), key=lambda s: (localized(s.instrument.name), s.order, s.code))
    return [
        SectionTrend(
            instrument=localized(s.instrument.name),
            code=s.code,
            name=localized(s.name),
            sums=sums[(s.instrument.key, s.code)],
        )
        for s in ordered
    ]


# --- time on task --------------------------------------------------------------------------


@dataclass
class TimeOnTask:
    """The snapshots of one month: whether the teacher ran a learning activity, and how
    many students were on task."""

    month: datetime.date
    snapshots: int = 0
    answered: int = 0  # snapshots that say whether a learning activity ran
    activity: int = 0
    few: int = 0
    some: int = 0
    most: int = 0

    @property
    def rated(self) -> int:
        return self.few + self.some + self.most

    @property
    def share_activity(self) -> float | None:
        return _share(self.activity, self.answered)

    def share(self, on_task: str) -> float | None:
        return _share(getattr(self, on_task), self.rated)

    @property
    def shares(self) -> list[float | None]:
        return [self.share(level) for level in ON_TASK]


def time_on_task(user: User, area: Area, selection: Selection) -> list[TimeOnTask]:
    """Per month of the selection, what the time-on-task snapshots saw."""
    months = {month: TimeOnTask(month) for month in selection.months}
    rows = (
        Snapshot.objects.filter(observation__in=submitted(user, area, selection))
        .annotate(month=TruncMonth("observation__observed_on"))
        .values("month")
        .annotate(
            snapshots=Count("id"),
            answered=Count("id", filter=Q(learning_activity__isnull=False)),
            activity=Count("id", filter=Q(learning_activity=True)),
            **{level: Count("id", filter=Q(on_task=level)) for level in ON_TASK},
        )
        .order_by()
    )
    for row in rows:
        month = months.get(_as_date(row["month"]))
        if month is not None:
            for key, value in row.items():
                if key != "month":
                    setattr(month, key, value)
    return list(months.values())


# --- all of it ----------------------------------------------------------------------------


@dataclass
class Dashboard:
    area: Area
    selection: Selection
    coverage: CoverageReport
    items: list[ItemRow]
    sections: list[SectionTrend]
    on_task: list[TimeOnTask]

    @property
    def has_scores(self) -> bool:
        return bool(self.items)

    @property
    def has_snapshots(self) -> bool:
        return any(month.snapshots for month in self.on_task)


def dashboard_for(user: User, area: Area, selection: Selection) -> Dashboard:
    """Every figure of the dashboard page and its Excel export."""
    return Dashboard(
        area=area,
        selection=selection,
        coverage=coverage(user, area, selection),
        items=item_distribution(user, area, selection),
        sections=section_trends(user, area, selection),
        on_task=time_on_task(user, area, selection),
    )
