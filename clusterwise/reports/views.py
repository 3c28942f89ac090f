"""Downloads: the growth report as Excel and PDF, and a CRC's one-page profile (PDF)."""

from __future__ import annotations

from typing import IO, Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest

from clusterwise.programme import selectors as programme_selectors
from clusterwise.programme.models import CohortMember
from clusterwise.skills import selectors as skill_selectors
from clusterwise.skills.views import _cohort, _growth_form

from . import selectors
from .exports import GrowthExport, growth_pdf, growth_workbook, profile_filename, profile_pdf

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
PDF = "application/pdf"
VIEW_PROGRAMME = "programme.view_programme"


def _export(request: HttpRequest, pk: Any) -> GrowthExport:
    """The growth report the query asks for, over the CRCs the user sees (as the page)."""
    cohort = _cohort(request, pk)  # the programme permission, then the cohort in scope (404)
    form = _growth_form(request, cohort)
    if not form.is_valid():  # same round twice, or an area outside the user's scope
        raise Http404
    user = request.user
    unit = form.cleaned_data["within_unit"]
    crcs = programme_selectors.crcs_for(user, cohort, within=unit.path if unit else None)  # type: ignore[arg-type]
    before, after = form.cleaned_data["before"], form.cleaned_data["after"]
    return GrowthExport(
        cohort=cohort,
        before=before,
        after=after,
        unit=unit,
        whole_cohort=programme_selectors.sees_whole_cohort(user, cohort),  # type: ignore[arg-type]
        report=skill_selectors.growth_for(crcs, cohort, before=before, after=after),
        skills=skill_selectors.skills_of(cohort),
        crcs=crcs,
    )


def _download(content: IO[bytes], content_type: str, filename: str) -> FileResponse:
    response = FileResponse(
        content, as_attachment=True, filename=filename, content_type=content_type
    )
    response["Cache-Control"] = "private, no-store"  # figures about people: keep out of caches
    return response


@login_required
def growth_xlsx(request: HttpRequest, pk: Any) -> FileResponse:
    export = _export(request, pk)
    return _download(growth_workbook(export), XLSX, export.filename("xlsx"))


@login_required
def growth_pdf_view(request: HttpRequest, pk: Any) -> FileResponse:
    export = _export(request, pk)
    return _download(growth_pdf(export), PDF, export.filename("pdf"))


@login_required
def profile_pdf_view(request: HttpRequest, pk: Any) -> FileResponse:
    """One page about one CRC, for their file or a review meeting."""
    if not request.user.has_perm(VIEW_PROGRAMME):
        raise PermissionDenied
    member = programme_selectors.member_get(request.user, pk)  # type: ignore[arg-type]
    if member.role != CohortMember.Role.CRC:
        raise Http404
    profile = selectors.profile_of(member)
    return _download(profile_pdf(profile), PDF, profile_filename(member))
