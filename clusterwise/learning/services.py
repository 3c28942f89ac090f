"""Every write to assessment rounds. Result imports are in `imports`, the analytics tables in
`analytics`."""

from __future__ import annotations

import datetime
import re
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clusterwise.core.audit import audited_save
from clusterwise.core.scope import path_in_scope
from clusterwise.org.models import OrgUnit

from .models import MAX_LEVELS, Competency, Level, Result, Round

if TYPE_CHECKING:
    from clusterwise.org.models import User

_KEY = re.compile(r"^[-a-z0-9_]{1,60}$")
_CODE = re.compile(r"^[-A-Za-z0-9_.]{1,40}$")
GRADES = range(1, 13)


class _Errors:
    """Every problem of a definition at once, keyed by where it is ("competencies.2.grades")."""

    def __init__(self) -> None:
        self.found: dict[str, list[str]] = {}

    def add(self, where: str, message: str) -> None:
        self.found.setdefault(where, []).append(message)

    def raise_any(self) -> None:
        if self.found:
            raise ValidationError(self.found)


def _texts(value: Any, where: str, errors: _Errors) -> dict[str, str]:
    if isinstance(value, str) and value.strip():
        return {"en": value.strip()}
    if isinstance(value, dict) and any(str(t).strip() for t in value.values()):
        known = {code for code, _name in settings.LANGUAGES}
        unknown = sorted(set(value) - known)
        if unknown:
            errors.add(
                where, _("Unknown language codes: %(codes)s.") % {"codes": ", ".join(unknown)}
            )
        return {str(k): str(t).strip() for k, t in value.items() if str(t).strip()}
    errors.add(where, _("Give a name (text, or texts by language code)."))
    return {}


def _grades(value: Any, where: str, errors: _Errors, allowed: set[int]) -> list[int]:
    if not isinstance(value, list) or not value:
        errors.add(where, _("List the grades as whole numbers, e.g. [3, 4, 5]."))
        return []
    grades: list[int] = []
    for grade in value:
        if isinstance(grade, bool) or not isinstance(grade, int) or grade not in GRADES:
            errors.add(where, _("“%(grade)s” is not a grade from 1 to 12.") % {"grade": grade})
        elif grade not in allowed:
            errors.add(where, _("Grade %(grade)s is not one of the round's.") % {"grade": grade})
        else:
            grades.append(grade)
    return sorted(set(grades))


def _date(value: Any, where: str, errors: _Errors) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(str(value))
    except ValueError:
        errors.add(where, _("Write the date as YYYY-MM-DD."))
        return None


def _number(value: Any, where: str, errors: _Errors) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        errors.add(where, _("Give a number."))
        return None
    return float(value)


@transaction.atomic
def round_load(*, data: dict[str, Any], by: User | None) -> Round:
    """Create a round from its definition, or redefine one that has no results yet.

    `data`: key, name, run_by (an org unit code), starts_on, ends_on, grades, unit, levels
    ({subject: [{code, name, min_score}], lowest first}) and competencies ([{subject, code,
    name, grades, scale: score|level, max_score, proficient_from}]); see
    learning/rounds/*.json. Every problem is reported at once, keyed by where it is."""
    errors = _Errors()
    key = str(data.get("key", "")).strip()
    if not _KEY.match(key):
        errors.add("key", _("A key of lowercase letters, digits and dashes, e.g. 2026-baseline."))
    name = _texts(data.get("name"), "name", errors)
    run_by = OrgUnit.objects.filter(code=str(data.get("run_by", "")).strip()).first()
    if run_by is None:
        errors.add("run_by", _("No org unit has this code."))
    elif by is not None and not path_in_scope(by, run_by.path):
        errors.add("run_by", _("This org unit is outside your area."))
    elif run_by.is_school:
        errors.add("run_by", _("A round is run by the state, a district or a block, not a school."))
    starts_on = _date(data.get("starts_on"), "starts_on", errors)
    ends_on = _date(data.get("ends_on"), "ends_on", errors)
    if starts_on and ends_on and ends_on < starts_on:
        errors.add("ends_on", _("The round ends before it starts."))
    round_grades = _grades(data.get("grades"), "grades", errors, set(GRADES))
    unit = data.get("unit", Round.Unit.STUDENT)
    if unit not in Round.Unit.values:
        errors.add("unit", _("“student” or “class”."))
    elif unit == Round.Unit.CLASS:
        errors.add("unit", _("Per-class results cannot be imported yet; use per-student results."))

    levels: dict[str, list[dict[str, Any]]] = {}
    raw_levels = data.get("levels") or {}
    if not isinstance(raw_levels, dict):
        errors.add("levels", _("Levels are listed per subject: {subject: [levels]}."))
        raw_levels = {}
    for subject, steps in raw_levels.items():
        where = f"levels.{subject}"
        if not isinstance(steps, list) or not 2 <= len(steps) <= MAX_LEVELS:
            errors.add(where, _("A scale has 2 to %(n)s levels, lowest first.") % {"n": MAX_LEVELS})
            continue
        codes: set[str] = set()
        last_min: float | None = None
        for order, step in enumerate(steps):
            code = str(step.get("code", "")).strip().lower()
            if not _CODE.match(code) or code in codes:
                errors.add(f"{where}.{order}.code", _("Each level needs its own short code."))
            codes.add(code)
            min_score = step.get("min_score")
            if min_score is not None:
                min_score = _number(min_score, f"{where}.{order}.min_score", errors)
                if min_score is not None and last_min is not None and min_score <= last_min:
                    errors.add(
                        f"{where}.{order}.min_score", _("Scores must rise from level to level.")
                    )
                last_min = min_score if min_score is not None else last_min
            levels.setdefault(subject, []).append(
                {
                    "code": code,
                    "name": _texts(step.get("name"), f"{where}.{order}.name", errors),
                    "min_score": min_score,
                }
            )

    competencies: list[dict[str, Any]] = []
    seen: set[str] = set()
    raw = data.get("competencies") or []
    if not raw:
        errors.add("competencies", _("A round assesses at least one competency."))
    for index, item in enumerate(raw):
        where = f"competencies.{index}"
        subject = str(item.get("subject", "")).strip().lower()
        if not _CODE.match(subject):
            errors.add(f"{where}.subject", _("Name the subject with a short code, e.g. language."))
        code = str(item.get("code", "")).strip()
        if not _CODE.match(code):
            errors.add(f"{where}.code", _("A short code of letters, digits, dots and dashes."))
        elif code in seen:
            errors.add(f"{where}.code", _("“%(code)s” is used twice.") % {"code": code})
        seen.add(code)
        scale = item.get("scale", Competency.Scale.SCORE)
        threshold = item.get("proficient_from")
        if scale == Competency.Scale.LEVEL:
            steps = levels.get(subject)
            if not steps:
                errors.add(f"{where}.scale", _("The subject has no levels defined."))
                max_score, threshold_value = 1.0, 0.0
            else:
                max_score = float(len(steps) - 1)
                orders = {step["code"]: n for n, step in enumerate(steps)}
                if str(threshold).lower() not in orders:
                    errors.add(
                        f"{where}.proficient_from",
                        _("Name the level from which a child is proficient."),
                    )
                threshold_value = float(orders.get(str(threshold).lower(), 0))
        elif scale == Competency.Scale.SCORE:
            max_score = _number(item.get("max_score"), f"{where}.max_score", errors) or 0.0
            if max_score <= 0:
                errors.add(f"{where}.max_score", _("The maximum score must be above 0."))
            threshold_value = _number(threshold, f"{where}.proficient_from", errors) or 0.0
            if not 0 <= threshold_value <= max(max_score, 0):
                errors.add(
                    f"{where}.proficient_from",
                    _("The proficiency score lies from 0 to the maximum."),
                )
        else:
            errors.add(f"{where}.scale", _("The scale is “score” or “level”."))
            continue
        competencies.append(
            {
                "subject": subject,
                "code": code,
                "name": _texts(item.get("name"), f"{where}.name", errors),
                "order": index,
                "grades": _grades(
                    item.get("grades", round_grades), f"{where}.grades", errors, set(round_grades)
                ),
                "scale": scale,
                "max_score": max_score,
                "threshold": threshold_value,
            }
        )

    existing = Round.objects.select_for_update().filter(key=key).first() if key else None
    if existing is not None:
        if by is not None and not path_in_scope(by, existing.org_path):
            errors.add("key", _("A round with this key exists outside your area."))
        elif Result.objects.filter(competency__round=existing).exists():
            errors.add("key", _("This round has results; its definition can no longer change."))
    errors.raise_any()
    assert run_by is not None and starts_on and ends_on

    round_ = existing or Round(key=key, created_by=by)
    if existing is not None:
        round_.version += 1
    round_.name = name
    round_.org_unit = run_by
    round_.org_path = run_by.path
    round_.starts_on = starts_on
    round_.ends_on = ends_on
    round_.grades = round_grades
    round_.unit = unit
    audited_save(round_, by=by, reason="defined" if existing is None else "redefined")
    if existing is not None:
        round_.competencies.all().delete()
        round_.levels.all().delete()
    Level.objects.bulk_create(
        Level(round=round_, subject=subject, order=order, **step)
        for subject, steps in levels.items()
        for order, step in enumerate(steps)
    )
    Competency.objects.bulk_create(Competency(round=round_, **item) for item in competencies)
    return round_


def round_set_status(*, round_: Round, status: str, by: User) -> Round:
    """Open or close a round for imports."""
    if status not in Round.Status.values:
        raise ValidationError(_("Unknown status."))
    round_.status = status
    round_.version += 1
    audited_save(round_, by=by, reason=status)
    return round_
