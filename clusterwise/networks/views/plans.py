"""Action plans: school improvement plans, cluster development plans, network plans and
performance contracts, with their actions; a supervisor signs a contract off."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from clusterwise.core.scope import prefix_q, scope_q
from clusterwise.org.models import Assignment, Person, Role
from clusterwise.org.views import _apply_errors, require_perm

from ..forms import ActionForm, PlanForm
from ..models import ActionPlan
from ..selectors import networks as network_selectors
from ..selectors import plans as selectors
from ..services import plans as services

VIEW = "networks.view_networks"


# Who may sign a contract off: someone who supervises schools or clusters.
SUPERVISORS = [Role.CRC, Role.COACH, Role.LEADER_OF_LEARNING, Role.DISTRICT_OFFICER]


def _supervisors(user: Any) -> Any:
    posts = Assignment.objects.active().filter(scope_q(user, "org_path"), role__in=SUPERVISORS)
    return Person.objects.filter(pk__in=posts.values("person")).order_by("name")


def _owners(plan: ActionPlan) -> Any:
    """Who can own an action: the people of the plan's unit, or the network's."""
    if plan.network is not None:
        return network_selectors.people_of(plan.network)
    posts = Assignment.objects.active().filter(prefix_q("org_path", plan.org_path))
    return Person.objects.filter(pk__in=posts.values("person")).order_by("name")


@require_perm(VIEW)
def plans(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    return render(request, "networks/plans.html", {"plans": selectors.plans_for(user)[:200]})


@require_perm(VIEW)
def plan_new(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = PlanForm(
        request.POST or None,
        user=user,
        networks=network_selectors.networks_for(user),
        people=_supervisors(user),
    )
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.plan_create(by=user, **form.cleaned_data)
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Plan made: add its actions."))
            return redirect("networks:plan", pk=plan.pk)
    return render(request, "networks/plan_new.html", {"form": form})


@require_perm(VIEW)
def plan_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    user: Any = request.user
    plan = selectors.plan_get(user, pk)
    can_edit = selectors.may_edit(user, plan)
    form = ActionForm(
        request.POST if request.POST.get("form") == "action" else None, people=_owners(plan)
    )
    if request.method == "POST":
        which = request.POST.get("form")
        try:
            if which == "action":
                if not can_edit:
                    raise PermissionDenied
                if form.is_valid():
                    services.action_add(plan=plan, by=user, **form.cleaned_data)
                    messages.success(request, _("Action added."))
                    return redirect("networks:plan", pk=plan.pk)
            elif which == "sign":
                services.plan_sign_off(plan=plan, version=None, by=user)
                messages.success(request, _("Contract signed off."))
                return redirect("networks:plan", pk=plan.pk)
        except ValidationError as exc:
            if which == "action":
                _apply_errors(form, exc)
            else:
                messages.error(request, " ".join(exc.messages))
    return render(
        request,
        "networks/plan.html",
        {
            "plan": plan,
            "actions": selectors.actions_of(plan),
            "form": form,
            "can_edit": can_edit and plan.status != ActionPlan.Status.CLOSED,
            "can_sign": plan.kind == ActionPlan.Kind.CONTRACT
            and plan.signed_off_at is None
            and plan.supervisor is not None
            and plan.supervisor.user_id == user.pk,
        },
    )


urlpatterns = [
    path("plans/", plans, name="plans"),
    path("plans/new/", plan_new, name="plan_new"),
    path("plans/<uuid:pk>/", plan_detail, name="plan"),
]
