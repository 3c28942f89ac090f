"""Saving records the audited way: validated, with the acting user in their history, and
with an optimistic version check where several people edit the same record."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Model
from django.utils.translation import gettext as _


class StaleEdit(ValidationError):
    """Someone else saved the record after this edit started."""


def audited_save(
    obj: Model,
    *,
    by: Any,
    reason: str | None = None,
    validate: bool = True,
    exclude: list[str] | None = None,
) -> Model:
    """full_clean(), then save with `by` (and `reason`) in the record's history."""
    if validate:
        obj.full_clean(exclude=exclude)
    obj._history_user = by  # type: ignore[attr-defined]
    if reason:
        obj._change_reason = reason  # type: ignore[attr-defined]
    obj.save()
    return obj


def claim_version(obj: Model, version: int | None) -> None:
    """Lock the row and move its version on; StaleEdit if it moved since `version` was read.

    `version=None` skips the check (a write that cannot conflict, such as a first save)."""
    current = (
        type(obj)
        ._default_manager.select_for_update()  # type: ignore[attr-defined]
        .filter(pk=obj.pk)
        .values_list("version", flat=True)
        .first()
    )
    if version is not None and current is not None and current != version:
        raise StaleEdit(
            _("Someone else changed this while you were editing. Reload and try again.")
        )
    obj.version = (current or 0) + 1  # type: ignore[attr-defined]


def log_read(*, user: Any, what: str, org_path: str, detail: str = "", rows: int = 0) -> None:
    """Record that `user` read children's own records (`what`, where, how many)."""
    from .models import ReadLog

    ReadLog.objects.create(user=user, what=what, org_path=org_path, detail=detail[:200], rows=rows)
