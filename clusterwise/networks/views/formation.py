"""Networks proposed from the schools' coordinates: start a run (a job with progress), look
at its groups on a map, move a school or drop a group, accept."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import path
from django.utils.translation import gettext as _

from clusterwise.core.models import Job
from clusterwise.core.scope import get_or_404
from clusterwise.org.views import _apply_errors, require_perm

from .. import jobs
from ..forms import FormationForm
from ..models import FormationRun
from ..selectors import formation as selectors
from ..services import formation as services

FORM = "networks.form_networks"
REASONS = {
    "no_coordinates": _("no coordinates"),
    "too_few_in_reach": _("too few schools within the walking limit"),
    "left_over": _("schools in reach were all taken by other groups"),
}


@require_perm(FORM)
def proposals(request: HttpRequest) -> HttpResponse:
    user: Any = request.user
    form = FormationForm(request.POST or None, user=user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            run = services.formation_start(
                org_unit=data["org_unit"],
                kind=data["kind"],
                rules=services.rules_from(data),
                partition_level=data["partition_level"] or None,
                by=user,
            )
        except ValidationError as exc:
            _apply_errors(form, exc)
        else:
            job = Job.objects.create(
                kind="network_formation",
                created_by=user,
                status=Job.Status.QUEUED,
                preview={"run": str(run.pk)},
            )
            run.job = job
            run.save(update_fields=["job"])
            transaction.on_commit(lambda: jobs.run_formation.enqueue(str(job.pk)))
            return redirect("networks:proposal", pk=run.pk)
    return render(
        request,
        "networks/proposals.html",
        {"form": form, "runs": selectors.runs_for(user)[:50]},
    )


@require_perm(FORM)
def proposal(request: HttpRequest, pk: Any) -> HttpResponse:
    user: Any = request.user
    run = selectors.run_get(user, pk)
    if request.method == "POST":
        which = request.POST.get("form")
        try:
            if which == "keep":
                group = get_or_404(run.groups.all(), pk=request.POST.get("group"))
                services.group_keep(group=group, keep=request.POST.get("keep") == "1", by=user)
            elif which == "move":
                group = get_or_404(run.groups.all(), number=request.POST.get("to"))
                services.group_move_school(
                    run=run, school=request.POST.get("school", ""), to=group, by=user
                )
            elif which == "accept":
                made = services.formation_accept(run=run, by=user)
                messages.success(
                    request, _("%(n)s networks made from the proposal.") % {"n": len(made)}
                )
            elif which == "discard":
                services.formation_discard(run=run, by=user)
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        return redirect("networks:proposal", pk=run.pk)
    template = "networks/_proposal_progress.html" if request.htmx else "networks/proposal.html"  # type: ignore[attr-defined]
    done = run.status != FormationRun.Status.RUNNING
    return render(
        request,
        template,
        {
            "run": run,
            "groups": selectors.groups_named(run) if done else [],
            "unplaced": [
                (u, REASONS.get(u.reason, u.reason)) for u in selectors.unplaced_named(run)[:500]
            ]
            if done
            else [],
            "quality": run.quality,
        },
    )


@require_perm(FORM)
def proposal_map(request: HttpRequest, pk: Any) -> JsonResponse:
    """GeoJSON of the proposal: each school with its group's number (0: left out)."""
    from clusterwise.org.models import School

    run = selectors.run_get(request.user, pk)  # type: ignore[arg-type]
    number = {key: g.number for g in run.groups.all() for key, _m in g.schools}
    hubs = {str(g.hub_id) for g in run.groups.all()}
    features = []
    for unit_id, name, code, lat, lon in School.objects.filter(
        org_unit__path__startswith=run.org_path, latitude__isnull=False
    ).values_list("org_unit_id", "org_unit__name", "org_unit__code", "latitude", "longitude")[
        :20000
    ]:
        key = str(unit_id)
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(lon), float(lat)]},
                "properties": {
                    "number": number.get(key, 0),
                    "network_name": _("group %(n)s") % {"n": number[key]}
                    if key in number
                    else _("left out"),
                    "name": name + (" ★" if key in hubs else ""),
                    "code": code,
                },
            }
        )
    return JsonResponse({"type": "FeatureCollection", "features": features})


urlpatterns = [
    path("proposals/", proposals, name="proposals"),
    path("proposals/<uuid:pk>/", proposal, name="proposal"),
    path("proposals/<uuid:pk>/map.geojson", proposal_map, name="proposal_map"),
]
