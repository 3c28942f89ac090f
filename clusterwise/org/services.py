"""Every write to the org tree, schools, people and assignments."""

from __future__ import annotations

import datetime
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from clusterwise.core.audit import StaleEdit
from clusterwise.core.phones import phone_digits
from clusterwise.core.scope import prefix_q

from .figures import figures_batch, figures_changed
from .imports import OrgImportPlan, PeopleImportPlan, UnitChange
from .models import Assignment, OrgUnit, Person, Role, School, User

BATCH = 2000


# --- the tree -------------------------------------------------------------------------


class PathAllocator:
    """Hands out treebeard paths for new children without a query per child."""

    def __init__(self) -> None:
        self.next_index: dict[str | None, int] = {}

    def _first_free(self, parent_path: str | None) -> int:
        if parent_path is None:
            last = OrgUnit.objects.get_last_root_node()
            return (last._str2int(last.path) + 1) if last else 1
        depth = len(parent_path) // OrgUnit.steplen + 1
        last_path = (
            OrgUnit.objects.filter(prefix_q("path", parent_path), depth=depth)
            .order_by("-path")
            .values_list("path", flat=True)
            .first()
        )
        return OrgUnit._str2int(last_path[-OrgUnit.steplen :]) + 1 if last_path else 1

    def next_path(self, parent_path: str | None) -> str:
        if parent_path not in self.next_index:
            self.next_index[parent_path] = self._first_free(parent_path)
        index = self.next_index[parent_path]
        self.next_index[parent_path] = index + 1
        key = OrgUnit._int2str(index)
        if len(key) > OrgUnit.steplen:
            raise ValidationError(_("Too many children under one org unit."))
        return (parent_path or "") + key.rjust(OrgUnit.steplen, OrgUnit.alphabet[0])


def orgunit_fix_numchild(*, paths: set[str]) -> None:
    """Recount the children of the given units (after bulk inserts or moves)."""
    for path in paths:
        depth = len(path) // OrgUnit.steplen
        OrgUnit.objects.filter(path=path).update(
            numchild=OrgUnit.objects.filter(prefix_q("path", path), depth=depth + 1).count()
        )


def orgunit_move(*, unit: OrgUnit, new_parent: OrgUnit, by: User | None) -> OrgUnit:
    """Move a unit (and its subtree) under another parent, keeping assignments in step."""
    old_path = unit.path
    old_parent_path = old_path[: -OrgUnit.steplen]
    OrgUnit.objects.move(unit, new_parent, pos="last-child")
    unit.refresh_from_db()
    new_path = unit.path
    Assignment.objects.filter(prefix_q("org_path", old_path)).update(
        org_path=Concat(Value(new_path), Substr("org_path", len(old_path) + 1))
    )
    unit._change_reason = _("moved under %(parent)s") % {"parent": new_parent.code}  # type: ignore[attr-defined]
    unit._history_user = by  # type: ignore[attr-defined]
    unit.save()
    orgunit_fix_numchild(paths={old_parent_path, new_parent.path} - {""})
    figures_changed(paths=[old_path, new_path])
    return unit


def org_import_apply(
    *, plan: OrgImportPlan, by: User | None, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Carry out a validated plan in one transaction; returns how many units each action touched."""
    if not plan.ok:
        raise ValidationError(_("The file has errors; nothing was imported."))
    todo = [c for c in plan.changes if c.action != "unchanged"]
    total = len(todo)
    done = 0
    with transaction.atomic(), figures_batch():
        codes = {c.code for c in todo} | {c.parent_code for c in todo if c.parent_code}
        units = {u.code: u for u in OrgUnit.objects.filter(code__in=codes)}
        allocator = PathAllocator()
        touched_parents: set[str] = set()
        # Parents before children: a unit's level index is its place in the hierarchy.
        from django.conf import settings

        order = {level: i for i, level in enumerate(settings.ORG_LEVELS)}
        by_level: dict[int, list[UnitChange]] = defaultdict(list)
        for change in todo:
            by_level[order[change.level]].append(change)
        for level_index in sorted(by_level):
            creates: list[OrgUnit] = []
            school_rows: list[tuple[OrgUnit, dict[str, Any]]] = []
            for change in by_level[level_index]:
                parent = units.get(change.parent_code) if change.parent_code else None
                if change.action == "create":
                    path = allocator.next_path(parent.path if parent else None)
                    unit = OrgUnit(
                        code=change.code,
                        level=change.level,
                        path=path,
                        depth=len(path) // OrgUnit.steplen,
                        numchild=0,
                        created_by=by,
                        **change.unit_fields,
                    )
                    creates.append(unit)
                    units[change.code] = unit
                    if parent:
                        touched_parents.add(parent.path)
                    if change.school_fields is not None:
                        school_rows.append((unit, change.school_fields))
            for start in range(0, len(creates), BATCH):
                bulk_create_with_history(
                    creates[start : start + BATCH], OrgUnit, batch_size=BATCH, default_user=by
                )
                done += len(creates[start : start + BATCH])
                if progress:
                    progress(done, total)
            schools = [School(org_unit=u, **fields) for u, fields in school_rows]
            if schools:
                bulk_create_with_history(schools, School, batch_size=BATCH, default_user=by)

            for change in by_level[level_index]:
                if change.action not in ("update", "move"):
                    continue
                unit = OrgUnit.objects.select_related("school").get(code=change.code)
                if change.action == "move":
                    parent = OrgUnit.objects.get(code=change.parent_code)
                    unit = orgunit_move(unit=unit, new_parent=parent, by=by)
                orgunit_update(unit=unit, by=by, **change.unit_fields)
                if change.school_fields is not None:
                    school_update_or_create(unit=unit, by=by, **change.school_fields)
                units[change.code] = unit
                done += 1
                if progress and done % 100 == 0:
                    progress(done, total)
        orgunit_fix_numchild(paths=touched_parents)
        figures_changed(paths=touched_parents)
    if progress:
        progress(total, total)
    return plan.summary()


def orgunit_update(*, unit: OrgUnit, by: User | None, **fields: Any) -> OrgUnit:
    """Change a unit's own fields; records history only when something changed."""
    changed = [f for f, v in fields.items() if getattr(unit, f) != v]
    if not changed:
        return unit
    for f in changed:
        setattr(unit, f, fields[f])
    unit.full_clean(exclude=["path", "depth", "numchild"])
    unit._history_user = by  # type: ignore[attr-defined]
    unit.save()
    return unit


def school_update_or_create(*, unit: OrgUnit, by: User | None, **fields: Any) -> School:
    school = School.objects.filter(org_unit=unit).first()
    if school is None:
        school = School(org_unit=unit, **fields)
    elif all(getattr(school, f) == v for f, v in fields.items()):
        return school
    else:
        for f, v in fields.items():
            setattr(school, f, v)
    school.full_clean()
    school._history_user = by  # type: ignore[attr-defined]
    school.save()
    return school


# --- people and assignments ----------------------------------------------------------


@transaction.atomic
def person_create(
    *,
    name: str,
    role: str,
    org_unit: OrgUnit,
    start_date: datetime.date | None = None,
    phone: str | None = None,
    email: str = "",
    languages: list[str] | None = None,
    external_id: str | None = None,
    username: str | None = None,
    password: str | None = None,
    by: User | None,
) -> Person:
    """Create a person with their first assignment (nobody exists outside the tree)."""
    person = Person(
        name=name,
        phone=phone_digits(phone) or None,
        email=email,
        languages=languages or [],
        external_id=external_id or None,
        created_by=by,
    )
    if username:
        person.user = user_create(username=username, password=password, email=email)
    person.full_clean()
    person._history_user = by  # type: ignore[attr-defined]
    person.save()
    assignment_start(person=person, role=role, org_unit=org_unit, start_date=start_date, by=by)
    return person


def user_create(*, username: str, password: str | None, email: str = "") -> User:
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError({"username": _("This username is taken.")})
    user = User(username=username, email=email)
    user.set_password(password) if password else user.set_unusable_password()
    user.save()
    return user


@transaction.atomic
def person_update(*, person: Person, version: int, by: User | None, **fields: Any) -> Person:
    """Edit a person's details; refuses if someone saved since `version` was read."""
    current = (
        Person.objects.select_for_update().filter(pk=person.pk).values_list("version", flat=True)
    ).first()
    if current != version:
        raise StaleEdit(
            _("Someone else changed this person while you were editing. Reload and try again.")
        )
    if "phone" in fields:
        fields["phone"] = phone_digits(fields["phone"]) or None
    for f, v in fields.items():
        setattr(person, f, v)
    person.version = version + 1
    person.full_clean()
    person._history_user = by  # type: ignore[attr-defined]
    person.save()
    return person


def _validate_role_level(role: str, org_unit: OrgUnit) -> None:
    from django.conf import settings

    levels = settings.ORG_LEVELS
    school_roles = {Role.HEADTEACHER, Role.TEACHER}
    if role in school_roles and org_unit.level != settings.ORG_SCHOOL_LEVEL:
        raise ValidationError(
            {"org_unit": _("A %(role)s is assigned to a school.") % {"role": Role(role).label}}
        )
    if role == Role.STATE_ADMIN and org_unit.level != levels[0]:
        raise ValidationError({"org_unit": _("A state admin is assigned at the top of the tree.")})


@transaction.atomic
def assignment_start(
    *,
    person: Person,
    role: str,
    org_unit: OrgUnit,
    start_date: datetime.date | None = None,
    by: User | None,
) -> Assignment:
    """Give a person a role at an org unit from a date (today by default)."""
    if role not in Role.values:
        raise ValidationError({"role": _("Unknown role.")})
    _validate_role_level(role, org_unit)
    start_date = start_date or timezone.localdate()
    overlap = Assignment.objects.filter(
        Q(end_date__isnull=True) | Q(end_date__gte=start_date),
        person=person,
        role=role,
        org_unit=org_unit,
    )
    if overlap.exists():
        raise ValidationError(
            {"role": _("%(person)s already holds this role here.") % {"person": person.name}}
        )
    assignment = Assignment(
        person=person,
        role=role,
        org_unit=org_unit,
        org_path=org_unit.path,
        start_date=start_date,
        created_by=by,
    )
    assignment.full_clean()
    assignment._history_user = by  # type: ignore[attr-defined]
    assignment.save()
    figures_changed(paths=[assignment.org_path])
    return assignment


@transaction.atomic
def assignment_end(
    *, assignment: Assignment, end_date: datetime.date | None = None, by: User | None
) -> Assignment:
    """End an assignment on a date (today by default); the record stays as history."""
    end_date = end_date or timezone.localdate()
    if end_date < assignment.start_date:
        raise ValidationError({"end_date": _("The end date is before the start date.")})
    if assignment.end_date is not None and assignment.end_date <= end_date:
        raise ValidationError({"end_date": _("This assignment has already ended.")})
    assignment.end_date = end_date
    assignment._history_user = by  # type: ignore[attr-defined]
    assignment.save()
    figures_changed(paths=[assignment.org_path])
    return assignment


@transaction.atomic
def person_transfer(
    *,
    assignment: Assignment,
    to_unit: OrgUnit,
    on: datetime.date | None = None,
    role: str | None = None,
    by: User | None,
) -> Assignment:
    """End one assignment the day before `on` and start the same role at another unit."""
    on = on or timezone.localdate()
    if to_unit.pk == assignment.org_unit_id and (role or assignment.role) == assignment.role:
        raise ValidationError({"org_unit": _("Choose a different org unit for the transfer.")})
    if on <= assignment.start_date:
        raise ValidationError(
            {"start_date": _("A transfer must start after the current assignment.")}
        )
    assignment_end(assignment=assignment, end_date=on - datetime.timedelta(days=1), by=by)
    return assignment_start(
        person=assignment.person,
        role=role or assignment.role,
        org_unit=to_unit,
        start_date=on,
        by=by,
    )


@transaction.atomic
def user_set_password(*, user: User, password: str, by: User | None) -> None:
    """An admin's password reset: the new password works at once and lockouts are lifted."""
    from axes.utils import reset

    user.password = make_password(password)
    user.save(update_fields=["password"])
    reset(username=user.username)
    person = Person.objects.filter(user=user).first()
    if person is not None:
        # The person's history records who reset the password (never the password itself).
        person._history_user = by  # type: ignore[attr-defined]
        person._change_reason = "password reset"  # type: ignore[attr-defined]
        person.save(update_fields=["updated_at"])


def people_import_apply(
    *, plan: PeopleImportPlan, by: User | None, progress: Callable[[int, int], None] | None = None
) -> dict[str, int]:
    """Carry out a validated people plan in one transaction."""
    if not plan.ok:
        raise ValidationError(_("The file has errors; nothing was imported."))
    todo = [c for c in plan.changes if c.action != "unchanged"]
    units = {u.code: u for u in OrgUnit.objects.filter(code__in={c.org_code for c in todo})}
    with transaction.atomic(), figures_batch():
        for done, change in enumerate(todo, start=1):
            unit = units[change.org_code]
            if change.action == "create":
                person_create(
                    role=change.role,
                    org_unit=unit,
                    start_date=change.start_date,
                    username=change.username,
                    by=by,
                    **change.person_fields,
                )
            else:
                field, value = change.key
                person = Person.objects.get(**{field: value})
                if change.action == "update":
                    person = person_update(
                        person=person, version=person.version, by=by, **change.person_fields
                    )
                holds = (
                    Assignment.objects.active()
                    .filter(person=person, role=change.role, org_unit=unit)
                    .exists()
                )
                if not holds:
                    assignment_start(
                        person=person,
                        role=change.role,
                        org_unit=unit,
                        start_date=change.start_date,
                        by=by,
                    )
            if progress and (done % 100 == 0 or done == len(todo)):
                progress(done, len(todo))
    return plan.summary()
