"""API of the CRC programme: skill frameworks, cohorts, members, assessments, skill matrix.
Scoped like the pages: the same selectors, the same permissions, 404 outside."""
# No `from __future__ import annotations` here: django-ninja reads the annotations at run time.

import datetime
import uuid
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import Http404, HttpRequest
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status

from clusterwise.core.audit import StaleEdit
from clusterwise.org import selectors as org_selectors
from clusterwise.org.models import Person, User
from clusterwise.programme import selectors as programme_selectors
from clusterwise.programme.models import CohortMember
from clusterwise.skills import selectors as skill_selectors
from clusterwise.skills.models import Assessment, Rating, Round
from clusterwise.skills.services import assessment_record

router = Router(tags=["programme"])


class ErrorOut(Schema):
    detail: Any


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.has_perm("programme.view_programme"):
        raise PermissionDenied
    return user


# --- frameworks -------------------------------------------------------------------------


class SkillOut(Schema):
    id: int
    code: str
    theme: str = Field(..., alias="theme.code")
    name: dict[str, str]
    descriptors: dict[str, dict[str, str]]
    indicators: list[dict[str, str]]


class ThemeOut(Schema):
    code: str
    name: dict[str, str]
    skills: list[SkillOut]

    @staticmethod
    def resolve_skills(obj: Any) -> Any:
        return obj.skills.all()


class FrameworkOut(Schema):
    id: uuid.UUID
    key: str
    version: int
    status: str
    name: dict[str, str]
    description: dict[str, str]
    published_at: datetime.datetime | None


class FrameworkDetailOut(FrameworkOut):
    themes: list[ThemeOut]

    @staticmethod
    def resolve_themes(obj: Any) -> Any:
        return skill_selectors.themes_with_skills(obj)


@router.get("/frameworks", response={200: list[FrameworkOut], 401: ErrorOut})
def frameworks(request: HttpRequest) -> Any:
    """Skill framework versions: published and retired ones (drafts for state admins)."""
    return skill_selectors.frameworks_for(request.user)  # type: ignore[arg-type]


@router.get(
    "/frameworks/{framework_id}",
    response={200: FrameworkDetailOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def framework(request: HttpRequest, framework_id: uuid.UUID) -> Any:
    """One version with its themes, skills, level descriptors and indicators, in every language."""
    return skill_selectors.framework_get(request.user, framework_id)  # type: ignore[arg-type]


# --- cohorts ------------------------------------------------------------------------------


class CohortOut(Schema):
    id: uuid.UUID
    name: str
    kind: str
    framework_id: uuid.UUID
    org_unit_id: uuid.UUID
    starts_on: datetime.date
    ends_on: datetime.date
    visits_planned: int


class CohortDetailOut(CohortOut):
    crcs: int
    coaches: int


@router.get(
    "/cohorts", response={200: list[CohortOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
)
def cohorts(request: HttpRequest) -> Any:
    """The cohorts the caller runs, works in, or has CRCs of in their area."""
    return programme_selectors.cohorts_for(_user(request))


@router.get(
    "/cohorts/{cohort_id}",
    response={200: CohortDetailOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def cohort(request: HttpRequest, cohort_id: uuid.UUID) -> Any:
    """One cohort, with how many of its CRCs and coaches the caller sees."""
    user = _user(request)
    found = programme_selectors.cohort_get(user, cohort_id)
    members = programme_selectors.members_for(user, found)
    found.crcs = members.filter(role=CohortMember.Role.CRC).count()  # type: ignore[attr-defined]
    found.coaches = members.filter(role=CohortMember.Role.COACH).count()  # type: ignore[attr-defined]
    return found


class MemberOut(Schema):
    id: uuid.UUID
    person_id: uuid.UUID
    name: str = Field(..., alias="person.name")
    role: str
    org_unit_code: str = Field(..., alias="org_unit.code")
    org_unit_name: str = Field(..., alias="org_unit.name")
    supported_by_id: uuid.UUID | None
    joined_on: datetime.date
    left_on: datetime.date | None


@router.get(
    "/cohorts/{cohort_id}/members",
    response={200: list[MemberOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
@paginate(PageNumberPagination, page_size=100)
def members(request: HttpRequest, cohort_id: uuid.UUID) -> Any:
    """The cohort's members the caller may see, with who supports whom."""
    user = _user(request)
    found = programme_selectors.cohort_get(user, cohort_id)
    return programme_selectors.members_for(user, found).order_by("role", "org_path", "person__name")


# --- assessments -----------------------------------------------------------------------------


class RatingOut(Schema):
    skill: str = Field(..., alias="skill.code")
    level: int
    evidence: str


class AssessmentOut(Schema):
    id: uuid.UUID
    member_id: uuid.UUID
    round: str
    kind: str
    assessor_id: uuid.UUID
    assessed_on: datetime.date
    note: str
    version: int
    ratings: list[RatingOut]

    @staticmethod
    def resolve_ratings(obj: Any) -> Any:
        return obj.ratings.all()


def _with_ratings(assessments: Any) -> Any:
    """Each assessment's ratings in the framework's order, in one more query for the lot."""
    return assessments.prefetch_related(
        Prefetch(
            "ratings",
            queryset=Rating.objects.select_related("skill").order_by(
                "skill__theme__order", "skill__order"
            ),
        )
    )


class AssessmentFilter(Schema):
    round: Round | None = None
    kind: Assessment.Kind | None = None


@router.get(
    "/cohorts/{cohort_id}/assessments",
    response={200: list[AssessmentOut], 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
@paginate(PageNumberPagination, page_size=100)
def assessments(
    request: HttpRequest, cohort_id: uuid.UUID, filters: Query[AssessmentFilter]
) -> Any:
    """Assessments of the CRCs the caller may see, each with its rating of every skill."""
    user = _user(request)
    found = programme_selectors.cohort_get(user, cohort_id)
    visible = programme_selectors.crcs_for(user, found).order_by().values("pk")
    result = _with_ratings(Assessment.objects.filter(cohort=found, member__in=visible))
    if filters.round:
        result = result.filter(round=filters.round)
    if filters.kind:
        result = result.filter(kind=filters.kind)
    return result.order_by("member_id", "round", "kind")


class AssessmentIn(Schema):
    member_id: uuid.UUID
    round: Round
    kind: Assessment.Kind = Assessment.Kind.COACH
    assessed_on: datetime.date
    levels: dict[str, int]
    evidence: dict[str, str] = {}
    note: str = Field("", max_length=5000)
    version: int | None = None


@router.post(
    "/cohorts/{cohort_id}/assessments",
    response={
        200: AssessmentOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
)
def assessment_save(request: HttpRequest, cohort_id: uuid.UUID, data: AssessmentIn) -> Any:
    """Record or correct one CRC's assessment: every skill of the framework by its code.

    A coach's assessment needs the caller to support the CRC (or run the cohort); a
    self-assessment is the CRC's own. Quote `version` when correcting: a stale one answers 409.
    Sending the same body again gives the same result."""
    user = _user(request)
    found = programme_selectors.cohort_get(user, cohort_id)
    member = programme_selectors.member_get(user, data.member_id)
    if member.cohort_id != found.pk:
        raise Http404
    perm = (
        "programme.coach_member"
        if data.kind == Assessment.Kind.COACH
        else "programme.act_as_member"
    )
    if not user.has_perm(perm, member):
        raise PermissionDenied
    assessor = Person.objects.filter(user=user).first()
    if assessor is None:
        raise PermissionDenied
    skills = {s.code: s.pk for s in skill_selectors.skills_of(found)}
    unknown = {
        field: [f"Unknown skill code: {code}" for code in sorted(set(given) - set(skills))]
        for field, given in (("levels", data.levels), ("evidence", data.evidence))
        if set(given) - set(skills)
    }
    if unknown:
        return Status(422, {"detail": unknown})
    stored = _with_ratings(
        Assessment.objects.filter(member=member, round=data.round, kind=data.kind)
    ).first()
    if stored is not None and _same(stored, data, assessor):
        return stored  # a re-sent request: nothing to change, so no new version either
    try:
        saved = assessment_record(
            member=member,
            round=data.round,
            kind=data.kind,
            assessor=assessor,
            assessed_on=data.assessed_on,
            levels={skills[code]: level for code, level in data.levels.items()},
            evidence={skills[code]: text for code, text in data.evidence.items()},
            note=data.note,
            version=data.version,
            by=user,
        )
    except StaleEdit as exc:
        return Status(409, {"detail": exc.messages})
    return _with_ratings(Assessment.objects.filter(pk=saved.pk)).get()


def _same(stored: Assessment, data: AssessmentIn, assessor: Person) -> bool:
    """Whether saving `data` would leave `stored` as it is."""
    ratings = list(stored.ratings.all())
    return (
        stored.assessor_id == assessor.pk
        and stored.assessed_on == data.assessed_on
        and stored.note == data.note
        and {r.skill.code: r.level for r in ratings} == data.levels
        and {r.skill.code: r.evidence for r in ratings if r.evidence}
        == {code: text.strip() for code, text in data.evidence.items() if text.strip()}
    )


# --- the skill matrix ------------------------------------------------------------------------


class MatrixSkillOut(Schema):
    code: str
    theme: str
    name: dict[str, str]
    distribution: dict[str, int]


class MatrixRowOut(Schema):
    member_id: uuid.UUID
    name: str
    cluster: str
    levels: dict[str, int | None]


class MatrixOut(Schema):
    round: str
    kind: str
    page: int
    pages: int
    crcs: int
    rated: int
    skills: list[MatrixSkillOut]
    rows: list[MatrixRowOut]


class MatrixFilter(Schema):
    round: Round = Round.BASELINE
    kind: Assessment.Kind = Assessment.Kind.COACH
    theme: str | None = Field(None, max_length=40)
    within: uuid.UUID | None = None
    page: int = Field(1, ge=1, le=1_000_000)


@router.get(
    "/cohorts/{cohort_id}/skill-matrix",
    response={200: MatrixOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def skill_matrix(request: HttpRequest, cohort_id: uuid.UUID, filters: Query[MatrixFilter]) -> Any:
    """CRCs × skills for one round: a page of 100 CRCs and the spread of levels over all."""
    user = _user(request)
    found = programme_selectors.cohort_get(user, cohort_id)
    within = org_selectors.orgunit_get(user, filters.within) if filters.within else None
    theme = None
    if filters.theme:
        theme = found.framework.themes.filter(code=filters.theme).first()
        if theme is None:
            raise Http404
    crcs = programme_selectors.crcs_for(user, found, within=within.path if within else None)
    matrix = skill_selectors.skill_matrix(
        crcs, found, round=filters.round, kind=filters.kind, theme=theme, page_number=filters.page
    )
    if filters.page > matrix.page.paginator.num_pages:
        raise Http404
    return {
        "round": filters.round,
        "kind": filters.kind,
        "page": matrix.page.number,
        "pages": matrix.page.paginator.num_pages,
        "crcs": matrix.page.paginator.count,
        "rated": matrix.rated,
        "skills": [
            {
                "code": s.code,
                "theme": s.theme.code,
                "name": s.name,
                "distribution": {str(lv): n for lv, n in matrix.distribution[s.pk].items()},
            }
            for s in matrix.skills
        ],
        "rows": [
            {
                "member_id": m.pk,
                "name": m.person.name,
                "cluster": m.org_unit.code,
                "levels": {s.code: matrix.levels.get((m.pk, s.pk)) for s in matrix.skills},
            }
            for m in matrix.page.object_list
        ],
    }
