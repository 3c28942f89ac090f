"""Who may do what with networks, by role. Where (which networks) is the scope layer's and
`selectors.networks`' job: officers see their subtree, facilitators and members their own."""

from __future__ import annotations

import rules

from clusterwise.org.models import Role
from clusterwise.org.rules import (
    has_role,
    is_coach,
    is_crc,
    is_district_officer,
    is_headteacher,
    is_state_admin,
)

is_teacher = has_role(Role.TEACHER)
is_leader_of_learning = has_role(Role.LEADER_OF_LEARNING)

can_manage = is_state_admin | is_district_officer
can_facilitate = can_manage | is_coach | is_crc | is_leader_of_learning

rules.add_perm("networks.manage_networks", can_manage)
rules.add_perm("networks.form_networks", can_manage)
rules.add_perm("networks.facilitate", can_facilitate)
rules.add_perm("networks.view_networks", can_facilitate | is_headteacher | is_teacher)
rules.add_perm("networks.manage_review_frameworks", is_state_admin)
