"""The networks a user sees, a coach's overview of those they moderate, and one network."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import path

from clusterwise.org.views import require_perm

from ..selectors import networks as selectors


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


urlpatterns = [
    path("", index, name="index"),
    path("<uuid:pk>/", network_detail, name="network"),
]
