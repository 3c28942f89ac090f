"""Role predicates: who may do what. Where they may do it is the scope layer's job."""

from __future__ import annotations

from typing import Any

import rules

from clusterwise.core.scope import minimal_prefixes

from .models import Assignment, Role


def roles_of(user: Any) -> frozenset[str]:
    """The roles of a user's active assignments (cached on the user for the request)."""
    if not getattr(user, "is_authenticated", False):
        return frozenset()
    cached = getattr(user, "_roles", None)
    if cached is None:
        posts = list(
            Assignment.objects.active().filter(person__user=user).values_list("role", "org_path")
        )
        cached = frozenset(role for role, _ in posts)
        user._roles = cached
        # The same rows give the user's scope: fill that cache too (one query, not two).
        if user.is_active and not user.is_superuser and getattr(user, "_scope_paths", None) is None:
            user._scope_paths = minimal_prefixes([path for _, path in posts])
    return cached


def has_role(*wanted: str) -> rules.Predicate:
    @rules.predicate(name="has_role(" + ",".join(wanted) + ")")
    def predicate(user: Any) -> bool:
        return bool(roles_of(user) & set(wanted))

    return predicate


is_superuser = rules.is_superuser
is_state_admin = is_superuser | has_role(Role.STATE_ADMIN)
is_district_officer = has_role(Role.DISTRICT_OFFICER)
is_data_officer = has_role(Role.DATA_OFFICER)
is_coach = has_role(Role.COACH, Role.MASTER_FACILITATOR)
is_crc = has_role(Role.CRC)
is_headteacher = has_role(Role.HEADTEACHER, Role.LEADER_OF_LEARNING)

can_import_org = is_state_admin | is_data_officer
can_manage_people = is_state_admin | is_district_officer | is_data_officer
can_view_people = can_manage_people | is_coach | is_crc | is_headteacher
can_view_history = is_state_admin | is_district_officer

rules.add_perm("org.import_org", can_import_org)
rules.add_perm("org.manage_people", can_manage_people)
rules.add_perm("org.view_people", can_view_people)
rules.add_perm("org.view_history", can_view_history)
