"""Every read of observations, always through the scope layer.

Who sees an observation: its observer (drafts too), the observed teacher (once submitted),
and, once submitted, anyone with an area role (officers, coaches, CRCs, headteachers)
whose area holds the school. A teacher's login sees only their own lessons.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Max, OuterRef, Q, QuerySet, Subquery
from django.utils import timezone

from clusterwise.core.scope import get_or_404, in_scope, scope_q
from clusterwise.org.models import Assignment, OrgUnit, Person

from .models import (
    REVIEW_CRITERIA,
    Feedback,
    FeedbackAction,
    FeedbackReview,
    Instrument,
    Observation,
    PlannedVisit,
    SyncConflict,
)
from .quality import QualityComparison, WriterChange, compare_before_after
from .services import TEACHING_ROLES

if TYPE_CHECKING:
    from clusterwise.org.models import User


def person_id_of(user: User) -> Any:
    """The id of the person behind a login (cached on the user for the request)."""
    if not getattr(user, "is_authenticated", False):
        return None
    if not hasattr(user, "_person_id"):
        user._person_id = (  # type: ignore[attr-defined]
            Person.objects.filter(user=user).values_list("pk", flat=True).first()
        )
    return user._person_id  # type: ignore[attr-defined]


def observations_for(user: User) -> QuerySet[Observation]:
    """Observations the user may read (see the module docstring)."""
    person = person_id_of(user)
    submitted = Q(status=Observation.Status.SUBMITTED)
    q = Q(pk__in=[])
    if person is not None:
        q = Q(observer_id=person) | (Q(teacher_id=person) & submitted)
    if user.has_perm("observation.view_area"):
        q |= scope_q(user, "org_path") & submitted
    return Observation.objects.filter(q)


def observation_get(user: User, pk: Any) -> Observation:
    return get_or_404(
        observations_for(user).select_related(
            "instrument", "observer", "teacher", "school", "feedback", "previous"
        ),
        pk=pk,
    )


def feedback_get(user: User, pk: Any) -> Feedback:
    """Feedback of an observation the user may read."""
    return get_or_404(
        Feedback.objects.filter(observation__in=observations_for(user)).select_related(
            "observation__teacher",
            "observation__observer",
            "observation__school",
            "observation__instrument",
        ),
        pk=pk,
    )


def instruments_in_use() -> QuerySet[Instrument]:
    """Published versions: what observers may choose from."""
    return Instrument.objects.filter(status=Instrument.Status.PUBLISHED).order_by("kind", "key")


def instrument_with_items(pk: Any) -> Instrument:
    return get_or_404(
        Instrument.objects.prefetch_related("sections__items"),
        pk=pk,
    )


def schools_for(user: User) -> QuerySet[OrgUnit]:
    return in_scope(OrgUnit.objects.filter(level="school"), user, "path").order_by("name", "code")


def teachers_for(user: User) -> QuerySet[Assignment]:
    """Active teaching posts in the user's area: who may be observed."""
    return (
        in_scope(Assignment.objects.active(), user, "org_path")
        .filter(role__in=TEACHING_ROLES, org_unit__level="school")
        .select_related("person", "org_unit")
        .order_by("org_unit__name", "person__name")
    )


def term_start(on: datetime.date) -> datetime.date:
    """The first day of the school term holding `on` (terms start on the months of
    CLUSTERWISE_TERM_START_MONTHS, e.g. June and November in Maharashtra)."""
    months = sorted(settings.TERM_START_MONTHS)
    started = [m for m in months if m <= on.month]
    if started:
        return datetime.date(on.year, started[-1], 1)
    return datetime.date(on.year - 1, months[-1], 1)


@dataclass
class CaseloadRow:
    person: Person
    school: OrgUnit
    role: str
    last_observed: datetime.date | None
    this_month: bool
    this_term: bool
    planned_on: datetime.date | None


@dataclass
class Caseload:
    rows: list[CaseloadRow]
    month_start: datetime.date
    term_start: datetime.date

    @property
    def visited_month(self) -> int:
        return sum(row.this_month for row in self.rows)

    @property
    def visited_term(self) -> int:
        return sum(row.this_term for row in self.rows)


def caseload_for(user: User, *, on: datetime.date | None = None, school: Any = None) -> Caseload:
    """The teachers in the user's area, each with their last observation and next planned
    visit, for "visited this month / term"."""
    on = on or timezone.localdate()
    posts = teachers_for(user)
    if school:
        posts = posts.filter(org_unit_id=school)
    last = (
        Observation.objects.filter(
            teacher_id=OuterRef("person_id"), status=Observation.Status.SUBMITTED
        )
        .order_by()
        .values("teacher_id")
        .annotate(last=Max("observed_on"))
        .values("last")
    )
    person = person_id_of(user)
    planned = (
        PlannedVisit.objects.filter(
            teacher_id=OuterRef("person_id"),
            observer_id=person,
            status=PlannedVisit.Status.PLANNED,
            planned_on__gte=on,
        )
        .order_by("planned_on")
        .values("planned_on")[:1]
    )
    month_start = on.replace(day=1)
    start = term_start(on)
    rows = [
        CaseloadRow(
            person=post.person,
            school=post.org_unit,
            role=post.get_role_display(),
            last_observed=post.last_observed,  # type: ignore[attr-defined]
            this_month=bool(post.last_observed and post.last_observed >= month_start),  # type: ignore[attr-defined]
            this_term=bool(post.last_observed and post.last_observed >= start),  # type: ignore[attr-defined]
            planned_on=post.planned_on,  # type: ignore[attr-defined]
        )
        for post in posts.annotate(last_observed=Subquery(last), planned_on=Subquery(planned))
    ]
    return Caseload(rows=rows, month_start=month_start, term_start=start)


def plan_for(user: User, month: datetime.date) -> QuerySet[PlannedVisit]:
    """The user's own planned visits in a month."""
    start = month.replace(day=1)
    end = (start + datetime.timedelta(days=32)).replace(day=1)
    return PlannedVisit.objects.filter(
        observer_id=person_id_of(user), planned_on__gte=start, planned_on__lt=end
    ).select_related("school", "teacher")


def planned_visit_get(user: User, pk: Any) -> PlannedVisit:
    return get_or_404(PlannedVisit.objects.filter(observer_id=person_id_of(user)), pk=pk)


def open_actions_by_teacher(teacher_ids: list[Any]) -> dict[str, list[dict[str, str]]]:
    """Open agreed actions of each teacher's submitted feedback, for the follow-up at the top
    of the next observation (JSON-ready, so the offline form carries them)."""
    actions = (
        FeedbackAction.objects.filter(
            feedback__observation__teacher_id__in=teacher_ids,
            feedback__observation__status=Observation.Status.SUBMITTED,
            status=FeedbackAction.Status.OPEN,
        )
        .select_related("feedback__observation")
        .order_by("due_on", "order")
    )
    result: dict[str, list[dict[str, str]]] = {}
    for action in actions:
        observation = action.feedback.observation
        result.setdefault(str(observation.teacher_id), []).append(
            {
                "id": str(action.pk),
                "text": action.text,
                "due_on": action.due_on.isoformat(),
                "agreed_on": observation.observed_on.isoformat(),
            }
        )
    return result


def feedback_of_teacher(user: User) -> QuerySet[Observation]:
    """The user's own observed lessons with feedback, newest first."""
    return (
        Observation.objects.filter(
            teacher_id=person_id_of(user), status=Observation.Status.SUBMITTED
        )
        .select_related("observer", "school", "feedback", "instrument")
        .order_by("-observed_on")
    )


def feedback_to_review(user: User) -> QuerySet[Feedback]:
    """Submitted feedback in the reviewer's area written by others, with the reviewer's own
    review (if any) prefetched."""
    person = person_id_of(user)
    return (
        Feedback.objects.filter(
            observation__in=in_scope(
                Observation.objects.filter(status=Observation.Status.SUBMITTED),
                user,
                "org_path",
            )
        )
        .exclude(observation__observer_id=person)
        .select_related("observation__observer", "observation__teacher", "observation__school")
        .order_by("-observation__observed_on")
    )


def reviews_for(user: User) -> QuerySet[FeedbackReview]:
    return in_scope(FeedbackReview.objects.all(), user, "org_path")


def conflicts_for(user: User) -> QuerySet[SyncConflict]:
    """Conflicts in the supervisor's area, and those the user's own devices caused."""
    q = Q(submitted_by=user)
    if user.has_perm("observation.resolve_conflicts"):
        q |= scope_q(user, "org_path")
    return SyncConflict.objects.filter(q).select_related("observation", "submitted_by")


# --- feedback quality before and after -----------------------------------------------------


def default_split(cohort: Any) -> datetime.date:
    """Where "before" ends for a cohort: its first workshop on the framework's second theme
    (observation and feedback), or the middle of the cohort."""
    from clusterwise.programme.models import Workshop

    first = (
        Workshop.objects.filter(cohort=cohort, theme__order=1)
        .order_by("starts_at")
        .values_list("starts_at", flat=True)
        .first()
    )
    if first is not None:
        return timezone.localdate(first)
    return cohort.starts_on + (cohort.ends_on - cohort.starts_on) / 2


def _totals(reviews: QuerySet[FeedbackReview]) -> Any:
    rows = reviews.values_list("writer_id", "written_on", *REVIEW_CRITERIA)
    return ((row[0], row[1], sum(row[2:])) for row in rows)


def feedback_quality(
    crcs: QuerySet[Any], split_on: datetime.date
) -> tuple[QualityComparison, dict[Any, Any]]:
    """Rubric totals of the given CRCs' written feedback before and after `split_on` (the CRC
    members come from programme.selectors.crcs_for, which scopes them)."""
    members = {member.person_id: member for member in crcs.select_related("person")}
    reviews = FeedbackReview.objects.filter(writer_id__in=list(members))
    return compare_before_after(_totals(reviews), split_on), members


def feedback_quality_of(person_id: Any, split_on: datetime.date) -> WriterChange | None:
    """One CRC's rubric totals before and after (shown on their skill assessment)."""
    reviews = FeedbackReview.objects.filter(writer_id=person_id)
    comparison = compare_before_after(_totals(reviews), split_on)
    return comparison.writers[0] if comparison.writers else None


# --- the home page ----------------------------------------------------------------------------


@dataclass
class Waiting:
    """What waits for the user in classroom observation (for their home page)."""

    planned_this_week: int = 0
    drafts: int = 0
    unread_feedback: int = 0
    open_conflicts: int = 0

    def __bool__(self) -> bool:
        return any((self.planned_this_week, self.drafts, self.unread_feedback, self.open_conflicts))


def waiting_for(user: User, on: datetime.date | None = None) -> Waiting:
    on = on or timezone.localdate()
    person = person_id_of(user)
    waiting = Waiting()
    if person is None:
        return waiting
    if user.has_perm("observation.observe"):
        waiting.planned_this_week = PlannedVisit.objects.filter(
            observer_id=person,
            status=PlannedVisit.Status.PLANNED,
            planned_on__gte=on,
            planned_on__lt=on + datetime.timedelta(days=7),
        ).count()
        waiting.drafts = Observation.objects.filter(
            observer_id=person, status=Observation.Status.DRAFT
        ).count()
    waiting.unread_feedback = Feedback.objects.filter(
        observation__teacher_id=person,
        observation__status=Observation.Status.SUBMITTED,
        acknowledged_at__isnull=True,
    ).count()
    if user.has_perm("observation.resolve_conflicts"):
        waiting.open_conflicts = conflicts_for(user).filter(status=SyncConflict.Status.OPEN).count()
    return waiting
