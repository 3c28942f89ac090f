from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .navigation import menu_for


def shell(request: HttpRequest) -> dict[str, Any]:
    """What the page shell needs on every page: the role's menu."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    return {"nav_items": menu_for(request)}
