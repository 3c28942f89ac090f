"""Every read of the programme, always through the scope layer.

Who sees a cohort: the officers of the unit running it, anyone whose area holds one of
its members, and its members. Who sees a member (and their attendance, submissions,
visits and ratings): anyone whose area holds the member's post, the member themself, and
the coach, master facilitator or expert above them in the cascade.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from clusterwise.core.scope import get_or_404, scope_paths, scope_q
from clusterwise.org.models import User
from clusterwise.skills.models import Assessment, Round

from .models import (
    Attendance,
    CoachingVisit,
    Cohort,
    CohortMember,
    FieldAssignment,
    Submission,
    SubmissionFile,
    VisitAction,
    Workshop,
)

REVIEW_WAIT_DAYS = 7  # a submission waiting longer than this is flagged on the dashboard


def _own_q(user: User, prefix: str = "") -> Q:
    """The member is the user, or the user supports them (up to three steps up the cascade)."""
    q = Q(**{f"{prefix}person__user": user})
    step = "supported_by__"
    for depth in range(1, 4):
        q |= Q(**{f"{prefix}{step * depth}person__user": user})
    return q


def _member_q(user: User, prefix: str = "") -> Q:
    return scope_q(user, f"{prefix}org_path") | _own_q(user, prefix)


def cohorts_for(user: User) -> QuerySet[Cohort]:
    if not user.is_authenticated:
        return Cohort.objects.none()
    visible_members = CohortMember.objects.filter(cohort=OuterRef("pk")).filter(_member_q(user))
    return (
        Cohort.objects.filter(scope_q(user, "org_path") | Q(Exists(visible_members)))
        .select_related("framework", "org_unit")
        .order_by("-starts_on", "name")
    )


def cohort_get(user: User, pk: Any) -> Cohort:
    return get_or_404(cohorts_for(user), pk=pk)


def sees_whole_cohort(user: User, cohort: Cohort) -> bool:
    return any(cohort.org_path.startswith(p) for p in scope_paths(user))


def members_for(user: User, cohort: Cohort) -> QuerySet[CohortMember]:
    members = CohortMember.objects.filter(cohort=cohort)
    if not sees_whole_cohort(user, cohort):
        members = members.filter(_member_q(user))
    return members.select_related("person", "org_unit", "supported_by__person")


_MEMBER_RELATED = (
    "cohort__framework",
    "cohort__org_unit",
    "person",
    "org_unit",
    "supported_by__person__user",
    "supported_by__supported_by__person__user",
    "supported_by__supported_by__supported_by__person__user",
)


def member_get(user: User, pk: Any) -> CohortMember:
    members = CohortMember.objects.select_related(*_MEMBER_RELATED)
    member = get_or_404(members, pk=pk)
    if not sees_whole_cohort(user, member.cohort) and not (
        members.filter(_member_q(user), pk=member.pk).exists()
    ):
        raise Http404
    return member


def my_membership(user: User, cohort: Cohort) -> CohortMember | None:
    return (
        CohortMember.objects.filter(cohort=cohort, person__user=user)
        .select_related("person", "supported_by__person")
        .first()
    )


def crcs_for(user: User, cohort: Cohort, *, within: str | None = None) -> QuerySet[CohortMember]:
    crcs = members_for(user, cohort).filter(role=CohortMember.Role.CRC)
    if within:
        from clusterwise.core.scope import prefix_q

        crcs = crcs.filter(prefix_q("org_path", within))
    return crcs


def supporters_of_role(cohort: Cohort, role: str) -> QuerySet[CohortMember]:
    """The cohort's members in a supporting role (for choosing a coach); not personal data."""
    return (
        CohortMember.objects.filter(cohort=cohort, role=role, left_on__isnull=True)
        .select_related("person")
        .order_by("person__name")
    )


# --- workshops ----------------------------------------------------------------------------


def workshops_for(user: User, cohort: Cohort) -> QuerySet[Workshop]:
    """A visible cohort's workshops: the plan of sessions is not personal data."""
    return cohort.workshops.select_related("theme", "org_unit").order_by("starts_at")


def workshop_get(user: User, pk: Any) -> Workshop:
    workshop = get_or_404(Workshop.objects.select_related("cohort", "theme", "org_unit"), pk=pk)
    cohort_get(user, workshop.cohort_id)
    return workshop


def attendance_sheet(user: User, workshop: Workshop) -> list[tuple[CohortMember, str]]:
    """The expected CRCs the user may see, each with their mark so far ("" if none)."""
    from .services import workshop_invitees

    visible = members_for(user, workshop.cohort).values("pk")
    invitees = (
        workshop_invitees(workshop).filter(pk__in=visible).select_related("person", "org_unit")
    )
    marks = dict(workshop.attendance.values_list("member_id", "status"))
    return [(m, marks.get(m.pk, "")) for m in invitees.order_by("org_path", "person__name")]


# --- field assignments -------------------------------------------------------------------


def field_assignments_for(user: User, cohort: Cohort) -> QuerySet[FieldAssignment]:
    return cohort.field_assignments.select_related("theme").order_by("due_on", "title")


def field_assignment_get(user: User, pk: Any) -> FieldAssignment:
    fa = get_or_404(FieldAssignment.objects.select_related("cohort", "theme"), pk=pk)
    cohort_get(user, fa.cohort_id)
    return fa


def submissions_for(
    user: User, field_assignment: FieldAssignment
) -> list[tuple[CohortMember, Submission | None]]:
    """Each visible CRC of the cohort with their submission (or None)."""
    crcs = (
        crcs_for(user, field_assignment.cohort)
        .filter(left_on__isnull=True)
        .order_by("org_path", "person__name")
    )
    subs = {
        s.member_id: s
        for s in Submission.objects.filter(
            field_assignment=field_assignment, member__in=crcs.values("pk")
        )
    }
    return [(m, subs.get(m.pk)) for m in crcs]


def submission_get(user: User, pk: Any) -> Submission:
    submission = get_or_404(
        Submission.objects.select_related("field_assignment__cohort", "reviewed_by"), pk=pk
    )
    submission.member = member_get(user, submission.member_id)
    return submission


def submission_of(member: CohortMember, field_assignment: FieldAssignment) -> Submission | None:
    """The member's own submission (callers fetched `member` through scope)."""
    return Submission.objects.filter(member=member, field_assignment=field_assignment).first()


def attachment_get(user: User, pk: Any) -> SubmissionFile:
    attachment = get_or_404(SubmissionFile.objects.select_related("submission"), pk=pk)
    submission_get(user, attachment.submission_id)
    return attachment


# --- coaching visits ---------------------------------------------------------------------


def visits_of(member: CohortMember) -> QuerySet[CoachingVisit]:
    """A CRC's visits (callers fetched `member` through scope)."""
    return (
        CoachingVisit.objects.filter(crc=member)
        .select_related("coach__person")
        .prefetch_related("focus_skills", "actions")
        .order_by("-visited_on", "-created_at")
    )


def open_actions(member: CohortMember) -> QuerySet[VisitAction]:
    return VisitAction.objects.filter(crc=member, done_on__isnull=True).order_by("due_on")


def visit_get(user: User, pk: Any) -> CoachingVisit:
    visit = get_or_404(
        CoachingVisit.objects.select_related("coach__person", "cohort").prefetch_related(
            "focus_skills", "actions"
        ),
        pk=pk,
    )
    visit.crc = member_get(user, visit.crc_id)
    return visit


def action_get(user: User, pk: Any) -> VisitAction:
    action = get_or_404(VisitAction.objects.all(), pk=pk)
    action.crc = member_get(user, action.crc_id)
    return action


# --- progress and the dashboard -----------------------------------------------------------


def progress_of(crcs: QuerySet[CohortMember], cohort: Cohort) -> QuerySet[CohortMember]:
    """CRCs with their figures: attendance, field work, visits, assessments."""

    def count(model: Any, **filters: Any) -> Any:
        return Coalesce(
            Subquery(
                model.objects.filter(**filters)
                .values("member" if "member" in {f.name for f in model._meta.fields} else "crc")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            0,
        )

    return crcs.annotate(
        attended=count(Attendance, member=OuterRef("pk"), status__in=["present", "late"]),
        sessions_marked=count(Attendance, member=OuterRef("pk")),
        submitted=count(Submission, member=OuterRef("pk")),
        accepted=count(Submission, member=OuterRef("pk"), status=Submission.Status.ACCEPTED),
        visits_done=count(CoachingVisit, crc=OuterRef("pk")),
        rounds_done=count(Assessment, member=OuterRef("pk"), kind=Assessment.Kind.COACH),
    )


@dataclass
class Dashboard:
    crcs: int
    coaches: int
    left: int
    workshops_held: int
    workshops_planned: int
    attendance_rate: float | None
    assignments_due: int
    submitted: int
    reviewed: int
    accepted: int
    waiting_review: int
    waiting_long: int
    field_complete: int  # CRCs with every assignment due so far accepted
    missing_due: int  # due assignments with no submission, over all CRCs
    visits_done: int
    visits_planned: int
    crcs_visited: int
    actions_overdue: int
    assessed: dict[str, int]  # round → CRCs with a coach's assessment
    self_assessed: dict[str, int]


def dashboard(
    user: User, cohort: Cohort, *, within: str | None = None, on: datetime.date | None = None
) -> Dashboard:
    """The cohort's figures over the CRCs the user sees (optionally under one unit)."""
    on = on or timezone.localdate()
    crcs = crcs_for(user, cohort, within=within)
    active = crcs.filter(left_on__isnull=True)
    crc_ids = active.values("pk")
    n_crcs = active.count()
    workshops = cohort.workshops.all()
    held = workshops.filter(starts_at__date__lte=on).count()
    marks = Attendance.objects.filter(member__in=crc_ids).aggregate(
        total=Count("pk"), came=Count("pk", filter=Q(status__in=["present", "late"]))
    )
    due = list(cohort.field_assignments.filter(due_on__lte=on).values_list("pk", flat=True))
    subs = Submission.objects.filter(member__in=crc_ids)
    sub_figures = subs.aggregate(
        submitted=Count("pk"),
        reviewed=Count("pk", filter=Q(reviewed_at__isnull=False)),
        accepted=Count("pk", filter=Q(status=Submission.Status.ACCEPTED)),
        waiting=Count("pk", filter=Q(status=Submission.Status.SUBMITTED)),
        waiting_long=Count(
            "pk",
            filter=Q(
                status=Submission.Status.SUBMITTED,
                submitted_at__lt=timezone.now() - datetime.timedelta(days=REVIEW_WAIT_DAYS),
            ),
        ),
    )
    accepted_due = (
        subs.filter(field_assignment__in=due, status=Submission.Status.ACCEPTED)
        .values("member")
        .annotate(n=Count("pk"))
        .filter(n=len(due))
        .count()
        if due
        else n_crcs
    )
    submitted_due = subs.filter(field_assignment__in=due).count()
    visits = CoachingVisit.objects.filter(crc__in=crc_ids)
    assessed = dict(
        Assessment.objects.filter(member__in=crc_ids, kind=Assessment.Kind.COACH)
        .values_list("round")
        .annotate(n=Count("pk"))
    )
    self_assessed = dict(
        Assessment.objects.filter(member__in=crc_ids, kind=Assessment.Kind.SELF)
        .values_list("round")
        .annotate(n=Count("pk"))
    )
    return Dashboard(
        crcs=n_crcs,
        coaches=members_for(user, cohort).filter(role=CohortMember.Role.COACH).count(),
        left=crcs.filter(left_on__isnull=False).count(),
        workshops_held=held,
        workshops_planned=workshops.count(),
        attendance_rate=(marks["came"] / marks["total"]) if marks["total"] else None,
        assignments_due=len(due),
        submitted=sub_figures["submitted"],
        reviewed=sub_figures["reviewed"],
        accepted=sub_figures["accepted"],
        waiting_review=sub_figures["waiting"],
        waiting_long=sub_figures["waiting_long"],
        field_complete=accepted_due,
        missing_due=len(due) * n_crcs - submitted_due,
        visits_done=visits.count(),
        visits_planned=cohort.visits_planned * n_crcs,
        crcs_visited=visits.values("crc").distinct().count(),
        actions_overdue=VisitAction.objects.filter(
            crc__in=crc_ids, done_on__isnull=True, due_on__lt=on
        ).count(),
        assessed={r: assessed.get(r, 0) for r in Round.values},
        self_assessed={r: self_assessed.get(r, 0) for r in Round.values},
    )


@dataclass
class ToDo:
    """What is waiting for a member in one cohort (for their home page)."""

    member: CohortMember
    to_hand_in: int = 0  # assignments due or asked again, not handed in
    to_review: int = 0  # submissions of the CRCs they support, waiting for review
    open_actions: int = 0
    overdue_actions: int = 0


def todo_for(user: User, on: datetime.date | None = None) -> list[ToDo]:
    """The user's memberships of running cohorts, with what waits for them in each."""
    on = on or timezone.localdate()
    memberships = list(
        CohortMember.objects.filter(
            person__user=user, left_on__isnull=True, cohort__ends_on__gte=on
        ).select_related("cohort")
    )
    todos = []
    for member in memberships:
        todo = ToDo(member)
        if member.role == CohortMember.Role.CRC:
            done = Submission.objects.filter(member=member).exclude(
                status=Submission.Status.RESUBMIT
            )
            todo.to_hand_in = (
                member.cohort.field_assignments.filter(due_on__lte=on + datetime.timedelta(days=7))
                .exclude(pk__in=done.values("field_assignment"))
                .count()
            )
            actions = VisitAction.objects.filter(crc=member, done_on__isnull=True)
        else:
            supported = CohortMember.objects.filter(
                Q(supported_by=member)
                | Q(supported_by__supported_by=member)
                | Q(supported_by__supported_by__supported_by=member),
                role=CohortMember.Role.CRC,
            ).values("pk")
            todo.to_review = Submission.objects.filter(
                member__in=supported, status=Submission.Status.SUBMITTED
            ).count()
            actions = VisitAction.objects.filter(crc__in=supported, done_on__isnull=True)
        figures = actions.aggregate(n=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=on)))
        todo.open_actions, todo.overdue_actions = figures["n"], figures["overdue"]
        todos.append(todo)
    return todos
