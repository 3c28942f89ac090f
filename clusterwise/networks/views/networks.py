"""The networks a user sees, a coach's overview of those they moderate, and one network."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path

from clusterwise.core.scope import path_in_scope
from clusterwise.org import selectors as org_selectors
from clusterwise.org.models import OrgUnit
from clusterwise.org.views import require_perm

from ..selectors import health
from ..selectors import networks as selectors
from ..selectors.notifications import unread_count


@require_perm("networks.view_networks")
def index(request: HttpRequest) -> HttpResponse:
    """Every network in view; a facilitator's own come first, with what is stuck in each."""
    user = request.user
    visible = selectors.networks_for(user)  # type: ignore[arg-type]
    mine = selectors.facilitated_by(user)  # type: ignore[arg-type]
    return render(
        request,
        "networks/index.html",
        {
            "moderated": selectors.health_of(mine),
            "networks": selectors.health_of(visible.exclude(pk__in=mine.values("pk"))[:200]),
            "manage": user.has_perm("networks.manage_networks"),
            "facilitate": user.has_perm("networks.facilitate"),
            "unread": unread_count(user),  # type: ignore[arg-type]
        },
    )


@require_perm("networks.view_networks")
def network_detail(request: HttpRequest, pk: str) -> HttpResponse:
    user = request.user
    network = selectors.network_get(user, pk)  # type: ignore[arg-type]
    return render(
        request,
        "networks/network.html",
        {
            "network": network,
            "schools": selectors.schools_of(network),
            "members": selectors.members_of(network),
            "parts": selectors.networks_for(user).filter(part_of=network),  # type: ignore[arg-type]
            "runs": selectors.runs(user, network),  # type: ignore[arg-type]
            "takes_part": selectors.takes_part(user, network),  # type: ignore[arg-type]
        },
    )


@require_perm("networks.view_networks")
def dashboard(request: HttpRequest, unit: str | None = None) -> HttpResponse:
    """Networks' health per child unit of a district or the state, and their map."""
    user: Any = request.user
    if unit is None:
        roots = org_selectors.scope_roots(user)
        if not roots:
            raise Http404
        return redirect("networks:dashboard", unit=roots[0].pk)
    found = org_selectors.orgunit_get(user, unit)
    return render(
        request,
        "networks/dashboard.html",
        {
            "unit": found,
            "ancestors": [
                a for a in OrgUnit.objects.get_ancestors(found) if path_in_scope(user, a.path)
            ],
            "rows": health.health_by_unit(user, found),
        },
    )


@require_perm("networks.view_networks")
def dashboard_map(request: HttpRequest, unit: str) -> JsonResponse:
    user: Any = request.user
    return JsonResponse(health.network_map(user, org_selectors.orgunit_get(user, unit)))


urlpatterns = [
    path("", index, name="index"),
    path("<uuid:pk>/", network_detail, name="network"),
    path("health/", dashboard, name="dashboard_home"),
    path("health/<uuid:unit>/", dashboard, name="dashboard"),
    path("health/<uuid:unit>/map.geojson", dashboard_map, name="dashboard_map"),
]
