"""Who may do what with classroom observations. Where they may do it is the scope layer's
job (observation.selectors)."""

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

# Observers: CRCs, coaches and master facilitators, headteachers and leaders of learning.
can_observe = is_crc | is_coach | is_headteacher
# Those who see their area's submitted observations (a teacher sees only their own).
can_view_area = is_state_admin | is_district_officer | is_data_officer | can_observe
# Those who judge a CRC's written feedback and settle sync conflicts in their area.
can_supervise = is_state_admin | is_district_officer | is_coach

rules.add_perm("observation.manage_instruments", is_state_admin)
rules.add_perm("observation.observe", can_observe)
rules.add_perm("observation.view_area", can_view_area)
rules.add_perm("observation.view_own_feedback", is_teacher | is_headteacher)
rules.add_perm("observation.review_feedback", can_supervise)
rules.add_perm("observation.resolve_conflicts", can_supervise)
