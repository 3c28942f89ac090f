"""Who may do what in the programme. Object permissions take a cohort or a cohort member;
where a record lies is still the scope layer's job (programme.selectors)."""

from __future__ import annotations

from typing import Any

import rules

from clusterwise.core.scope import path_in_scope
from clusterwise.org.rules import (
    is_coach,
    is_crc,
    is_data_officer,
    is_district_officer,
    is_state_admin,
)

from .models import Cohort, CohortMember


def _cohort(obj: Any) -> Cohort | None:
    if isinstance(obj, Cohort):
        return obj
    if isinstance(obj, CohortMember):
        return obj.cohort
    return getattr(obj, "cohort", None)


@rules.predicate
def manages_cohort(user: Any, obj: Any) -> bool:
    """A state admin or district officer whose area includes the unit running the cohort."""
    cohort = _cohort(obj)
    if cohort is None or not (is_state_admin(user) or is_district_officer(user)):
        return False
    return path_in_scope(user, cohort.org_path)


def _staff_roles(user: Any, cohort: Cohort) -> set[str]:
    cache = getattr(user, "_cohort_roles", None)
    if cache is None:
        cache = user._cohort_roles = {}
    if cohort.pk not in cache:
        cache[cohort.pk] = set(
            CohortMember.objects.filter(
                cohort=cohort, person__user=user, left_on__isnull=True
            ).values_list("role", flat=True)
        )
    return cache[cohort.pk]


@rules.predicate
def is_cohort_staff(user: Any, obj: Any) -> bool:
    """A master facilitator, coach or expert of the cohort."""
    cohort = _cohort(obj)
    if cohort is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(_staff_roles(user, cohort) - {CohortMember.Role.CRC})


@rules.predicate
def supports_member(user: Any, member: Any) -> bool:
    """The member's coach, or the master facilitator or expert above that coach."""
    if not isinstance(member, CohortMember) or not getattr(user, "is_authenticated", False):
        return False
    supporter = member.supported_by
    for _ in range(3):
        if supporter is None:
            return False
        if supporter.person.user_id == user.pk:
            return True
        supporter = supporter.supported_by
    return False


@rules.predicate
def is_member_self(user: Any, member: Any) -> bool:
    return (
        isinstance(member, CohortMember)
        and getattr(user, "is_authenticated", False)
        and member.person.user_id == user.pk
    )


can_manage_cohorts = is_state_admin | is_district_officer
rules.add_perm("programme.view_programme", can_manage_cohorts | is_coach | is_crc | is_data_officer)
rules.add_perm("programme.add_cohort", can_manage_cohorts)
rules.add_perm("programme.change_cohort", manages_cohort)
rules.add_perm("programme.run_workshops", manages_cohort | is_cohort_staff)
rules.add_perm("programme.coach_member", manages_cohort | supports_member)
rules.add_perm("programme.act_as_member", is_member_self)

rules.add_perm("skills.manage_frameworks", is_state_admin)
