"""The navigation menu, per role: each entry names the permission it needs."""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavItem:
    label: str | Promise
    url_name: str
    permission: str | None = None


MENU = [
    NavItem(_("Home"), "home"),
    NavItem(_("Org tree"), "org:tree"),
    NavItem(_("Schools"), "org:schools"),
    NavItem(_("People"), "org:people", "org.view_people"),
    NavItem(_("Import"), "org:import", "org.import_org"),
    NavItem(_("API"), "api:openapi-view"),
]


def menu_for(request: HttpRequest) -> list[dict[str, object]]:
    user = request.user
    items = []
    for item in MENU:
        if item.permission and not user.has_perm(item.permission):
            continue
        url = reverse(item.url_name)
        items.append(
            {
                "label": item.label,
                "url": url,
                "active": request.path == url or (url != "/" and request.path.startswith(url)),
            }
        )
    return items
