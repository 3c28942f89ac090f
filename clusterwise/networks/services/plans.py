"""Action plans outside meetings: a school's improvement plan, a cluster's development plan
(the third KPALP theme), a network's plan, and performance contracts (imihigo) whose targets
a supervisor signs off. Commitments made at meetings go through services.meetings."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clusterwise.core.audit import audited_save, claim_version
from clusterwise.core.scope import path_in_scope
from clusterwise.org.models import OrgUnit, Person, User

from ..models import Action, ActionPlan, Network

# The level of the unit each kind of plan belongs to (None: any unit, the network's owner).
PLAN_LEVEL = {
    ActionPlan.Kind.SCHOOL: settings.ORG_SCHOOL_LEVEL,
    ActionPlan.Kind.CONTRACT: None,
    ActionPlan.Kind.CLUSTER: "cluster",
    ActionPlan.Kind.NETWORK: None,
}


@transaction.atomic
def plan_create(
    *,
    kind: str,
    title: str,
    org_unit: OrgUnit | None = None,
    network: Network | None = None,
    starts_on: datetime.date,
    ends_on: datetime.date,
    goals: str = "",
    supervisor: Person | None = None,
    by: User | None,
) -> ActionPlan:
    """A plan for a unit in the author's area (a network's plan belongs to its owner unit)."""
    if kind == ActionPlan.Kind.NETWORK:
        if network is None:
            raise ValidationError({"network": _("Choose the network.")})
        org_unit = network.org_unit
    if org_unit is None:
        raise ValidationError({"org_unit": _("Choose the school or unit the plan is for.")})
    level = PLAN_LEVEL[ActionPlan.Kind(kind)]
    if level is not None and org_unit.level != level:
        raise ValidationError(
            {"org_unit": _("This kind of plan is made for a %(level)s.") % {"level": level}}
        )
    if by is not None and kind != ActionPlan.Kind.NETWORK and not path_in_scope(by, org_unit.path):
        raise ValidationError({"org_unit": _("This unit is outside your area.")})
    if kind == ActionPlan.Kind.CONTRACT and supervisor is None:
        raise ValidationError({"supervisor": _("A performance contract names who signs it off.")})
    if ends_on < starts_on:
        raise ValidationError({"ends_on": _("The plan cannot end before it starts.")})
    plan = ActionPlan(
        kind=kind,
        title=title.strip(),
        goals=goals.strip(),
        network=network,
        org_unit=org_unit,
        org_path=org_unit.path,
        starts_on=starts_on,
        ends_on=ends_on,
        supervisor=supervisor,
        # A contract counts once it is signed; until then it is a draft.
        status=ActionPlan.Status.DRAFT
        if kind == ActionPlan.Kind.CONTRACT
        else ActionPlan.Status.ACTIVE,
        created_by=by,
    )
    return audited_save(plan, by=by)  # type: ignore[return-value]


@transaction.atomic
def action_add(
    *,
    plan: ActionPlan,
    text: str,
    owner: Person,
    due_on: datetime.date,
    success_measure: str,
    goal: str = "",
    target: str = "",
    by: User | None,
) -> Action:
    """An action of a plan; a signed contract's actions are fixed."""
    if plan.status == ActionPlan.Status.CLOSED:
        raise ValidationError(_("The plan is closed."))
    if plan.kind == ActionPlan.Kind.CONTRACT and plan.signed_off_at is not None:
        raise ValidationError(_("The contract is signed: its targets are fixed."))
    if plan.kind == ActionPlan.Kind.CONTRACT and not target.strip():
        raise ValidationError({"target": _("Each action of a contract has a target.")})
    if not plan.starts_on <= due_on <= plan.ends_on:
        raise ValidationError({"due_on": _("The due date must lie within the plan's dates.")})
    action = Action(
        plan=plan,
        text=text.strip(),
        owner=owner,
        due_on=due_on,
        success_measure=success_measure.strip(),
        goal=goal.strip(),
        target=target.strip(),
        created_by=by,
    )
    return audited_save(action, by=by)  # type: ignore[return-value]


@transaction.atomic
def plan_sign_off(*, plan: ActionPlan, version: int | None, by: User) -> ActionPlan:
    """The supervisor signs a performance contract: from then on it is active and fixed."""
    if plan.kind != ActionPlan.Kind.CONTRACT:
        raise ValidationError(_("Only performance contracts are signed off."))
    if plan.signed_off_at is not None:
        raise ValidationError(_("The contract is signed already."))
    if plan.supervisor is None or plan.supervisor.user_id != by.pk:
        raise ValidationError(_("Only the contract's supervisor signs it off."))
    if not plan.actions.exists():
        raise ValidationError(_("A contract without actions cannot be signed."))
    claim_version(plan, version)
    plan.signed_off_at = timezone.now()
    plan.status = ActionPlan.Status.ACTIVE
    return audited_save(plan, by=by, reason="signed off")  # type: ignore[return-value]


@transaction.atomic
def plan_close(*, plan: ActionPlan, version: int | None, by: User | None) -> ActionPlan:
    claim_version(plan, version)
    plan.status = ActionPlan.Status.CLOSED
    return audited_save(plan, by=by)  # type: ignore[return-value]
