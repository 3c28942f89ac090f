from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import template
from django.conf import settings
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _

from clusterwise.core.i18n import localized

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


@register.filter
def level_label(level: str) -> str:
    """An org level in the user's language ("cluster" → "केंद्र" in Marathi)."""
    from clusterwise.org.models import LEVEL_LABELS

    return str(LEVEL_LABELS.get(level, level.replace("-", " ").capitalize()))


ACTION_LABELS = {
    "create": _("create"),
    "update": _("update"),
    "move": _("move"),
    "assign": _("new role"),
    "unchanged": _("unchanged"),
}


@register.filter
def action_label(action: str) -> str:
    """An import preview's action in the user's language."""
    return str(ACTION_LABELS.get(action, action))


@register.filter
def tr(texts: Any) -> str:
    """Multilingual content (a dict of language → text) in the reader's language."""
    return localized(texts)


@register.filter
def get_item(mapping: Any, key: Any) -> Any:
    """mapping[key] in a template, or None."""
    try:
        return mapping.get(key)
    except AttributeError:
        return None


@register.filter
def get_item_safe(mapping: Any, key: Any) -> Any:
    """mapping[key] in a template, or 0 (for counts)."""
    try:
        return mapping.get(key, 0)
    except AttributeError:
        return 0


@register.filter
def descriptor(skill: Any, level: Any) -> str:
    """A skill's level descriptor in the reader's language."""
    return skill.descriptor(level)
