"""Forming networks and changing who is in them."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clusterwise.core.audit import audited_save, claim_version
from clusterwise.core.scope import path_in_scope
from clusterwise.org.models import Assignment, OrgUnit, Person, Role, User

from ..models import Network, NetworkMember, NetworkSchool

# The role a person has in a network, from their post at one of its schools.
MEMBER_ROLE_OF_POST = {
    Role.HEADTEACHER: NetworkMember.Role.HEADTEACHER,
    Role.TEACHER: NetworkMember.Role.TEACHER,
    Role.LEADER_OF_LEARNING: NetworkMember.Role.LEADER,
}


def _check_owner(by: User | None, org_unit: OrgUnit) -> None:
    if by is not None and not path_in_scope(by, org_unit.path):
        raise ValidationError({"org_unit": _("This unit is outside your area.")})


def _check_schools(network: Network, schools: Iterable[OrgUnit]) -> list[OrgUnit]:
    schools = list(schools)
    for school in schools:
        if school.level != settings.ORG_SCHOOL_LEVEL:
            raise ValidationError({"schools": _("%(name)s is not a school.") % {"name": school}})
        if network.kind != Network.Kind.TEACHER_COP and not school.path.startswith(
            network.org_path
        ):
            raise ValidationError(
                {
                    "schools": _("%(name)s lies outside %(owner)s, which owns the network.")
                    % {"name": school, "owner": network.org_unit}
                }
            )
    return schools


@transaction.atomic
def network_create(
    *,
    name: str,
    kind: str,
    org_unit: OrgUnit,
    facilitator: Person | None,
    schools: Iterable[OrgUnit] = (),
    started_on: datetime.date | None = None,
    description: str = "",
    part_of: Network | None = None,
    meeting_school: OrgUnit | None = None,
    with_headteachers: bool = True,
    walking_minutes: dict[str, int] | None = None,
    by: User | None,
) -> Network:
    """A network with its schools; their headteachers join as members unless told not to."""
    _check_owner(by, org_unit)
    network = Network(
        name=name.strip(),
        kind=kind,
        org_unit=org_unit,
        org_path=org_unit.path,
        facilitator=facilitator,
        description=description.strip(),
        started_on=started_on or timezone.localdate(),
        part_of=part_of,
        meeting_school=meeting_school,
        created_by=by,
    )
    audited_save(network, by=by)
    schools_add(
        network=network,
        schools=schools,
        with_headteachers=with_headteachers,
        walking_minutes=walking_minutes,
        by=by,
    )
    return network


@transaction.atomic
def network_update(
    *,
    network: Network,
    version: int | None,
    by: User | None,
    **changes: object,
) -> Network:
    """Rename, re-describe, change the facilitator or close a network."""
    allowed = {"name", "description", "facilitator", "meeting_school", "closed_on", "part_of"}
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"network_update cannot change {sorted(unknown)}")
    claim_version(network, version)
    for field, value in changes.items():
        setattr(network, field, value.strip() if isinstance(value, str) else value)
    return audited_save(network, by=by)  # type: ignore[return-value]


@transaction.atomic
def schools_add(
    *,
    network: Network,
    schools: Iterable[OrgUnit],
    with_headteachers: bool = True,
    walking_minutes: dict[str, int] | None = None,
    by: User | None,
) -> list[NetworkSchool]:
    """Add schools (again, if they had left); their headteachers join as members."""
    today = timezone.localdate()
    added = []
    for school in _check_schools(network, schools):
        link = NetworkSchool.objects.filter(network=network, school=school).first()
        if link is None:
            link = NetworkSchool(
                network=network,
                school=school,
                school_path=school.path,
                joined_on=today,
                created_by=by,
                walking_minutes=(walking_minutes or {}).get(str(school.pk)),
            )
            audited_save(link, by=by)
        elif link.left_on is not None:
            link.left_on = None
            audited_save(link, by=by)
        added.append(link)
    if with_headteachers and added:
        heads = (
            Assignment.objects.active()
            .filter(
                org_unit__in=[link.school for link in added],
                role__in=[Role.HEADTEACHER, Role.LEADER_OF_LEARNING],
            )
            .select_related("person")
        )
        for post in heads:
            member_add(
                network=network,
                person=post.person,
                role=MEMBER_ROLE_OF_POST[Role(post.role)],
                school=post.org_unit,
                by=by,
            )
    return added


@transaction.atomic
def school_remove(*, network: Network, school: OrgUnit, by: User | None) -> None:
    """A school leaves (kept in the history); its people's memberships end with it."""
    today = timezone.localdate()
    link = NetworkSchool.objects.filter(network=network, school=school, left_on=None).first()
    if link is None:
        raise ValidationError(_("This school is not in the network."))
    link.left_on = today
    audited_save(link, by=by)
    for member in network.members.filter(school=school, left_on=None):
        member.left_on = today
        audited_save(member, by=by)


@transaction.atomic
def member_add(
    *,
    network: Network,
    person: Person,
    role: str,
    school: OrgUnit | None = None,
    by: User | None,
) -> NetworkMember:
    """Add a person (again, if they had left)."""
    if school is not None and not network.schools.filter(school=school, left_on=None).exists():
        raise ValidationError({"school": _("This school is not in the network.")})
    member = NetworkMember.objects.filter(network=network, person=person).first()
    if member is None:
        member = NetworkMember(
            network=network,
            person=person,
            role=role,
            school=school,
            joined_on=timezone.localdate(),
            created_by=by,
        )
        audited_save(member, by=by)
    elif member.left_on is not None or member.role != role:
        member.left_on = None
        member.role = role
        member.school = school or member.school
        audited_save(member, by=by)
    return member


@transaction.atomic
def member_remove(*, member: NetworkMember, by: User | None) -> NetworkMember:
    member.left_on = timezone.localdate()
    return audited_save(member, by=by)  # type: ignore[return-value]
