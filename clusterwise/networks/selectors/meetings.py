"""Meetings, agendas and commitments, reached only through the networks a user sees."""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from clusterwise.core.scope import get_or_404, scope_q
from clusterwise.org.models import Person, User

from ..models import Action, ActionReview, AgendaItem, Attachment, Attendance, Meeting, Network
from .networks import networks_for, person_of


def meetings_for(user: User) -> QuerySet[Meeting]:
    return Meeting.objects.filter(network__in=networks_for(user)).select_related("network", "venue")


def meeting_get(user: User, pk: Any) -> Meeting:
    return get_or_404(meetings_for(user), pk=pk)


def meetings_of(network: Network) -> QuerySet[Meeting]:
    return network.meetings.select_related("venue").order_by("-starts_at")


def upcoming_for(user: User, *, limit: int = 5) -> QuerySet[Meeting]:
    """The next meetings of the user's own networks (member or facilitator)."""
    person = person_of(user)
    if person is None:
        return Meeting.objects.none()
    today = timezone.localdate()
    mine = Network.objects.filter(
        Q(facilitator=person)
        | Q(
            members__person=person,
            members__left_on__isnull=True,
        )
        | Q(members__person=person, members__left_on__gt=today)
    )
    return (
        Meeting.objects.filter(
            network__in=mine, status=Meeting.Status.PLANNED, starts_at__gte=timezone.now()
        )
        .select_related("network")
        .order_by("starts_at")[:limit]
    )


def agenda_of(meeting: Meeting) -> list[AgendaItem]:
    reviews = ActionReview.objects.filter(meeting=meeting)
    return list(
        meeting.agenda.select_related("action__owner", "practice")
        .prefetch_related(Prefetch("action__reviews", queryset=reviews, to_attr="here"))
        .order_by("order")
    )


def attendance_of(meeting: Meeting) -> dict[Any, Attendance]:
    return {a.person_id: a for a in meeting.attendance.all()}


def commitments_made_at(meeting: Meeting) -> QuerySet[Action]:
    return (
        meeting.commitments.select_related("owner")
        .prefetch_related(Prefetch("witnesses__person", queryset=Person.objects.only("id", "name")))
        .order_by("created_at")
    )


def actions_for(user: User) -> QuerySet[Action]:
    """Actions of plans the user may see: the networks' plans, plans of units in their area,
    and their own actions."""
    if not user.is_authenticated:
        return Action.objects.none()
    networks = networks_for(user).filter(pk=OuterRef("plan__network"))
    return Action.objects.filter(
        Q(Exists(networks)) | scope_q(user, "plan__org_path") | Q(owner__user=user)
    ).select_related("plan", "owner", "plan__network")


def action_get(user: User, pk: Any) -> Action:
    return get_or_404(actions_for(user), pk=pk)


def actions_mine(user: User) -> QuerySet[Action]:
    return actions_for(user).filter(owner__user=user).order_by("status", "due_on")


def meeting_file_get(user: User, pk: Any) -> Attachment:
    """A meeting's file, for those who see the meeting."""
    return get_or_404(
        Attachment.objects.filter(meeting__in=meetings_for(user)).select_related("meeting"), pk=pk
    )
