"""A person's notifications: meetings soon, overdue commitments, practices recommended."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.views.decorators.http import require_POST

from ..selectors import notifications as selectors
from ..services import notifications as services

PAGE_SIZE = 30


def _back(request: HttpRequest) -> HttpResponse:
    """To the list, on the page the button was pressed on."""
    page = request.POST.get("page", "")
    url = reverse("networks:notifications")
    return redirect(f"{url}?page={page}" if page.isdigit() else url)


@login_required
def notifications(request: HttpRequest) -> HttpResponse:
    """The user's own notifications, newest first, unread ones marked."""
    user: Any = request.user
    page = Paginator(selectors.notifications_for(user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "networks/notifications.html",
        {"page": page, "unread": selectors.unread_count(user)},
    )


@login_required
@require_POST
def notification_read(request: HttpRequest, pk: Any) -> HttpResponse:
    user: Any = request.user
    notification = selectors.notification_get(user, pk)
    services.notification_read(notification=notification, by=user)
    return _back(request)


@login_required
@require_POST
def notifications_read_all(request: HttpRequest) -> HttpResponse:
    services.notifications_read_all(by=request.user)  # type: ignore[arg-type]
    return _back(request)


urlpatterns = [
    path("notifications/", notifications, name="notifications"),
    path("notifications/read/", notifications_read_all, name="notifications_read_all"),
    path("notifications/<uuid:pk>/read/", notification_read, name="notification_read"),
]
