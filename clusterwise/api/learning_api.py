"""API of learning data: rounds, import status, and aggregated results per org unit.

Results are aggregated from the analytics tables and suppressed exactly as on the pages
(learning.selectors): a hidden figure comes as `hidden: true` with no numbers. No endpoint
gives a child's own results.
"""
# No `from __future__ import annotations` here: django-ninja reads the annotations at run time.

import datetime
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest
from ninja import Query, Router, Schema

from clusterwise.learning import ranking, selectors
from clusterwise.org import selectors as org_selectors
from clusterwise.org.models import User

router = Router(tags=["learning"])


class ErrorOut(Schema):
    detail: Any


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.has_perm("learning.view_results"):
        raise PermissionDenied
    return user


class LevelOut(Schema):
    subject: str
    order: int
    code: str
    name: dict[str, str]
    min_score: float | None


class CompetencyOut(Schema):
    id: int
    subject: str
    code: str
    name: dict[str, str]
    grades: list[int]
    scale: str
    max_score: float
    proficient_from: float

    @staticmethod
    def resolve_proficient_from(obj: Any) -> float:
        return float(obj.threshold)


class RoundOut(Schema):
    id: uuid.UUID
    key: str
    name: dict[str, str]
    run_by: uuid.UUID
    starts_on: datetime.date
    ends_on: datetime.date
    grades: list[int]
    unit: str
    status: str

    @staticmethod
    def resolve_run_by(obj: Any) -> uuid.UUID:
        return obj.org_unit_id  # type: ignore[no-any-return]


class RoundDetailOut(RoundOut):
    competencies: list[CompetencyOut]
    levels: list[LevelOut]

    @staticmethod
    def resolve_competencies(obj: Any) -> Any:
        return obj.competencies.all()

    @staticmethod
    def resolve_levels(obj: Any) -> Any:
        return obj.levels.order_by("subject", "order")


class ImportOut(Schema):
    id: uuid.UUID
    file_name: str
    created_at: datetime.datetime
    mode: str
    status: str
    rows: int
    added: int
    unchanged: int
    rejected: int
    errors: int
    seconds: float
    message: str
    progress: int | None = None

    @staticmethod
    def resolve_progress(obj: Any) -> int | None:
        return obj.job.percent if obj.job_id and obj.job else None


@router.get("/learning/rounds", response={200: list[RoundOut], 401: ErrorOut, 403: ErrorOut})
def rounds(request: HttpRequest) -> Any:
    """Assessment rounds run in the caller's area or above it."""
    return selectors.rounds_for(_user(request))


@router.get(
    "/learning/rounds/{key}",
    response={200: RoundDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def round_detail(request: HttpRequest, key: str) -> Any:
    """One round with its competencies and level scales."""
    return selectors.round_get(_user(request), key)


@router.get(
    "/learning/rounds/{key}/imports",
    response={200: list[ImportOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
)
def round_imports(request: HttpRequest, key: str) -> Any:
    """The round's imports and their outcome (all of them for those who run the round,
    else the caller's own), newest first."""
    user = _user(request)
    return selectors.imports_for(user, selectors.round_get(user, key)).select_related("job")[:100]


@router.get(
    "/learning/rounds/{key}/imports/{import_id}",
    response={200: ImportOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def round_import(request: HttpRequest, key: str, import_id: uuid.UUID) -> Any:
    """One import: its status and progress while it runs, then what it added."""
    user = _user(request)
    return selectors.import_get(user, selectors.round_get(user, key), import_id)


class FigureOut(Schema):
    hidden: bool
    students: int | None
    proficient: float | None
    mean: float | None
    levels: list[float] | None


class CompetencyFigureOut(Schema):
    competency: str
    figure: FigureOut
    girls: FigureOut | None
    boys: FigureOut | None
    earlier: FigureOut | None


class UnitFigureOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    level: str
    figures: list[FigureOut]


class UnitResultsOut(Schema):
    round: str
    unit: uuid.UUID
    grade: int
    subject: str
    competencies: list[str]
    small_cell: int
    results: list[CompetencyFigureOut]
    ancestors: list[UnitFigureOut]
    children: list[UnitFigureOut]


class ResultsQuery(Schema):
    grade: int | None = None
    subject: str | None = None


def _figure(figure: Any) -> dict[str, Any] | None:
    if figure is None:
        return None
    return {
        "hidden": figure.hidden,
        "students": figure.students,
        "proficient": figure.proficient,
        "mean": figure.mean,
        "levels": list(figure.levels) if figure.levels is not None else None,
    }


def _unit(figures: Any) -> dict[str, Any]:
    unit = figures.unit
    return {
        "id": unit.pk,
        "code": unit.code,
        "name": unit.name,
        "level": unit.level,
        "figures": [_figure(f) for f in figures.ordered],
    }


@router.get(
    "/learning/rounds/{key}/units/{unit_id}/results",
    response={200: UnitResultsOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def unit_results(
    request: HttpRequest, key: str, unit_id: uuid.UUID, filters: Query[ResultsQuery]
) -> Any:
    """Aggregated results of one org unit in the caller's area for a grade and subject:
    per competency (with girls, boys and the earlier round), its ancestors' and its
    children's figures in the same competency order. Small cells come hidden."""
    from django.conf import settings

    user = _user(request)
    round_ = selectors.round_get(user, key)
    unit = org_selectors.orgunit_get(user, unit_id)
    report = selectors.report(user, round_, unit, grade=filters.grade, subject=filters.subject)
    return {
        "round": round_.key,
        "unit": unit.pk,
        "grade": report.grade,
        "subject": report.subject,
        "competencies": [c.code for c in report.competencies],
        "small_cell": settings.SMALL_CELL,
        "results": [
            {
                "competency": row["competency"].code,
                "figure": _figure(row["figure"]),
                "girls": _figure(row["girls"]),
                "boys": _figure(row["boys"]),
                "earlier": _figure(row["earlier"]),
            }
            for row in report.rows
        ],
        "ancestors": [_unit(f) for f in report.ancestors],
        "children": [_unit(f) for f in report.children],
    }


class RankedOut(Schema):
    block: uuid.UUID
    code: str
    name: str
    value: float | None
    lowest: bool


class RankingQuery(Schema):
    subject: str | None = None
    metric: str = "proficient"


@router.get(
    "/learning/rounds/{key}/districts/{district_id}/ranking",
    response={200: list[RankedOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def block_ranking(
    request: HttpRequest, key: str, district_id: uuid.UUID, filters: Query[RankingQuery]
) -> Any:
    """The district's blocks, lowest first, on the round's subject (share proficient or
    mean score); blocks with too few results come last with no value."""
    from django.core.exceptions import ValidationError
    from django.http import Http404

    user = _user(request)
    round_ = selectors.round_get(user, key)
    district = org_selectors.orgunit_get(user, district_id)
    if district.level != "district":
        raise Http404
    if filters.metric not in ranking.METRICS:
        raise ValidationError({"metric": [f"One of: {', '.join(ranking.METRICS)}."]})
    subject = filters.subject or ranking.default_subject(round_)
    return [
        {
            "block": r.block.pk,
            "code": r.block.code,
            "name": r.block.name,
            "value": r.value,
            "lowest": r.lowest,
        }
        for r in ranking.rank_blocks(round_, district, subject=subject, metric=filters.metric)
    ]
