"""Pages for cohorts, enrolment, workshops, field assignments and coaching visits."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors


@login_required
def cohort_list(request: HttpRequest) -> HttpResponse:
    cohorts = selectors.cohorts_for(request.user)  # type: ignore[arg-type]
    return render(request, "programme/cohort_list.html", {"cohorts": cohorts})
