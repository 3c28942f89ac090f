"""Who may do what with learning data. Where: the scope layer (learning.selectors); the
children's own results: `selectors.can_see_students`."""

from __future__ import annotations

import rules

from clusterwise.org.models import Role
from clusterwise.org.rules import (
    has_role,
    is_coach,
    is_crc,
    is_data_officer,
    is_district_officer,
    is_headteacher,
    is_state_admin,
)

is_teacher = has_role(Role.TEACHER)

can_manage = is_state_admin | is_district_officer | is_data_officer

rules.add_perm("learning.manage_rounds", can_manage)
rules.add_perm("learning.import_results", can_manage)
rules.add_perm(
    "learning.view_results", can_manage | is_coach | is_crc | is_headteacher | is_teacher
)
