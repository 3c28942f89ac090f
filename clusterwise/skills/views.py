"""Pages for skill frameworks, assessments, the skill matrix and growth. Thin: parse, call, render."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from . import selectors


@login_required
def framework_list(request: HttpRequest) -> HttpResponse:
    frameworks = selectors.frameworks_for(request.user)  # type: ignore[arg-type]
    return render(request, "skills/framework_list.html", {"frameworks": frameworks})
