"""Every read of learning data: rounds, imports, and gap analysis from the analytics tables.

Aggregates are read from `ResultCell` only, never from raw results. What a page publishes
for one competency and one grade (a unit's figures by gender, its children's, its
ancestors') is suppressed top-down from the state: every unit's mask is decided once, in
its parent's table (`suppression.suppress_children`), so a count hidden on one page is
hidden on every page and none can be recovered by subtracting published ones. Student-level
results are read only by the school's own staff and its CRC (`can_see_students`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.db.models import Q, QuerySet, Sum

from clusterwise.core.i18n import localized
from clusterwise.core.scope import (
    get_or_404,
    in_scope,
    path_in_scope,
    prefix_q,
    scope_paths,
    scope_q,
)
from clusterwise.org.models import Assignment, OrgUnit, Role

from .models import MAX_LEVELS, Competency, Level, Result, ResultCell, ResultImport, Round
from .suppression import suppress_children, suppress_line

if TYPE_CHECKING:
    from clusterwise.org.models import User

# Gender categories as published: girls, boys, and other or not recorded together (each
# alone would mostly be a small cell).
CATEGORIES = ("F", "M", "X")
MEASURES = ("students", "total", "squares", "below") + tuple(
    f"level_{n}" for n in range(MAX_LEVELS)
)


def minimum() -> int:
    return int(settings.SMALL_CELL)


# --- rounds and imports ---------------------------------------------------------------------


def _ancestor_paths(paths: Iterable[str]) -> set[str]:
    step = OrgUnit.steplen
    return {p[:n] for p in paths for n in range(step, len(p) + 1, step)}


def rounds_for(user: User) -> QuerySet[Round]:
    """Rounds run in the user's area, or above it (a state round concerns every district)."""
    paths = scope_paths(user)
    if not paths:
        return Round.objects.none()
    return Round.objects.filter(
        Q(org_path__in=_ancestor_paths(paths)) | scope_q(user, "org_path")
    ).select_related("org_unit")


def round_get(user: User, key: str) -> Round:
    return get_or_404(rounds_for(user), key=key)


def round_managed(user: User, key: str) -> Round:
    """A round the user may change or import into: run inside their area."""
    return get_or_404(in_scope(Round.objects.all(), user, "org_path"), key=key)


def competencies_of(round_: Round, subject: str | None = None) -> list[Competency]:
    queryset = round_.competencies.all()
    if subject:
        queryset = queryset.filter(subject=subject)
    return list(queryset)


def subjects_of(round_: Round) -> list[str]:
    return sorted(set(round_.competencies.values_list("subject", flat=True)))


def levels_of(round_: Round) -> dict[str, list[Level]]:
    levels: dict[str, list[Level]] = defaultdict(list)
    for level in round_.levels.order_by("subject", "order"):
        levels[level.subject].append(level)
    return dict(levels)


def imports_for(user: User, round_: Round) -> QuerySet[ResultImport]:
    """The round's imports: all of them for those who run the round, else their own."""
    queryset = round_.imports.select_related("created_by")
    if path_in_scope(user, round_.org_path):
        return queryset
    return queryset.filter(created_by=user)


def import_get(user: User, round_: Round, pk: Any) -> ResultImport:
    return get_or_404(imports_for(user, round_), pk=pk)


# --- figures --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figure:
    """What is published of one cell: nothing but `hidden` when it is suppressed."""

    students: int | None = None
    mean: float | None = None  # mean score, % of the maximum
    proficient: float | None = None  # % at or above the proficiency score
    levels: tuple[float, ...] | None = None  # % of students per level
    hidden: bool = False

    @classmethod
    def of(cls, sums: dict[str, float], competency: Competency, hidden: bool) -> Figure:
        n = int(sums.get("students") or 0)
        if hidden:
            return cls(hidden=True)
        if n == 0:
            return cls(students=0)
        return cls(
            students=n,
            mean=round(100 * sums["total"] / n / competency.max_score, 1),
            proficient=round(100 * (n - sums["below"]) / n, 1),
            levels=tuple(round(100 * sums[f"level_{i}"] / n, 1) for i in range(MAX_LEVELS))
            if competency.scale == Competency.Scale.LEVEL
            else None,
        )


def _add(into: dict[str, float], row: dict[str, Any]) -> None:
    for measure in MEASURES:
        into[measure] = into.get(measure, 0) + (row[measure] or 0)


@dataclass
class UnitFigures:
    unit: OrgUnit
    by_competency: dict[int, Figure] = field(default_factory=dict)
    by_gender: dict[int, dict[str, Figure]] = field(default_factory=dict)
    ordered: list[Figure] = field(default_factory=list)  # in the report's competency order


@dataclass
class Report:
    """The gap analysis of one unit for one round, grade and subject."""

    round: Round
    unit: OrgUnit
    grade: int
    subject: str
    competencies: list[Competency]
    levels: list[Level]
    figures: UnitFigures
    ancestors: list[UnitFigures]
    siblings: list[UnitFigures]
    children: list[UnitFigures]
    weakest: list[tuple[Competency, Figure]]
    earlier: Round | None = None
    earlier_figures: dict[str, Figure] = field(default_factory=dict)  # by competency code
    students_visible: bool = False

    @property
    def has_data(self) -> bool:
        return any(f.students or f.hidden for f in self.figures.by_competency.values())

    @property
    def rows(self) -> list[dict[str, Any]]:
        """One row per competency for the page: the unit's figure, girls', boys', the
        earlier round's, and the level shares with their names."""
        rows = []
        for comp in self.competencies:
            figure = self.figures.by_competency[comp.pk]
            genders = self.figures.by_gender.get(comp.pk, {})
            earlier = self.earlier_figures.get(comp.code)
            change = None
            if earlier and earlier.proficient is not None and figure.proficient is not None:
                change = round(figure.proficient - earlier.proficient, 1)
            levels = []  # (name, % of children, where its bar starts in %)
            if figure.levels is not None:
                start = 0.0
                for level in self.levels:
                    share = figure.levels[level.order]
                    levels.append((localized(level.name) or level.code, share, start))
                    start += share
            rows.append(
                {
                    "competency": comp,
                    "figure": figure,
                    "girls": genders.get("F"),
                    "boys": genders.get("M"),
                    "earlier": earlier,
                    "change": change,
                    "levels": levels,
                }
            )
        return rows


def _chain_cells(
    round_: Round,
    chain: list[OrgUnit],
    grade: int,
    competencies: list[Competency],
    *,
    subtree: bool = False,
) -> dict[str, dict[int, dict[str, dict[str, float]]]]:
    """Cells of the chain's root and of every chain unit's children (and, with `subtree`,
    of everything below the chain's last unit), as path → competency → category → sums."""
    where = Q(depth=chain[0].depth, org_path=chain[0].path)
    for parent in chain:
        where |= Q(depth=parent.depth + 1) & prefix_q("org_path", parent.path)
    if subtree:
        where |= Q(depth__gt=chain[-1].depth) & prefix_q("org_path", chain[-1].path)
    rows = (
        ResultCell.objects.filter(
            where, round=round_, grade=grade, competency__in=[c.pk for c in competencies]
        )
        .values("org_path", "competency_id", "gender", *MEASURES)
        .order_by()
    )
    cells: dict[str, dict[int, dict[str, dict[str, float]]]] = defaultdict(
        lambda: defaultdict(lambda: defaultdict(dict))
    )
    for row in rows:
        category = row["gender"] if row["gender"] in ("F", "M") else "X"
        _add(cells[row["org_path"]][row["competency_id"]][category], row)
    return cells


def _counts(cells: dict[int, dict[str, dict[str, float]]], competency: int) -> list[int]:
    by_category = cells.get(competency, {})
    return [int(by_category.get(c, {}).get("students", 0)) for c in CATEGORIES]


def _children_of(paths: Iterable[str]) -> dict[str, list[str]]:
    step = OrgUnit.steplen
    children: dict[str, list[str]] = defaultdict(list)
    for path in sorted(paths):
        if len(path) > step:
            children[path[:-step]].append(path)
    return children


def _masks(
    cells: dict[str, dict[int, dict[str, dict[str, float]]]], root: str, competency: int
) -> dict[str, list[bool]]:
    """Every fetched unit's mask (categories, then total) for one competency, decided
    top-down from the root: each parent's children in one table whose parent row is fixed."""
    small = minimum()
    masks = {root: suppress_line(_counts(cells.get(root, {}), competency), minimum=small)}
    children_of = _children_of(cells)
    for parent in sorted(children_of, key=len):
        if parent not in masks:
            continue
        kids = children_of[parent]
        table = [_counts(cells.get(kid, {}), competency) for kid in kids]
        hidden = suppress_children(table, minimum=small, parent_hidden=masks[parent])
        masks.update(zip(kids, hidden, strict=True))
    return masks


def _figures(
    unit: OrgUnit,
    cells: dict[str, dict[int, dict[str, dict[str, float]]]],
    masks: dict[int, dict[str, list[bool]]],
    competencies: list[Competency],
    *,
    genders: bool = False,
) -> UnitFigures:
    figures = UnitFigures(unit)
    for comp in competencies:
        mask = masks[comp.pk].get(unit.path, [True] * (len(CATEGORIES) + 1))
        by_category = cells.get(unit.path, {}).get(comp.pk, {})
        total: dict[str, float] = {}
        for category in CATEGORIES:
            if category in by_category:
                _add(total, by_category[category])
        figures.by_competency[comp.pk] = Figure.of(total, comp, mask[-1])
        figures.ordered.append(figures.by_competency[comp.pk])
        if genders:
            figures.by_gender[comp.pk] = {
                category: Figure.of(by_category.get(category, {}), comp, mask[i])
                for i, category in enumerate(CATEGORIES)
            }
    return figures


def report(
    user: User,
    round_: Round,
    unit: OrgUnit,
    *,
    grade: int | None = None,
    subject: str | None = None,
) -> Report:
    """The gap analysis of a unit the user can see (callers fetched it through scope)."""
    grades = sorted(round_.grades)
    grade = grade if grade is not None and grade in grades else grades[0]
    subjects = subjects_of(round_)
    subject = subject if subject in subjects else (subjects[0] if subjects else "")
    competencies = [c for c in competencies_of(round_, subject) if grade in c.grades]
    step = OrgUnit.steplen
    chain = _chain(unit)
    units = {u.path: u for u in chain}
    cells = _chain_cells(round_, chain, grade, competencies)
    children_of = _children_of(cells)
    masks = {comp.pk: _masks(cells, chain[0].path, comp.pk) for comp in competencies}
    named = {
        u.path: u
        for u in OrgUnit.objects.filter(path__in=[p for p in cells if p not in units]).order_by(
            "path"
        )
    }
    named.update(units)

    figures = _figures(unit, cells, masks, competencies, genders=True)
    ancestors = [_figures(u, cells, masks, competencies) for u in chain[:-1]]
    parent_path = unit.path[:-step]
    siblings = [
        _figures(named[p], cells, masks, competencies)
        for p in children_of.get(parent_path, [])
        if p != unit.path and p in named and path_in_scope(user, p)
    ]
    children = [
        _figures(named[p], cells, masks, competencies)
        for p in children_of.get(unit.path, [])
        if p in named
    ]
    children.sort(key=lambda f: (f.unit.name, f.unit.code))
    siblings.sort(key=lambda f: (f.unit.name, f.unit.code))
    weakest = sorted(
        (
            (comp, figures.by_competency[comp.pk])
            for comp in competencies
            if figures.by_competency[comp.pk].proficient is not None
        ),
        key=lambda pair: pair[1].proficient or 0.0,
    )
    result = Report(
        round=round_,
        unit=unit,
        grade=grade,
        subject=subject,
        competencies=competencies,
        levels=levels_of(round_).get(subject, []),
        figures=figures,
        ancestors=ancestors,
        siblings=siblings,
        children=children,
        weakest=weakest,
        students_visible=unit.is_school and can_see_students(user, unit),
    )
    earlier = earlier_round(user, round_)
    if earlier is not None:
        result.earlier = earlier
        codes = {c.code for c in competencies}
        before = [
            c for c in competencies_of(earlier, subject) if c.code in codes and grade in c.grades
        ]
        if before:
            earlier_cells = _chain_cells(earlier, chain, grade, before)
            earlier_masks = {c.pk: _masks(earlier_cells, chain[0].path, c.pk) for c in before}
            then = _figures(unit, earlier_cells, earlier_masks, before)
            result.earlier_figures = {c.code: then.by_competency[c.pk] for c in before}
    return result


def _chain(unit: OrgUnit) -> list[OrgUnit]:
    step = OrgUnit.steplen
    paths = [unit.path[:n] for n in range(step, len(unit.path) + 1, step)]
    return list(OrgUnit.objects.filter(path__in=paths).order_by("depth"))


def school_map(
    user: User,
    round_: Round,
    unit: OrgUnit,
    *,
    grade: int | None = None,
    subject: str | None = None,
) -> list[dict[str, Any]]:
    """GeoJSON points of the unit's schools with their share proficient in the subject
    (results of all its competencies in the grade together; None when suppressed)."""
    grades = sorted(round_.grades)
    grade = grade if grade is not None and grade in grades else grades[0]
    subjects = subjects_of(round_)
    subject = subject if subject in subjects else (subjects[0] if subjects else "")
    competencies = [c for c in competencies_of(round_, subject) if grade in c.grades]
    chain = _chain(unit)
    if not competencies or not chain:
        return []
    cells = _chain_cells(round_, chain, grade, competencies, subtree=True)
    masks = {comp.pk: _masks(cells, chain[0].path, comp.pk) for comp in competencies}
    schools = (
        in_scope(OrgUnit.objects.filter(level=settings.ORG_SCHOOL_LEVEL), user, "path")
        .filter(prefix_q("path", unit.path), school__latitude__isnull=False)
        .values_list("path", "code", "name", "school__latitude", "school__longitude")
    )
    features = []
    for path, code, name, lat, lon in schools:
        n = good = 0.0
        hidden = False
        for comp in competencies:
            mask = masks[comp.pk].get(path)
            by_category = cells.get(path, {}).get(comp.pk, {})
            students = sum(by_category.get(c, {}).get("students", 0) for c in CATEGORIES)
            if not students:
                continue
            if mask is None or mask[-1]:
                hidden = True
                continue
            below = sum(by_category.get(c, {}).get("below", 0) for c in CATEGORIES)
            n += students
            good += students - below
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [float(lon or 0), float(lat or 0)]},
                "properties": {
                    "code": code,
                    "name": name,
                    "proficient": None if hidden or not n else round(100 * good / n, 1),
                    "suppressed": hidden,
                },
            }
        )
    return features


def earlier_round(user: User, round_: Round) -> Round | None:
    """The round before this one (visible to the user) that shares some competency codes."""
    codes = set(round_.competencies.values_list("code", flat=True))
    for other in rounds_for(user).filter(starts_on__lt=round_.starts_on).order_by("-starts_on"):
        if codes & set(other.competencies.values_list("code", flat=True)):
            return other
    return None


# --- students: the school's staff and its CRC only ------------------------------------------


def can_see_students(user: User, school: OrgUnit) -> bool:
    """Student-level results: the school's own staff, and the CRC of its cluster."""
    if not getattr(user, "is_authenticated", False) or not school.is_school:
        return False
    posts = Assignment.objects.active().filter(person__user=user)
    staff = posts.filter(org_path=school.path, role__in=[Role.TEACHER, Role.HEADTEACHER])
    crc = posts.filter(role=Role.CRC).filter(
        org_path__in=[
            school.path[:n] for n in range(OrgUnit.steplen, len(school.path), OrgUnit.steplen)
        ]
    )
    return staff.exists() or crc.exists()


@dataclass
class Reteach:
    grade: int
    section: str
    competency: Competency
    students: int
    struggling: int

    @property
    def share(self) -> float:
        return round(100 * self.struggling / self.students, 1) if self.students else 0.0


def reteach_list(user: User, round_: Round, school: OrgUnit) -> list[Reteach]:
    """The classes (grade, section) and competencies to re-teach: more than
    RETEACH_CLASS_SHARE of the class below RETEACH_SCORE_SHARE of the maximum (for a level
    scale: below the proficient level). Raises PermissionDenied for anyone else."""
    from django.core.exceptions import PermissionDenied

    if not can_see_students(user, school):
        raise PermissionDenied
    competencies = {c.pk: c for c in round_.competencies.all()}
    counts: dict[tuple[int, str, int], list[int]] = defaultdict(lambda: [0, 0])
    rows = Result.objects.filter(school=school, competency__in=list(competencies)).values_list(
        "grade", "section", "competency_id", "score"
    )
    share = settings.RETEACH_SCORE_SHARE
    for grade, section, comp_id, score in rows.iterator(chunk_size=5000):
        comp = competencies[comp_id]
        low = (
            score < comp.threshold
            if comp.scale == Competency.Scale.LEVEL
            else score < share * comp.max_score
        )
        entry = counts[(grade, section, comp_id)]
        entry[0] += 1
        entry[1] += int(low)
    found = [
        Reteach(grade, section, competencies[comp_id], n, low)
        for (grade, section, comp_id), (n, low) in counts.items()
        if n and low / n > settings.RETEACH_CLASS_SHARE
    ]
    found.sort(key=lambda r: (r.grade, r.section, -r.share))
    return found


def students_of(
    user: User, round_: Round, school: OrgUnit, grade: int, section: str | None = None
) -> QuerySet[Result]:
    """One class's results, for the school's staff and its CRC."""
    from django.core.exceptions import PermissionDenied

    if not can_see_students(user, school):
        raise PermissionDenied
    queryset = Result.objects.filter(school=school, competency__round=round_, grade=grade)
    if section is not None:
        queryset = queryset.filter(section=section)
    return queryset.select_related("competency").order_by("section", "student", "competency__order")


@dataclass
class ClassTable:
    competencies: list[Competency]
    rows: list[tuple[str, str, str, list[str]]]  # student, section, gender, results
    sections: list[str]


def class_table(
    user: User, round_: Round, school: OrgUnit, grade: int, section: str | None
) -> ClassTable:
    """One grade's (or class's) results, a row per student, a column per competency."""
    competencies = [c for c in competencies_of(round_) if grade in c.grades]
    levels = {
        (level.subject, level.order): localized(level.name) or level.code
        for level in round_.levels.all()
    }
    sections = sorted(
        set(
            Result.objects.filter(school=school, competency__round=round_, grade=grade)
            .values_list("section", flat=True)
            .distinct()
        )
    )
    by_student: dict[str, dict[int, str]] = defaultdict(dict)
    facts: dict[str, tuple[str, str]] = {}
    for result in students_of(user, round_, school, grade, section):
        comp = result.competency
        shown = (
            levels.get((comp.subject, result.level), str(result.level))
            if comp.scale == Competency.Scale.LEVEL and result.level is not None
            else f"{result.score:g}"
        )
        by_student[result.student][comp.pk] = shown
        facts[result.student] = (result.section, result.get_gender_display())
    rows = [
        (student, *facts[student], [values.get(c.pk, "") for c in competencies])
        for student, values in sorted(by_student.items())
    ]
    return ClassTable(competencies, rows, sections)


def round_totals(round_: Round) -> dict[str, int]:
    """How many results and schools a round holds (for its page; no children's data)."""
    state = ResultCell.objects.filter(round=round_, depth=1).aggregate(n=Sum("students"))
    return {
        "results": int(state["n"] or 0),
        "schools": ResultCell.objects.filter(
            round=round_, org_unit__level=settings.ORG_SCHOOL_LEVEL
        )
        .values("org_unit")
        .distinct()
        .count(),
    }


def name_of(competency: Competency) -> str:
    return localized(competency.name) or competency.code
