"""Action plans a user may see: those of units in their area, of networks they see, and
those holding their own actions or awaiting their signature."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from clusterwise.core.scope import get_or_404, path_in_scope, scope_q
from clusterwise.org.models import User

from ..models import Action, ActionPlan
from .networks import networks_for, runs


def plans_for(user: User) -> QuerySet[ActionPlan]:
    if not user.is_authenticated:
        return ActionPlan.objects.none()
    visible_network = networks_for(user).filter(pk=OuterRef("network"))
    own_action = Action.objects.filter(plan=OuterRef("pk"), owner__user=user)
    return (
        ActionPlan.objects.filter(
            scope_q(user, "org_path")
            | Q(Exists(visible_network))
            | Q(Exists(own_action))
            | Q(supervisor__user=user)
        )
        .select_related("org_unit", "network", "supervisor")
        .annotate(
            n_actions=Count("actions", distinct=True),
            n_done=Count("actions", filter=Q(actions__status="done"), distinct=True),
        )
        .order_by("-starts_on", "title")
    )


def plan_get(user: User, pk: Any) -> ActionPlan:
    return get_or_404(plans_for(user), pk=pk)


def may_edit(user: User, plan: ActionPlan) -> bool:
    """Who keeps a plan: people of its unit's area, or those who run its network."""
    if plan.network is not None and runs(user, plan.network):
        return True
    return plan.kind != ActionPlan.Kind.NETWORK and path_in_scope(user, plan.org_path)


def actions_of(plan: ActionPlan) -> QuerySet[Action]:
    return plan.actions.select_related("owner", "made_in").order_by("due_on", "text")
