from __future__ import annotations

from collections.abc import Iterable

from django import template
from django.conf import settings
from django.utils.translation import get_language_info

register = template.Library()

_CONFIGURED = dict(settings.LANGUAGES)


@register.filter
def language_names(codes: Iterable[str] | None) -> str:
    """["mr", "hi"] → "मराठी, हिन्दी": each language in its own name, the code if unknown."""
    names = []
    for code in codes or []:
        if code in _CONFIGURED:
            names.append(_CONFIGURED[code])
            continue
        try:
            names.append(get_language_info(code)["name_local"])
        except KeyError:
            names.append(code)
    return ", ".join(names)
