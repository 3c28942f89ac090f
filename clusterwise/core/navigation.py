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
    NavItem(_("Programme"), "programme:cohorts", "programme.view_programme"),
    NavItem(_("Visits"), "observation:plan", "observation.observe"),
    NavItem(_("Observations"), "observation:dashboard", "observation.view_area"),
    NavItem(_("My feedback"), "observation:my_feedback", "observation.view_own_feedback"),
    NavItem(_("Learning data"), "learning:index", "learning.view_results"),
    NavItem(_("Networks"), "networks:index", "networks.view_networks"),
    NavItem(_("Frameworks"), "skills:frameworks", "skills.manage_frameworks"),
    NavItem(_("Import"), "org:import", "org.import_org"),
    NavItem(_("API"), "api:openapi-view"),
]


def menu_for(request: HttpRequest) -> list[dict[str, object]]:
    user = request.user
    items = [
        {"label": item.label, "url": reverse(item.url_name), "active": False}
        for item in MENU
        if not item.permission or user.has_perm(item.permission)
    ]
    # Only the most specific entry is current: /org/people/ is "People", not also "Org tree".
    matches = [
        i
        for i in items
        if request.path == i["url"] or (i["url"] != "/" and request.path.startswith(str(i["url"])))
    ]
    if matches:
        max(matches, key=lambda i: len(str(i["url"])))["active"] = True
    return items
