from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from clusterwise.observation import selectors as observation_selectors
from clusterwise.org import selectors
from clusterwise.org.models import Person, Role
from clusterwise.org.rules import roles_of
from clusterwise.programme import selectors as programme_selectors

from .forms import LoginForm


class LoginView(auth_views.LoginView):
    template_name = "core/login.html"
    form_class = LoginForm
    redirect_authenticated_user = True


# The home page's headline figures, most relevant first, per role.
HOME_FIGURES = {
    Role.STATE_ADMIN: ["schools", "teacher", "headteacher", "crc", "coach", "people"],
    Role.DISTRICT_OFFICER: ["schools", "teacher", "headteacher", "crc", "coach", "people"],
    Role.DATA_OFFICER: ["schools", "teacher", "headteacher", "crc", "people"],
    Role.MASTER_FACILITATOR: ["schools", "coach", "crc", "teacher", "people"],
    Role.COACH: ["schools", "crc", "teacher", "headteacher", "people"],
    Role.CRC: ["schools", "teacher", "headteacher", "people"],
    Role.HEADTEACHER: ["teacher", "people"],
    Role.LEADER_OF_LEARNING: ["schools", "teacher", "headteacher", "people"],
    Role.TEACHER: ["teacher"],
}
ROLE_ORDER = list(HOME_FIGURES)


@never_cache
@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Each role's home: who they are, what they see, and the figures of their scope."""
    user = request.user
    roles = roles_of(user)
    main_role = next((r for r in ROLE_ORDER if r in roles), None)
    if user.is_superuser and main_role is None:
        main_role = Role.STATE_ADMIN
    counts, counted_at = selectors.home_counts(user)  # type: ignore[arg-type]
    labels = dict(Role.choices) | {"schools": "", "people": ""}
    figures = [
        {"key": key, "value": counts[key], "label": labels.get(key, key)}
        for key in HOME_FIGURES.get(main_role, ["schools", "people"])  # type: ignore[call-overload]
    ]
    person = Person.objects.filter(user=user).first()
    return render(
        request,
        "core/home.html",
        {
            "person": person,
            "main_role": Role(main_role).label if main_role else None,
            "roots": selectors.scope_roots(user),  # type: ignore[arg-type]
            "figures": figures,
            "counted_at": counted_at,
            "todos": programme_selectors.todo_for(user),  # type: ignore[arg-type]
            "waiting": observation_selectors.waiting_for(user),  # type: ignore[arg-type]
        },
    )


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"ok": True})


def locked_out(
    request: HttpRequest, original_response: object = None, credentials: object = None
) -> HttpResponse:
    """django-axes' answer to a locked account: JSON for API clients, a page for people."""
    if request.path.startswith("/api/"):
        return JsonResponse(
            {"detail": "Too many failed attempts; this account is locked for a while."},
            status=429,
        )
    return render(request, "core/locked_out.html", status=429)
