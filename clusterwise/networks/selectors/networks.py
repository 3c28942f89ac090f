"""Who sees which network, and what each one looks like from above.

A network is seen by the officers whose area holds its owner unit or one of its member
schools, by its facilitator, and by its members. It is run (meetings, members, plans) by
its facilitator and co-facilitators and by officers who may manage networks over its owner
unit. Everything else in this app (meetings, plans, reviews, practices) is reached through
`networks_for`, so this is the one gate.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.utils import timezone

from clusterwise.core.scope import get_or_404, path_in_scope, scope_q
from clusterwise.org.models import Person, User

from ..models import Action, Meeting, Network, NetworkMember, NetworkSchool

STUCK_AFTER_DAYS = 60  # a network that has not met for this long is stuck


def person_of(user: User) -> Person | None:
    """The person behind a login (cached on the user for the request)."""
    if not user.is_authenticated:
        return None
    if not hasattr(user, "_network_person"):
        user._network_person = Person.objects.filter(user=user).first()  # type: ignore[attr-defined]
    return user._network_person  # type: ignore[attr-defined,no-any-return]


def _own_q(user: User, prefix: str = "") -> Q:
    """The user facilitates the network or is one of its members (now)."""
    today = timezone.localdate()
    mine = NetworkMember.objects.filter(
        Q(left_on__isnull=True) | Q(left_on__gt=today),
        network=OuterRef(f"{prefix}pk" if prefix else "pk"),
        person__user=user,
    )
    return Q(**{f"{prefix}facilitator__user": user}) | Q(Exists(mine))


def networks_for(user: User) -> QuerySet[Network]:
    """The networks a user may see."""
    if not user.is_authenticated:
        return Network.objects.none()
    today = timezone.localdate()
    schools_in_scope = NetworkSchool.objects.filter(
        Q(left_on__isnull=True) | Q(left_on__gt=today),
        scope_q(user, "school_path"),
        network=OuterRef("pk"),
    )
    return (
        Network.objects.filter(
            scope_q(user, "org_path") | Q(Exists(schools_in_scope)) | _own_q(user)
        )
        .select_related("org_unit", "facilitator")
        .order_by("name", "pk")
    )


def network_get(user: User, pk: Any) -> Network:
    return get_or_404(networks_for(user), pk=pk)


def manages(user: User, network: Network) -> bool:
    """May manage the network as an officer over its owner unit."""
    return user.has_perm("networks.manage_networks") and path_in_scope(user, network.org_path)


def runs(user: User, network: Network) -> bool:
    """May run the network: plan meetings, change members, keep its plans."""
    if manages(user, network):
        return True
    person = person_of(user)
    if person is None:
        return False
    return (
        network.facilitator_id == person.pk
        or network.members.filter(person=person, role=NetworkMember.Role.CO_FACILITATOR).exists()
    )


def member_of(user: User, network: Network) -> NetworkMember | None:
    person = person_of(user)
    if person is None:
        return None
    today = timezone.localdate()
    return (
        network.members.filter(person=person)
        .filter(Q(left_on__isnull=True) | Q(left_on__gt=today))
        .first()
    )


def takes_part(user: User, network: Network) -> bool:
    """May take part: record attendance, minutes and commitments (members and those who run it)."""
    return runs(user, network) or member_of(user, network) is not None


@dataclass
class Health:
    """How a network is doing, for its facilitator and the officers above it."""

    network: Network
    schools: int
    members: int
    held: int  # meetings held in the last year
    planned: int  # meetings planned from today
    last_met: datetime.date | None
    open_actions: int
    overdue: int

    @property
    def stuck(self) -> list[str]:
        """What is stuck, in words a coach acts on (empty when all is well)."""
        from django.utils.translation import gettext as _

        found = []
        today = timezone.localdate()
        if self.last_met is None:
            found.append(_("has never met"))
        elif (today - self.last_met).days > STUCK_AFTER_DAYS:
            found.append(
                _("has not met for %(days)s days") % {"days": (today - self.last_met).days}
            )
        if not self.planned:
            found.append(_("no meeting planned"))
        if self.overdue:
            found.append(_("%(n)s overdue actions") % {"n": self.overdue})
        return found


def health_of(networks: QuerySet[Network]) -> list[Health]:
    """Each network's figures in a fixed number of queries."""
    today = timezone.localdate()
    now = timezone.now()
    year_ago = now - datetime.timedelta(days=365)
    annotated = networks.annotate(
        n_schools=Count(
            "schools",
            filter=Q(schools__left_on__isnull=True) | Q(schools__left_on__gt=today),
            distinct=True,
        ),
        n_members=Count(
            "members",
            filter=Q(members__left_on__isnull=True) | Q(members__left_on__gt=today),
            distinct=True,
        ),
    )
    meetings: dict[Any, Any] = {
        row["network"]: row
        for row in Meeting.objects.filter(network__in=networks)
        .values("network")
        .annotate(
            held=Count("pk", filter=Q(status=Meeting.Status.HELD, starts_at__gte=year_ago)),
            planned=Count("pk", filter=Q(status=Meeting.Status.PLANNED, starts_at__gte=now)),
            last=Max("starts_at", filter=Q(status=Meeting.Status.HELD)),
        )
    }
    open_statuses = [Action.Status.OPEN, Action.Status.IN_PROGRESS]
    actions: dict[Any, Any] = {
        row["plan__network"]: row
        for row in Action.objects.filter(plan__network__in=networks, status__in=open_statuses)
        .values("plan__network")
        .annotate(open=Count("pk"), overdue=Count("pk", filter=Q(due_on__lt=today)))
    }
    result = []
    for network in annotated:
        met = meetings.get(network.pk, {})
        acts = actions.get(network.pk, {})
        last = met.get("last")
        result.append(
            Health(
                network=network,
                schools=network.n_schools,  # type: ignore[attr-defined]
                members=network.n_members,  # type: ignore[attr-defined]
                held=met.get("held", 0),
                planned=met.get("planned", 0),
                last_met=timezone.localdate(last) if last else None,
                open_actions=acts.get("open", 0),
                overdue=acts.get("overdue", 0),
            )
        )
    return result


def facilitated_by(user: User) -> QuerySet[Network]:
    """The networks a coach (or leader of learning, CRC) moderates."""
    return networks_for(user).filter(facilitator__user=user, closed_on__isnull=True)


def schools_of(network: Network) -> QuerySet[NetworkSchool]:
    today = timezone.localdate()
    return (
        network.schools.filter(Q(left_on__isnull=True) | Q(left_on__gt=today))
        .select_related("school")
        .order_by("school__name")
    )


def members_of(network: Network) -> QuerySet[NetworkMember]:
    today = timezone.localdate()
    return (
        network.members.filter(Q(left_on__isnull=True) | Q(left_on__gt=today))
        .select_related("person", "school")
        .order_by("role", "person__name")
    )


def people_of(network: Network, *, on: datetime.date | None = None) -> QuerySet[Person]:
    """The network's members (on a day, today by default) and its facilitator: who attends,
    owns and witnesses commitments, and is reminded of meetings."""
    today = on or timezone.localdate()
    members = network.members.filter(Q(left_on__isnull=True) | Q(left_on__gt=today))
    who = Q(pk__in=members.values("person_id"))
    if network.facilitator_id:
        who |= Q(pk=network.facilitator_id)
    return Person.objects.filter(who).order_by("name", "pk")
