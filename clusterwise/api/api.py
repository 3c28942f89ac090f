"""The HTTP API: /api/v1/, OpenAPI at /api/v1/openapi.json."""
# No `from __future__ import annotations` here: django-ninja reads the annotations at run time.

import datetime
import uuid
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from django.contrib.auth import authenticate
from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import Field, FilterSchema, NinjaAPI, Query, Schema
from ninja.errors import AuthenticationError
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status
from ninja.security import HttpBearer

from clusterwise.org import selectors
from clusterwise.org.models import OrgUnit, Person, User
from clusterwise.org.rules import roles_of

from .services import token_issue, token_user


class BearerToken(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        user = token_user(token)
        if user is not None:
            request.user = user
        return user


api = NinjaAPI(
    title="Clusterwise API",
    version="1",
    urls_namespace="api",
    auth=BearerToken(),
    description="Every list and record is limited to the caller's part of the org tree; "
    "anything outside it answers 404.",
)


class ErrorOut(Schema):
    detail: Any


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": "Not found."}, status=404)


@api.exception_handler(DjangoValidationError)
def invalid(request: HttpRequest, exc: DjangoValidationError) -> HttpResponse:
    detail = exc.message_dict if hasattr(exc, "error_dict") else exc.messages
    return api.create_response(request, {"detail": detail}, status=422)


@api.exception_handler(PermissionDenied)
def forbidden(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(request, {"detail": "You may not do this."}, status=403)


@api.exception_handler(AuthenticationError)
def unauthorised(request: HttpRequest, exc: Exception) -> HttpResponse:
    return api.create_response(
        request, {"detail": "Send a valid token: Authorization: Bearer <token>."}, status=401
    )


# --- auth ----------------------------------------------------------------------------


class TokenIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=4096)


class TokenOut(Schema):
    token: str


@api.post(
    "/auth/token",
    auth=None,
    response={
        200: TokenOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        422: ErrorOut,
        429: ErrorOut,
    },
    tags=["auth"],
)
def auth_token(request: HttpRequest, data: TokenIn) -> Any:
    """Exchange a username (or phone) and password for a bearer token."""
    credentials = {"username": data.username}
    if AxesProxyHandler.is_locked(request, credentials):
        return Status(
            403, {"detail": "Too many failed attempts; this account is locked for a while."}
        )
    user = authenticate(request, username=data.username, password=data.password)
    if user is None:
        return Status(401, {"detail": "Wrong username or password."})
    return Status(200, {"token": token_issue(user=user)})


# --- me ------------------------------------------------------------------------------


class AssignmentOut(Schema):
    id: uuid.UUID
    role: str
    org_unit_id: uuid.UUID
    org_unit_name: str = Field(..., alias="org_unit.name")
    start_date: datetime.date
    end_date: datetime.date | None


class MeOut(Schema):
    username: str
    name: str | None
    roles: list[str]
    scope: list[uuid.UUID]
    assignments: list[AssignmentOut]


@api.get("/me", response={200: MeOut, 401: ErrorOut}, tags=["people"])
def me(request: HttpRequest) -> Any:
    """Who the token belongs to, their roles and the roots of what they can see."""
    user: User = request.user  # type: ignore[assignment]
    person = Person.objects.filter(user=user).first()
    assignments = (
        list(selectors.assignments_of(user, person).filter(end_date__isnull=True)) if person else []
    )
    return {
        "username": user.username,
        "name": person.name if person else None,
        "roles": sorted(roles_of(user)),
        "scope": [u.pk for u in selectors.scope_roots(user)],
        "assignments": assignments,
    }


# --- org units -----------------------------------------------------------------------


class OrgUnitOut(Schema):
    id: uuid.UUID
    code: str
    name: str
    level: str
    parent_id: uuid.UUID | None = None
    depth: int
    children: int = Field(..., alias="numchild")

    @staticmethod
    def resolve_parent_id(obj: OrgUnit) -> uuid.UUID | None:
        return getattr(obj, "parent_pk", None)


class SchoolOut(Schema):
    management: str
    area: str
    tribal_area: bool
    languages: list[str]
    latitude: float | None
    longitude: float | None


class OrgUnitDetailOut(OrgUnitOut):
    school: SchoolOut | None = None

    @staticmethod
    def resolve_school(obj: OrgUnit) -> Any:
        return getattr(obj, "school", None) if obj.is_school else None


class OrgUnitFilter(FilterSchema):
    level: str | None = None
    parent: uuid.UUID | None = None


def _with_parent_ids(units: list[OrgUnit]) -> list[OrgUnit]:
    """Attach parent ids for a page of units with one query."""
    parent_paths = {u.path[: -OrgUnit.steplen] for u in units if u.depth > 1}
    by_path = dict(OrgUnit.objects.filter(path__in=parent_paths).values_list("path", "pk"))
    for unit in units:
        unit.parent_pk = by_path.get(unit.path[: -OrgUnit.steplen])  # type: ignore[attr-defined]
    return units


class ScopedPagination(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int = Field(100, ge=1, le=500)

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        offset = (pagination.page - 1) * pagination.page_size
        items = list(queryset[offset : offset + pagination.page_size])
        if items and isinstance(items[0], OrgUnit):
            _with_parent_ids(items)
        return {"items": items, "count": self._items_count(queryset)}


@api.get(
    "/org-units",
    response={200: list[OrgUnitOut], 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    tags=["org"],
)
@paginate(ScopedPagination)
def org_units(request: HttpRequest, filters: Query[OrgUnitFilter]) -> Any:
    """Org units in the caller's scope, filtered by `level` and/or `parent` (an org unit id)."""
    user: User = request.user  # type: ignore[assignment]
    units = selectors.orgunits_for(user).order_by("path")
    if filters.level:
        units = units.filter(level=filters.level)
    if filters.parent:
        parent = selectors.orgunit_get(user, filters.parent)
        units = selectors.children_of(user, parent).order_by("path")
        if filters.level:
            units = units.filter(level=filters.level)
    return units


@api.get(
    "/org-units/{unit_id}",
    response={200: OrgUnitDetailOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    tags=["org"],
)
def org_unit(request: HttpRequest, unit_id: uuid.UUID) -> Any:
    """One org unit; 404 if it lies outside the caller's scope."""
    unit = selectors.orgunit_get(request.user, unit_id)  # type: ignore[arg-type]
    return _with_parent_ids([unit])[0]


# --- people --------------------------------------------------------------------------


class PersonOut(Schema):
    id: uuid.UUID
    name: str
    phone: str | None
    email: str
    languages: list[str]
    assignments: list[AssignmentOut] = Field(..., alias="current")


class PeopleFilter(FilterSchema):
    role: str | None = None
    org_unit: uuid.UUID | None = None
    q: str | None = Field(None, max_length=100)


@api.get(
    "/people",
    response={200: list[PersonOut], 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    tags=["people"],
)
@paginate(ScopedPagination)
def people(request: HttpRequest, filters: Query[PeopleFilter]) -> Any:
    """People with a current assignment in the caller's scope."""
    user: User = request.user  # type: ignore[assignment]
    result = selectors.people_list(user)
    if filters.q:
        result = result.filter(name__icontains=filters.q)
    if filters.role or filters.org_unit:
        unit = selectors.orgunit_get(user, filters.org_unit) if filters.org_unit else None
        result = result.filter(selectors.holds_post_q(role=filters.role, unit=unit))
    return result


@api.get(
    "/people/{person_id}",
    response={200: PersonOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
    tags=["people"],
)
def person(request: HttpRequest, person_id: uuid.UUID) -> Any:
    """One person in scope; 404 for anyone else."""
    found = selectors.people_list(request.user, include_former=True).filter(pk=person_id).first()  # type: ignore[arg-type]
    if found is None:
        raise Http404
    return found


# --- the programme (skills, cohorts, assessments): programme_api.py ----------------------

from .programme_api import router as programme_router  # noqa: E402

api.add_router("/", programme_router)


# --- classroom observation and the offline sync door: observation_api.py ------------------

from .observation_api import router as observation_router  # noqa: E402

api.add_router("/", observation_router)


# --- learning data: learning_api.py ------------------------------------------------------

from .learning_api import router as learning_router  # noqa: E402

api.add_router("/", learning_router)


# --- school-leadership networks: networks_api.py -------------------------------------------

from .networks_api import router as networks_router  # noqa: E402

api.add_router("/", networks_router)
