"""The networks a user sees, a coach's overview of those they moderate, and one network."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from clusterwise.core.scope import get_or_404, path_in_scope
from clusterwise.org import selectors as org_selectors
from clusterwise.org.models import OrgUnit
from clusterwise.org.views import _apply_errors, require_perm

from ..forms import MemberForm, NetworkForm, PersonLookupField
from ..selectors import health
from ..selectors import networks as selectors
from ..selectors.notifications import unread_count
from ..services import networks as services


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


def _schools_by_code(user: Any, text: str) -> list[OrgUnit]:
    """Schools of the user's area named by comma-separated codes; an error names the others."""
    codes = [c.strip() for c in text.replace(";", ",").split(",") if c.strip()]
    found = {
        u.code.lower(): u
        for u in org_selectors.orgunits_for(user).filter(
            level=settings.ORG_SCHOOL_LEVEL, code__in=codes
        )
    }
    missing = [c for c in codes if c.lower() not in found]
    if missing:
        raise ValidationError(
            {
                "schools": _("No school with the code %(codes)s in your area.")
                % {"codes": ", ".join(missing)}
            }
        )
    return [found[c.lower()] for c in codes]


@require_perm("networks.manage_networks")
def network_new(request: HttpRequest) -> HttpResponse:
    """Form a network by hand: its kind, owner unit, facilitator and schools."""
    user: Any = request.user
    form = NetworkForm(request.POST or None, user=user, networks=selectors.networks_for(user))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            network = services.network_create(
                name=data["name"],
                kind=data["kind"],
                org_unit=data["org_unit"],
                facilitator=data["facilitator"],
                schools=_schools_by_code(user, data["schools"]),
                part_of=data["part_of"],
                description=data["description"],
                by=user,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            messages.success(request, _("Network formed."))
            return redirect("networks:network", pk=network.pk)
    return render(request, "networks/network_new.html", {"form": form})


@require_perm("networks.view_networks")
def network_detail(request: HttpRequest, pk: str) -> HttpResponse:
    """A network: its schools, members and parts; who runs it changes its membership."""
    user: Any = request.user
    network = selectors.network_get(user, pk)
    runs = selectors.runs(user, network)
    which = request.POST.get("form") if request.method == "POST" else None
    member_form = MemberForm(request.POST if which == "member" else None, user=user)
    errors: list[str] = []
    if which is not None:
        if not runs:
            raise PermissionDenied
        try:
            if which == "schools":
                services.schools_add(
                    network=network,
                    schools=_schools_by_code(user, request.POST.get("codes", "")),
                    by=user,
                )
            elif which == "school_remove":
                school = get_or_404(
                    OrgUnit.objects.filter(pk__in=network.schools.values("school")),
                    pk=request.POST.get("school"),
                )
                services.school_remove(network=network, school=school, by=user)
            elif which == "member" and member_form.is_valid():
                services.member_add(
                    network=network,
                    person=member_form.cleaned_data["person"],
                    role=member_form.cleaned_data["role"],
                    by=user,
                )
            elif which == "facilitator":
                facilitator_field = PersonLookupField(required=False)
                facilitator_field.user = user
                try:
                    person = facilitator_field.clean(request.POST.get("facilitator", ""))
                except forms.ValidationError as exc:
                    raise ValidationError(exc.messages) from None
                services.network_update(network=network, version=None, by=user, facilitator=person)
            elif which == "member_remove":
                member = get_or_404(network.members.all(), pk=request.POST.get("member"))
                services.member_remove(member=member, by=user)
            if which != "member" or member_form.is_valid():
                messages.success(request, _("Saved."))
                return redirect("networks:network", pk=network.pk)
        except ValidationError as exc:
            errors = exc.messages
    return render(
        request,
        "networks/network.html",
        {
            "network": network,
            "schools": selectors.schools_of(network),
            "members": selectors.members_of(network),
            "parts": selectors.networks_for(user).filter(part_of=network),
            "runs": runs,
            "takes_part": selectors.takes_part(user, network),
            "member_form": member_form,
            "errors": errors,
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
    path("new/", network_new, name="network_new"),
    path("<uuid:pk>/", network_detail, name="network"),
    path("health/", dashboard, name="dashboard_home"),
    path("health/<uuid:unit>/", dashboard, name="dashboard"),
    path("health/<uuid:unit>/map.geojson", dashboard_map, name="dashboard_map"),
]
