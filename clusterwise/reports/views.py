"""Downloads: the growth report as Excel and PDF, and a CRC's one-page profile (PDF)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.utils import timezone

from clusterwise.programme import selectors as programme_selectors
from clusterwise.programme.models import CohortMember
from clusterwise.skills import selectors as skill_selectors
from clusterwise.skills.models import LEVEL_NAMES, LEVELS, Round
from clusterwise.skills.views import _cohort, _growth_form

from .exports import GrowthExport, growth_pdf, growth_workbook, profile_pdf

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _export(request: HttpRequest, pk: Any) -> GrowthExport:
    cohort = _cohort(request, pk)  # the programme permission, then the cohort in scope (404)
    form = _growth_form(request, cohort)
    if not form.is_valid():
        raise Http404
    unit = form.cleaned_data["within_unit"]
    crcs = programme_selectors.crcs_for(request.user, cohort, within=unit.path if unit else None)  # type: ignore[arg-type]
    before, after = form.cleaned_data["before"], form.cleaned_data["after"]
    return GrowthExport(
        cohort=cohort,
        before=before,
        after=after,
        unit=unit,
        report=skill_selectors.growth_for(crcs, cohort, before=before, after=after),
        skills=skill_selectors.skills_of(cohort),
        crcs=crcs,
    )


def _download(content: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
def growth_xlsx(request: HttpRequest, pk: Any) -> HttpResponse:
    export = _export(request, pk)
    return _download(growth_workbook(export), XLSX, export.filename("xlsx"))


@login_required
def growth_pdf_view(request: HttpRequest, pk: Any) -> HttpResponse:
    export = _export(request, pk)
    return _download(growth_pdf(export), "application/pdf", export.filename("pdf"))


@login_required
def profile_pdf_view(request: HttpRequest, pk: Any) -> HttpResponse:
    """One page about one CRC, for their file or a review meeting."""
    if not request.user.has_perm("programme.view_programme"):
        raise PermissionDenied
    member = programme_selectors.member_get(request.user, pk)  # type: ignore[arg-type]
    if member.role != CohortMember.Role.CRC:
        raise Http404
    cohort = member.cohort
    levels = skill_selectors.levels_of(member)
    rounds = [(r, Round(r).label) for r in Round.values if r in levels]
    themes = skill_selectors.themes_with_skills(cohort.framework)
    marks = list(member.attendance.values_list("status", flat=True))
    submissions = list(member.submissions.values_list("status", flat=True))
    content = profile_pdf(
        {
            "member": member,
            "cohort": cohort,
            "themes": themes,
            "levels": levels,
            "rounds": rounds,
            "level_names": [(lv, LEVEL_NAMES[lv]) for lv in LEVELS],
            "attended": sum(1 for m in marks if m in ("present", "late")),
            "marked": len(marks),
            "submitted": len(submissions),
            "accepted": submissions.count("accepted"),
            "assignments": cohort.field_assignments.filter(
                due_on__lte=timezone.localdate()
            ).count(),
            "visits": programme_selectors.visits_of(member).count(),
            "open_actions": list(programme_selectors.open_actions(member)),
        }
    )
    filename = f"profile-{member.person.name.encode('ascii', 'ignore').decode().replace(' ', '-').lower() or member.pk}.pdf"
    return _download(content, "application/pdf", filename)
