"""Pages of learning data: rounds, imports with their reports, gap analysis, block ranking."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from clusterwise.core.audit import log_read
from clusterwise.core.models import Job
from clusterwise.core.scope import get_or_404
from clusterwise.org import selectors as org_selectors
from clusterwise.org.views import require_perm
from clusterwise.reports import charts

from . import exports, imports, ranking, selectors, services, tasks
from .forms import ResultsUploadForm, RoundDefinitionForm
from .models import ResultImport

EXAMPLE = Path(__file__).resolve().parent / "rounds" / "foundational_baseline.json"


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_perm("learning.view_results")
def index(request: HttpRequest) -> HttpResponse:
    user = request.user
    rounds = list(selectors.rounds_for(user))  # type: ignore[arg-type]
    roots = org_selectors.scope_roots(user)  # type: ignore[arg-type]
    return render(
        request,
        "learning/index.html",
        {
            "rounds": rounds,
            "root": roots[0] if roots else None,
            "manage": user.has_perm("learning.manage_rounds"),
        },
    )


@require_perm("learning.view_results")
def round_detail(request: HttpRequest, key: str) -> HttpResponse:
    user = request.user
    round_ = selectors.round_get(user, key)  # type: ignore[arg-type]
    roots = org_selectors.scope_roots(user)  # type: ignore[arg-type]
    can_import = user.has_perm("learning.import_results")
    districts = [
        unit
        for unit in org_selectors.orgunits_for(user).filter(level="district").order_by("name")  # type: ignore[arg-type]
        if unit.path.startswith(round_.org_path) or round_.org_path.startswith(unit.path)
    ]
    return render(
        request,
        "learning/round.html",
        {
            "round": round_,
            "competencies": selectors.competencies_of(round_),
            "levels": selectors.levels_of(round_),
            "imports": selectors.imports_for(user, round_)[:50],  # type: ignore[arg-type]
            "totals": selectors.round_totals(round_),
            "root": roots[0] if roots else None,
            "can_import": can_import,
            "districts": districts,
        },
    )


@require_perm("learning.manage_rounds")
def round_define(request: HttpRequest) -> HttpResponse:
    """Define a round from its JSON form; every problem shown at once, the text kept."""
    initial = {"definition": EXAMPLE.read_text(encoding="utf-8")}
    form = RoundDefinitionForm(request.POST or None, request.FILES or None, initial=initial)
    problems: list[tuple[str, str]] = []
    if request.method == "POST" and form.is_valid():
        try:
            round_ = services.round_load(data=form.cleaned_data["parsed"], by=request.user)  # type: ignore[arg-type]
        except ValidationError as exc:
            problems = [
                (where, message)
                for where, messages in getattr(exc, "message_dict", {"": exc.messages}).items()
                for message in messages
            ]
        else:
            return redirect("learning:round", key=round_.key)
    return render(request, "learning/define.html", {"form": form, "problems": problems})


@require_perm("learning.import_results")
def import_upload(request: HttpRequest, key: str) -> HttpResponse:
    round_ = selectors.round_get(request.user, key)  # type: ignore[arg-type]
    form = ResultsUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        job = Job(
            kind="import_results",
            created_by=request.user,
            original_name=upload.name[:255],
            status=Job.Status.QUEUED,
            preview={"round": str(round_.pk), "mode": form.cleaned_data["mode"]},
        )
        suffix = Path(upload.name).suffix.lower() or ".csv"
        job.file.save(f"results-{job.pk}{suffix}", upload, save=False)
        job.save()
        transaction.on_commit(lambda: tasks.run_results_import.enqueue(str(job.pk)))
        return redirect("learning:import_job", pk=job.pk)
    return render(request, "learning/import.html", {"round": round_, "form": form})


@require_perm("learning.import_results")
def import_job(request: HttpRequest, pk: Any) -> HttpResponse:
    """The progress of an upload, then what it did (polled by htmx while it runs)."""
    job = get_or_404(Job.objects.filter(created_by=request.user, kind="import_results"), pk=pk)
    batch = ResultImport.objects.filter(job=job).select_related("round").first()
    context = {"job": job, "batch": batch, "problems": batch.problems.all()[:100] if batch else []}
    template = "learning/_import_progress.html" if request.htmx else "learning/import_job.html"  # type: ignore[attr-defined]
    return render(request, template, context)


def _stream(rows: Any, name: str) -> StreamingHttpResponse:
    response = StreamingHttpResponse(rows, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@require_perm("learning.import_results")
def import_problems(request: HttpRequest, key: str, pk: Any) -> StreamingHttpResponse:
    round_ = selectors.round_get(request.user, key)  # type: ignore[arg-type]
    batch = selectors.import_get(request.user, round_, pk)  # type: ignore[arg-type]
    return _stream(imports.problems_csv(batch), f"problems-{batch.file_name}.csv")


@require_perm("learning.import_results")
def import_quarantine(request: HttpRequest, key: str, pk: Any) -> StreamingHttpResponse:
    round_ = selectors.round_get(request.user, key)  # type: ignore[arg-type]
    batch = selectors.import_get(request.user, round_, pk)  # type: ignore[arg-type]
    return _stream(imports.quarantine_csv(batch), f"set-aside-{batch.file_name}.csv")


@require_perm("learning.view_results")
def gaps(request: HttpRequest, key: str, unit: Any = None) -> HttpResponse:
    """The gap analysis of one unit: by competency, levels, gender, against its parent and
    siblings, its children to drill into, and the change since the round before."""
    user = request.user
    round_ = selectors.round_get(user, key)  # type: ignore[arg-type]
    if unit is None:
        roots = org_selectors.scope_roots(user)  # type: ignore[arg-type]
        if not roots:
            raise Http404
        return redirect("learning:gaps", key=key, unit=roots[0].pk)
    org_unit = org_selectors.orgunit_get(user, unit)  # type: ignore[arg-type]
    report = selectors.report(
        user,  # type: ignore[arg-type]
        round_,
        org_unit,
        grade=_int(request.GET.get("grade")),
        subject=request.GET.get("subject"),
    )
    breadcrumb = org_selectors.ancestors_in_scope(user, org_unit)  # type: ignore[arg-type]
    return render(
        request,
        "learning/gaps.html",
        {
            "r": report,
            "round": round_,
            "breadcrumb": breadcrumb,
            "subjects": selectors.subjects_of(round_),
            "grades": sorted(round_.grades),
            "query": f"?grade={report.grade}&subject={report.subject}",
            "districts_below": org_unit.level in ("state", "district"),
            "small": settings.SMALL_CELL,
            "legend": [
                ("< 25%", "learning-band-0"),
                ("25–50%", "learning-band-1"),
                ("50–75%", "learning-band-2"),
                ("≥ 75%", "learning-band-3"),
                (_("hidden or no results"), "learning-band-none"),
            ],
        },
    )


@require_perm("learning.view_results")
def gaps_xlsx(request: HttpRequest, key: str, unit: Any) -> FileResponse:
    """The page's figures as a workbook (hidden figures stay hidden)."""
    user = request.user
    round_ = selectors.round_get(user, key)  # type: ignore[arg-type]
    org_unit = org_selectors.orgunit_get(user, unit)  # type: ignore[arg-type]
    report = selectors.report(
        user,  # type: ignore[arg-type]
        round_,
        org_unit,
        grade=_int(request.GET.get("grade")),
        subject=request.GET.get("subject"),
    )
    name = f"gaps-{round_.key}-{org_unit.code}-grade{report.grade}-{report.subject}.xlsx"
    return FileResponse(
        exports.report_workbook(report),
        as_attachment=True,
        filename=slugify_filename(name),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )


def slugify_filename(name: str) -> str:
    """ASCII letters, digits, dots and dashes only."""
    return "".join(ch if ch.isascii() and (ch.isalnum() or ch in ".-") else "-" for ch in name)


@require_perm("learning.view_results")
def gaps_chart(request: HttpRequest, key: str, unit: Any) -> HttpResponse:
    """Proficiency per competency: the unit beside its ancestors (an SVG for the page)."""
    user = request.user
    round_ = selectors.round_get(user, key)  # type: ignore[arg-type]
    org_unit = org_selectors.orgunit_get(user, unit)  # type: ignore[arg-type]
    report = selectors.report(
        user,  # type: ignore[arg-type]
        round_,
        org_unit,
        grade=_int(request.GET.get("grade")),
        subject=request.GET.get("subject"),
    )
    values = []
    for figures in [*report.ancestors, report.figures]:
        for comp in report.competencies:
            figure = figures.by_competency.get(comp.pk)
            if figure is not None and figure.proficient is not None:
                values.append(
                    {
                        "unit": figures.unit.name,
                        "competency": selectors.name_of(comp),
                        "proficient": figure.proficient,
                    }
                )
    spec = {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 480,
        "data": {"values": values},
        "mark": "bar",
        "encoding": {
            "y": {"field": "competency", "type": "nominal", "title": None},
            "yOffset": {
                "field": "unit",
                "sort": [f.unit.name for f in [*report.ancestors, report.figures]],
            },
            "x": {
                "field": "proficient",
                "type": "quantitative",
                "title": _("% proficient"),
                "scale": {"domain": [0, 100]},
            },
            "color": {
                "field": "unit",
                "title": None,
                "sort": [f.unit.name for f in [*report.ancestors, report.figures]],
                "scale": {"scheme": "blues"},
                "legend": {"orient": "bottom"},
            },
        },
    }
    response = HttpResponse(charts.svg(spec), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


@require_perm("learning.view_results")
def gaps_map(request: HttpRequest, key: str, unit: Any) -> JsonResponse:
    """The unit's schools as GeoJSON points with their share proficient (suppressed)."""
    user = request.user
    round_ = selectors.round_get(user, key)  # type: ignore[arg-type]
    org_unit = org_selectors.orgunit_get(user, unit)  # type: ignore[arg-type]
    features = selectors.school_map(
        user,  # type: ignore[arg-type]
        round_,
        org_unit,
        grade=_int(request.GET.get("grade")),
        subject=request.GET.get("subject"),
    )
    return JsonResponse({"type": "FeatureCollection", "features": features})


@require_perm("learning.view_results")
def classes(request: HttpRequest, key: str, school: Any) -> HttpResponse:
    """The school's classes and competencies to re-teach, and one class's results: for the
    school's own staff and its CRC only."""
    user = request.user
    round_ = selectors.round_get(user, key)  # type: ignore[arg-type]
    unit = org_selectors.orgunit_get(user, school)  # type: ignore[arg-type]
    if not unit.is_school or not selectors.can_see_students(user, unit):  # type: ignore[arg-type]
        raise PermissionDenied
    grade = _int(request.GET.get("grade"))
    section = request.GET.get("section")
    results = None
    reteach = selectors.reteach_list(user, round_, unit)  # type: ignore[arg-type]
    if grade is not None:
        results = selectors.class_table(user, round_, unit, grade, section)  # type: ignore[arg-type]
    log_read(
        user=user,
        what="learning.class_results" if results else "learning.reteach",
        org_path=unit.path,
        detail=f"{round_.key} {unit.code}"
        + (f" grade {grade}" if grade is not None else "")
        + (f" section {section}" if section else ""),
        rows=len(results.rows) if results else 0,
    )
    return render(
        request,
        "learning/classes.html",
        {
            "round": round_,
            "unit": unit,
            "reteach": reteach,
            "grade": grade,
            "section": section,
            "results": results,
            "share_class": round(100 * settings.RETEACH_CLASS_SHARE),
            "share_score": round(100 * settings.RETEACH_SCORE_SHARE),
        },
    )


@require_perm("learning.view_results")
def block_ranking(request: HttpRequest, key: str, district: Any) -> HttpResponse:
    user = request.user
    round_ = selectors.round_get(user, key)  # type: ignore[arg-type]
    unit = org_selectors.orgunit_get(user, district)  # type: ignore[arg-type]
    if unit.level != "district":
        raise Http404
    subjects = selectors.subjects_of(round_)
    subject = request.GET.get("subject")
    subject = subject if subject in subjects else ranking.default_subject(round_)
    metric = request.GET.get("metric")
    metric = metric if metric in ranking.METRICS else "proficient"
    ranked = ranking.rank_blocks(round_, unit, subject=subject, metric=metric)
    return render(
        request,
        "learning/ranking.html",
        {
            "round": round_,
            "district": unit,
            "ranked": ranked,
            "subjects": subjects,
            "subject": subject,
            "metric": metric,
            "metrics": ranking.METRICS,
            "cohort_url": reverse("programme:cohort_new")
            if user.has_perm("programme.add_cohort")
            else "",
        },
    )
