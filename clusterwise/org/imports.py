"""Validate an org-tree file and work out what importing it would change.

`plan_org_import` reads nothing but the rows and the current tree, writes nothing, and
returns either every problem (row, field, reason) or the exact list of changes, which
`services.org_import_apply` then carries out. The preview in the web UI and `--dry-run`
show the same plan.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any, ClassVar

from django.conf import settings
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from clusterwise.core.phones import phone_digits
from clusterwise.core.tabular import Row

from .models import OrgUnit, School

ORG_COLUMNS = ("code", "name", "level", "parent_code")
SCHOOL_COLUMNS = (
    "management",
    "area",
    "tribal_area",
    "languages",
    "latitude",
    "longitude",
)
CODE_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-/]{0,39}$")
TRUE = {"1", "y", "yes", "true", "t"}
FALSE = {"0", "n", "no", "false", "f", ""}


@dataclass(frozen=True)
class RowError:
    row: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row}, {self.field}: {self.message}"


@dataclass
class UnitChange:
    row: int
    code: str
    level: str
    parent_code: str | None
    unit_fields: dict[str, Any]
    school_fields: dict[str, Any] | None
    action: str  # "create", "update", "move" or "unchanged"
    changed: list[str] = field(default_factory=list)


@dataclass
class ImportPlan:
    """Every problem of a file, or (when there is none) every change it would make."""

    errors: list[RowError]
    changes: list[Any]
    actions: ClassVar[tuple[str, ...]] = ()

    @property
    def ok(self) -> bool:
        return not self.errors

    def count(self, action: str) -> int:
        return sum(1 for c in self.changes if c.action == action)

    def summary(self) -> dict[str, int]:
        return {a: self.count(a) for a in self.actions}


@dataclass
class OrgImportPlan(ImportPlan):
    changes: list[UnitChange]
    actions: ClassVar[tuple[str, ...]] = ("create", "update", "move", "unchanged")


def parse_bool(value: str) -> bool | None:
    v = value.strip().lower()
    if v in TRUE:
        return True
    if v in FALSE:
        return False
    return None


def parse_languages(value: str) -> list[str]:
    return [part.strip().lower() for part in re.split(r"[;,|]", value) if part.strip()]


def parse_coordinate(value: str, limit: int) -> Decimal | str | None:
    """A coordinate, None when blank, or an error message."""
    if value.strip() == "":
        return None
    try:
        number = Decimal(value.strip())
    except InvalidOperation:
        return _("'%(value)s' is not a number") % {"value": value}
    if not number.is_finite() or abs(number) > limit:
        return _("%(value)s is outside -%(limit)s…%(limit)s") % {"value": value, "limit": limit}
    return number.quantize(Decimal("0.000001"))


def _choice(value: str, choices: Iterable[tuple[str, Any]]) -> str | None:
    v = value.strip().lower().replace(" ", "_").replace("-", "_")
    for key, label in choices:
        if v in (key, str(label).lower().replace(" ", "_")):
            return key
    return None


def _school_fields(row: Row, errors: list[RowError]) -> dict[str, Any]:
    values = row.values
    out: dict[str, Any] = {}
    management = _choice(values.get("management", ""), School.Management.choices)
    if management is None:
        errors.append(
            RowError(
                row.number,
                "management",
                _("'%(value)s' is not one of: %(choices)s")
                % {
                    "value": values.get("management", ""),
                    "choices": ", ".join(School.Management.values),
                },
            )
        )
    out["management"] = management
    area = _choice(values.get("area", values.get("rural_urban", "")), School.Area.choices)
    if area is None:
        errors.append(
            RowError(
                row.number,
                "area",
                _("'%(value)s' is not rural or urban") % {"value": values.get("area", "")},
            )
        )
    out["area"] = area
    tribal = parse_bool(values.get("tribal_area", ""))
    if tribal is None:
        errors.append(
            RowError(
                row.number,
                "tribal_area",
                _("'%(value)s' is not yes or no") % {"value": values.get("tribal_area", "")},
            )
        )
    out["tribal_area"] = bool(tribal)
    out["languages"] = parse_languages(values.get("languages", ""))
    coords = {}
    for name, limit in (("latitude", 90), ("longitude", 180)):
        parsed = parse_coordinate(values.get(name, ""), limit)
        if isinstance(parsed, str):
            errors.append(RowError(row.number, name, parsed))
        coords[name] = parsed
    if not any(isinstance(v, str) for v in coords.values()):
        if (coords["latitude"] is None) != (coords["longitude"] is None):
            errors.append(
                RowError(
                    row.number,
                    "latitude" if coords["latitude"] is None else "longitude",
                    _("give both latitude and longitude, or neither"),
                )
            )
        elif coords["latitude"] == 0 and coords["longitude"] == 0:
            errors.append(RowError(row.number, "latitude", _("0, 0 is not a school's location")))
    out.update(coords)
    return out


def _find_cycles(parent_of: dict[str, str | None]) -> set[str]:
    """Codes that lie on a cycle of parent links."""
    on_cycle: set[str] = set()
    state: dict[str, int] = {}  # 1 = being visited, 2 = done
    for start in parent_of:
        path: list[str] = []
        node: str | None = start
        while node is not None and node in parent_of and state.get(node) != 2:
            if state.get(node) == 1:
                on_cycle.update(path[path.index(node) :])
                break
            state[node] = 1
            path.append(node)
            node = parent_of[node]
        for visited in path:
            state[visited] = 2
    return on_cycle


def _inside(path: str, within: tuple[str, ...] | None) -> bool:
    """Whether a tree path lies in the importing user's scope (None: no limit)."""
    return within is None or any(path.startswith(prefix) for prefix in within)


def plan_org_import(
    rows: list[Row],
    *,
    within: tuple[str, ...] | None = None,
    progress: Callable[[int], None] | None = None,
) -> OrgImportPlan:
    """Check every row and work out the changes; nothing is written.

    `within` limits the import to the importing user's subtrees: units elsewhere cannot be
    changed or used as parents (they look unknown), and no new top-level unit is allowed.
    """
    levels = settings.ORG_LEVELS
    errors: list[RowError] = []
    if rows:
        missing = [c for c in ORG_COLUMNS if c not in rows[0].values]
        if missing:
            return OrgImportPlan(
                [RowError(1, c, _("the column is missing from the header")) for c in missing], []
            )

    by_code: dict[str, Row] = {}
    duplicates: set[int] = set()
    for row in rows:
        code = row.values["code"]
        if not code:
            errors.append(RowError(row.number, "code", _("a code is required")))
        elif not CODE_RE.match(code):
            errors.append(
                RowError(
                    row.number,
                    "code",
                    _("'%(code)s' may use only letters, digits and . _ - / (up to 40)")
                    % {"code": code},
                )
            )
        elif code in by_code:
            errors.append(
                RowError(
                    row.number,
                    "code",
                    _("duplicate code '%(code)s' (first on row %(first)s)")
                    % {"code": code, "first": by_code[code].number},
                )
            )
            duplicates.add(row.number)
        else:
            by_code[code] = row

    parent_codes = {r.values["parent_code"] for r in rows if r.values.get("parent_code")}
    existing = {
        u.code: u
        for u in OrgUnit.objects.filter(code__in=set(by_code) | parent_codes).select_related(
            "school"
        )
    }
    existing_parent: dict[str, str | None] = {}
    for unit in existing.values():
        if unit.depth > 1:
            existing_parent[unit.code] = None  # filled below
    if existing_parent:
        parents_by_path = {
            u.path: u.code
            for u in OrgUnit.objects.filter(
                path__in={u.path[: -OrgUnit.steplen] for u in existing.values() if u.depth > 1}
            )
        }
        for unit in existing.values():
            if unit.depth > 1:
                existing_parent[unit.code] = parents_by_path.get(unit.path[: -OrgUnit.steplen])

    # Parent links as they would be after the import, for the cycle check.
    parent_of: dict[str, str | None] = {
        code: (row.values["parent_code"] or None) for code, row in by_code.items()
    }
    cycles = _find_cycles(parent_of)

    changes: list[UnitChange] = []
    for index, row in enumerate(rows):
        if progress and index % 1000 == 0:
            progress(index)
        if row.number in duplicates:
            continue
        values = row.values
        code, name, level = values["code"], values["name"], values["level"].strip().lower()
        parent_code = values["parent_code"] or None
        row_errors: list[RowError] = []
        if not name:
            row_errors.append(RowError(row.number, "name", _("a name is required")))
        elif len(name) > 200:
            row_errors.append(RowError(row.number, "name", _("longer than 200 characters")))
        if level not in levels:
            row_errors.append(
                RowError(
                    row.number,
                    "level",
                    _("'%(level)s' is not a level; use one of: %(levels)s")
                    % {"level": values["level"], "levels": ", ".join(levels)},
                )
            )
        if code and code in cycles:
            row_errors.append(
                RowError(
                    row.number,
                    "parent_code",
                    _("'%(code)s' would be its own ancestor (a cycle of parent codes)")
                    % {"code": code},
                )
            )
        elif parent_code is None:
            if within is not None and within != ("",) and level in levels:
                row_errors.append(
                    RowError(
                        row.number,
                        "parent_code",
                        _("only a state-wide administrator can add a top-level unit"),
                    )
                )
            elif level in levels and levels.index(level) != 0:
                row_errors.append(
                    RowError(
                        row.number,
                        "parent_code",
                        _("a %(level)s needs a parent") % {"level": level},
                    )
                )
        elif parent_code == code:
            row_errors.append(
                RowError(row.number, "parent_code", _("a unit cannot be its own parent"))
            )
        else:
            parent_row = by_code.get(parent_code)
            parent_unit = existing.get(parent_code)
            if parent_unit is not None and not _inside(parent_unit.path, within):
                parent_unit = None  # outside the user's area: as if it did not exist
            parent_level = (
                parent_row.values["level"].strip().lower()
                if parent_row
                else (parent_unit.level if parent_unit else None)
            )
            if parent_level is None:
                row_errors.append(
                    RowError(
                        row.number,
                        "parent_code",
                        _("unknown parent '%(code)s': not in this file nor in the tree")
                        % {"code": parent_code},
                    )
                )
            elif (
                level in levels
                and parent_level in levels
                and levels.index(parent_level) != levels.index(level) - 1
            ):
                expected = levels[levels.index(level) - 1] if levels.index(level) else None
                message = (
                    _("a %(level)s must be under a %(expected)s, not a %(parent)s")
                    % {"level": level, "expected": expected, "parent": parent_level}
                    if expected
                    else _("a %(level)s is the top of the tree and has no parent")
                    % {"level": level}
                )
                row_errors.append(RowError(row.number, "level", message))
        existing_unit = existing.get(code)
        if existing_unit is not None and not _inside(existing_unit.path, within):
            row_errors.append(
                RowError(
                    row.number,
                    "code",
                    _("the code '%(code)s' is already used outside your area") % {"code": code},
                )
            )
            existing_unit = None
        if existing_unit is not None and level in levels and existing_unit.level != level:
            row_errors.append(
                RowError(
                    row.number,
                    "level",
                    _("%(code)s is already a %(old)s; an import cannot change its level")
                    % {"code": code, "old": existing_unit.level},
                )
            )
        school_fields = None
        if level == settings.ORG_SCHOOL_LEVEL:
            school_fields = _school_fields(row, row_errors)
        errors.extend(row_errors)
        if row_errors:
            continue

        unit_fields = {"name": name}
        if existing_unit is None:
            action, changed = "create", []
        else:
            changed = [f for f, v in unit_fields.items() if getattr(existing_unit, f) != v]
            if school_fields is not None:
                school = getattr(existing_unit, "school", None)
                changed += [
                    f for f, v in school_fields.items() if school is None or getattr(school, f) != v
                ]
            moved = existing_parent.get(code) != parent_code
            action = "move" if moved else ("update" if changed else "unchanged")
            if moved:
                changed.append("parent_code")
        changes.append(
            UnitChange(
                row=row.number,
                code=code,
                level=level,
                parent_code=parent_code,
                unit_fields=unit_fields,
                school_fields=school_fields,
                action=action,
                changed=changed,
            )
        )
    errors.sort(key=lambda e: (e.row, e.field))
    return OrgImportPlan(errors=errors, changes=changes if not errors else [])


# --- people --------------------------------------------------------------------------

PEOPLE_COLUMNS = ("name", "role", "org_code")
PHONE_RE = re.compile(r"^\+?[0-9]{6,15}$")
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")


@dataclass
class PersonChange:
    row: int
    key: tuple[str, str]  # ("external_id" | "phone", value)
    person_fields: dict[str, Any]
    role: str
    org_code: str
    start_date: Any
    username: str | None
    action: str  # "create", "update", "assign" or "unchanged"
    changed: list[str] = field(default_factory=list)


@dataclass
class PeopleImportPlan(ImportPlan):
    changes: list[PersonChange]
    actions: ClassVar[tuple[str, ...]] = ("create", "update", "assign", "unchanged")


def parse_date(value: str) -> Any:
    """A date from YYYY-MM-DD or DD/MM/YYYY; None when blank; a message when wrong."""
    import datetime

    text = value.strip()
    if not text:
        return None
    for fmt in ("%Y-%m-%d", "%d/%m/%Y", "%d-%m-%Y", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return _("'%(value)s' is not a date (use YYYY-MM-DD)") % {"value": value}


def plan_people_import(
    rows: list[Row], *, within: tuple[str, ...] | None = None
) -> PeopleImportPlan:
    """Check every row of a people file and work out the changes; nothing is written.

    `within` limits it to the importing user's subtrees: units elsewhere look unknown and
    people who work only elsewhere cannot be changed.
    """
    from .models import Assignment, Person, Role, User

    errors: list[RowError] = []
    if rows:
        missing = [c for c in PEOPLE_COLUMNS if c not in rows[0].values]
        if not ({"phone", "external_id"} & set(rows[0].values)):
            missing.append("phone")
        if missing:
            return PeopleImportPlan(
                [RowError(1, c, _("the column is missing from the header")) for c in missing], []
            )
    org_codes = {r.values["org_code"] for r in rows}
    units = {u.code: u for u in OrgUnit.objects.filter(code__in=org_codes)}
    ext_ids = {r.values.get("external_id", "") for r in rows} - {""}
    phones = {phone_digits(r.values.get("phone")) for r in rows} - {""}
    people = {
        ("external_id", p.external_id): p for p in Person.objects.filter(external_id__in=ext_ids)
    }
    people.update({("phone", p.phone): p for p in Person.objects.filter(phone__in=phones)})
    paths_of: dict[Any, list[str]] = {}
    if within is not None:
        for person_id, path in Assignment.objects.filter(
            person__in=[p.pk for p in people.values()]
        ).values_list("person_id", "org_path"):
            paths_of.setdefault(person_id, []).append(path)
    usernames = {r.values.get("username", "").lower() for r in rows} - {""}
    taken = dict(
        User.objects.annotate(lower=Lower("username"))
        .filter(lower__in=usernames)
        .values_list("lower", "pk")
    )

    seen: dict[tuple[str, str], int] = {}
    seen_phone: dict[str, int] = {}
    changes: list[PersonChange] = []
    for row in rows:
        v = row.values
        row_errors: list[RowError] = []
        name = v["name"]
        if not name:
            row_errors.append(RowError(row.number, "name", _("a name is required")))
        phone = phone_digits(v.get("phone"))
        if v.get("phone") and not PHONE_RE.match(phone):
            row_errors.append(
                RowError(
                    row.number,
                    "phone",
                    _("'%(value)s' is not a phone number") % {"value": v["phone"]},
                )
            )
        email = v.get("email", "")
        if email and not EMAIL_RE.match(email):
            row_errors.append(
                RowError(
                    row.number, "email", _("'%(value)s' is not an email address") % {"value": email}
                )
            )
        external_id = v.get("external_id", "")
        key = ("external_id", external_id) if external_id else ("phone", phone)
        if not key[1]:
            row_errors.append(
                RowError(
                    row.number,
                    "phone",
                    _("give a phone number or an external_id to identify the person"),
                )
            )
        elif key in seen:
            row_errors.append(
                RowError(
                    row.number,
                    key[0],
                    _("'%(value)s' is already on row %(first)s")
                    % {"value": key[1], "first": seen[key]},
                )
            )
        else:
            seen[key] = row.number
        if phone and key[0] == "external_id":
            if phone in seen_phone:
                row_errors.append(
                    RowError(
                        row.number,
                        "phone",
                        _("'%(value)s' is already on row %(first)s")
                        % {"value": phone, "first": seen_phone[phone]},
                    )
                )
            seen_phone[phone] = row.number
        role = _choice(v["role"], Role.choices)
        if role is None:
            row_errors.append(
                RowError(
                    row.number,
                    "role",
                    _("'%(value)s' is not a role; use one of: %(roles)s")
                    % {"value": v["role"], "roles": ", ".join(Role.values)},
                )
            )
        unit = units.get(v["org_code"])
        if unit is not None and not _inside(unit.path, within):
            unit = None  # outside the user's area: as if it did not exist
        if unit is None:
            row_errors.append(
                RowError(
                    row.number,
                    "org_code",
                    _("unknown org unit '%(code)s'") % {"code": v["org_code"]},
                )
            )
        elif role in (Role.TEACHER, Role.HEADTEACHER) and unit.level != settings.ORG_SCHOOL_LEVEL:
            row_errors.append(
                RowError(
                    row.number,
                    "org_code",
                    _("a %(role)s must be placed at a school") % {"role": Role(role).label},
                )
            )
        elif role == Role.STATE_ADMIN and unit.level != settings.ORG_LEVELS[0]:
            row_errors.append(
                RowError(
                    row.number, "org_code", _("a state admin is placed at the top of the tree")
                )
            )
        start = parse_date(v.get("start_date", ""))
        if isinstance(start, str):
            row_errors.append(RowError(row.number, "start_date", start))
        languages = parse_languages(v.get("languages", ""))
        person = people.get(key) if key[1] else None
        if person is not None and not any(
            _inside(path, within) for path in paths_of.get(person.pk, [""])
        ):
            row_errors.append(
                RowError(
                    row.number,
                    key[0],
                    _("'%(value)s' is registered to someone outside your area; ask the state team")
                    % {"value": key[1]},
                )
            )
            person = None
        if person is None and phone and key[0] == "external_id":
            clash = people.get(("phone", phone))
            if clash is not None:
                row_errors.append(
                    RowError(
                        row.number,
                        "phone",
                        _("'%(value)s' belongs to %(name)s, who has another external_id")
                        % {"value": phone, "name": clash.name},
                    )
                )
        username = v.get("username", "") or None
        if username:
            owner = taken.get(username.lower())
            if owner is not None and (person is None or person.user_id != owner):
                row_errors.append(
                    RowError(
                        row.number,
                        "username",
                        _("the username '%(value)s' is taken") % {"value": username},
                    )
                )
        errors.extend(row_errors)
        if row_errors:
            continue
        fields = {"name": name, "phone": phone or None, "email": email, "languages": languages}
        if external_id:
            fields["external_id"] = external_id
        if person is None:
            action, changed = "create", []
        else:
            changed = [f for f, val in fields.items() if getattr(person, f) != val]
            holds = (
                Assignment.objects.active().filter(person=person, role=role, org_unit=unit).exists()
            )
            action = "update" if changed else ("unchanged" if holds else "assign")
            if changed and not holds:
                changed.append("assignment")
        changes.append(
            PersonChange(
                row=row.number,
                key=key,
                person_fields=fields,
                role=role or "",
                org_code=v["org_code"],
                start_date=start,
                username=username if person is None or person.user_id is None else None,
                action=action,
                changed=changed,
            )
        )
    errors.sort(key=lambda e: (e.row, e.field))
    return PeopleImportPlan(errors=errors, changes=changes if not errors else [])
