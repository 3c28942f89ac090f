"""API of classroom observation: instruments, observations, and the offline sync door.

A device PUTs each observation under the UUID it generated:
201 created · 200 an identical replay (nothing written) or a newer revision of a draft ·
409 the id holds different data (the payload is stored as a conflict for a supervisor;
nothing is overwritten) · 422 a per-field error (the device keeps the record as a draft).
The browser's outbox signs in with the session cookie (and CSRF token); other clients
use a bearer token.
"""
# No `from __future__ import annotations` here: django-ninja reads the annotations at run time.

import datetime
import uuid
from typing import Any, Literal

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status
from ninja.security import SessionAuth

from clusterwise.observation import selectors
from clusterwise.observation.services import observation_sync
from clusterwise.org.models import User

router = Router(tags=["observation"])

MAX_BATCH = 50


class ErrorOut(Schema):
    detail: Any


def _user(request: HttpRequest) -> User:
    return request.user  # type: ignore[return-value]


def _auth() -> list[Any]:
    from .api import BearerToken

    return [BearerToken(), SessionAuth()]


# --- instruments ------------------------------------------------------------------------


class ItemOut(Schema):
    code: str
    name: dict[str, str]
    guidance: dict[str, str]
    descriptors: dict[str, dict[str, str]]


class SectionOut(Schema):
    code: str
    name: dict[str, str]
    items: list[ItemOut]

    @staticmethod
    def resolve_items(obj: Any) -> Any:
        return obj.items.all()


class InstrumentOut(Schema):
    id: uuid.UUID
    key: str
    version: int
    kind: str
    status: str
    name: dict[str, str]
    duration_minutes: int
    snapshot_minutes: list[int]


class InstrumentDetailOut(InstrumentOut):
    sections: list[SectionOut]

    @staticmethod
    def resolve_sections(obj: Any) -> Any:
        return obj.sections.all()


@router.get("/instruments", response={200: list[InstrumentOut], 401: ErrorOut})
def instruments(request: HttpRequest) -> Any:
    """The published instruments observers can use."""
    return selectors.instruments_in_use()


@router.get(
    "/instruments/{instrument_id}",
    response={200: InstrumentDetailOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def instrument(request: HttpRequest, instrument_id: uuid.UUID) -> Any:
    """One instrument version with its sections and items."""
    return selectors.instrument_with_items(instrument_id)


# --- the sync door --------------------------------------------------------------------------


class ScoreIn(Schema):
    item: str = Field(..., min_length=1, max_length=60)
    score: int | None = Field(None, ge=1, le=5)
    evidence: str = Field("", max_length=2000)


class SnapshotIn(Schema):
    minute: int = Field(..., ge=1, le=180)
    learning_activity: bool | None = None
    on_task: Literal["few", "some", "most"] | None = None


class FollowUpIn(Schema):
    action: uuid.UUID
    status: Literal["done", "partly", "not_done"]
    comment: str = Field("", max_length=300)


class ActionIn(Schema):
    text: str = Field(..., min_length=1, max_length=300)
    due_on: datetime.date


class FeedbackIn(Schema):
    strengths: str = Field("", max_length=4000)
    next_steps: list[str] = Field([], max_length=5)
    actions: list[ActionIn] = Field([], max_length=5)
    resources: str = Field("", max_length=2000)
    language: str = Field("", max_length=10)


class ObservationIn(Schema):
    id: uuid.UUID
    revision: int = Field(1, ge=1, le=1_000_000)
    status: Literal["draft", "submitted"]
    instrument: uuid.UUID
    school: uuid.UUID
    teacher: uuid.UUID
    planned_visit: uuid.UUID | None = None
    observed_on: datetime.date
    started_at: datetime.datetime | None = None
    grade: str = Field("", max_length=20)
    subject: str = Field("", max_length=100)
    topic: str = Field("", max_length=200)
    students_present: int | None = Field(None, ge=0, le=500)
    notes: str = Field("", max_length=8000)
    scores: list[ScoreIn] = Field([], max_length=100)
    snapshots: list[SnapshotIn] = Field([], max_length=30)
    followups: list[FollowUpIn] = Field([], max_length=20)
    feedback: FeedbackIn | None = None


class AckOut(Schema):
    id: uuid.UUID
    result: Literal["created", "replayed", "updated"]
    status: str
    revision: int
    version: int


class ConflictOut(Schema):
    detail: str
    conflict: uuid.UUID
    server_status: str
    server_revision: int


def _device(request: HttpRequest) -> str:
    return (request.headers.get("X-Device-Id") or "")[:64]


def _sync(request: HttpRequest, data: ObservationIn) -> tuple[int, dict[str, Any]]:
    user = _user(request)
    if not user.has_perm("observation.observe"):
        raise PermissionDenied
    outcome = observation_sync(
        payload=data.model_dump(mode="json"), by=user, device=_device(request)
    )
    observation = outcome.observation
    if outcome.status == 409:
        assert outcome.conflict is not None
        return 409, {
            "detail": outcome.conflict.reason,
            "conflict": outcome.conflict.pk,
            "server_status": observation.status,
            "server_revision": observation.revision,
        }
    result = "created" if outcome.status == 201 else "updated" if outcome.changed else "replayed"
    return outcome.status, {
        "id": observation.pk,
        "result": result,
        "status": observation.status,
        "revision": observation.revision,
        "version": observation.version,
    }


@router.put(
    "/sync/observations/{observation_id}",
    auth=_auth(),
    response={
        200: AckOut,
        201: AckOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ConflictOut,
        422: ErrorOut,
    },
)
def sync_observation(request: HttpRequest, observation_id: uuid.UUID, data: ObservationIn) -> Any:
    """Create or replay one observation under the id the device generated (see the tag's
    description for the answers)."""
    if data.id != observation_id:
        return Status(422, {"detail": {"id": ["The id in the body differs from the URL's."]}})
    return Status(*_sync(request, data))


class BatchIn(Schema):
    observations: list[ObservationIn] = Field(..., min_length=1, max_length=MAX_BATCH)


class BatchItemOut(Schema):
    id: uuid.UUID
    status: int
    body: dict[str, Any]


@router.post(
    "/sync/observations",
    auth=_auth(),
    response={200: list[BatchItemOut], 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 422: ErrorOut},
)
def sync_observations(request: HttpRequest, data: BatchIn) -> Any:
    """Several observations in one request; each is applied on its own, in order, and
    answered as the single PUT would."""
    if not _user(request).has_perm("observation.observe"):
        raise PermissionDenied
    results = []
    for item in data.observations:
        try:
            with transaction.atomic():
                status, body = _sync(request, item)
        except DjangoValidationError as error:
            detail = error.message_dict if hasattr(error, "error_dict") else error.messages
            status, body = 422, {"detail": detail}
        results.append({"id": item.id, "status": status, "body": _jsonable(body)})
    return results


def _jsonable(body: dict[str, Any]) -> dict[str, Any]:
    return {
        key: str(value) if isinstance(value, uuid.UUID) else value for key, value in body.items()
    }


# --- reading observations ----------------------------------------------------------------


class ObservationOut(Schema):
    id: uuid.UUID
    status: str
    instrument: uuid.UUID = Field(..., alias="instrument_id")
    school: uuid.UUID = Field(..., alias="school_id")
    teacher: uuid.UUID = Field(..., alias="teacher_id")
    observer: uuid.UUID = Field(..., alias="observer_id")
    observed_on: datetime.date
    revision: int
    version: int


@router.get(
    "/observations",
    auth=_auth(),
    response={200: list[ObservationOut], 401: ErrorOut, 422: ErrorOut},
)
@paginate(PageNumberPagination, page_size=100)
def observations(request: HttpRequest) -> Any:
    """Observations the caller may read, newest first."""
    return selectors.observations_for(_user(request)).order_by("-observed_on", "id")


class ScoreOut(Schema):
    item: str = Field(..., alias="item.code")
    score: int | None
    evidence: str


class SnapshotOut(Schema):
    minute: int
    learning_activity: bool | None
    on_task: str


class ObservationDetailOut(ObservationOut):
    scores: list[ScoreOut]
    snapshots: list[SnapshotOut]
    notes: str

    @staticmethod
    def resolve_scores(obj: Any) -> Any:
        return obj.scores.select_related("item").order_by("item__section__order", "item__order")

    @staticmethod
    def resolve_snapshots(obj: Any) -> Any:
        return obj.snapshots.all()


@router.get(
    "/observations/{observation_id}",
    auth=_auth(),
    response={200: ObservationDetailOut, 401: ErrorOut, 404: ErrorOut, 422: ErrorOut},
)
def observation(request: HttpRequest, observation_id: uuid.UUID) -> Any:
    """One observation the caller may read; 404 for any other."""
    return selectors.observation_get(_user(request), observation_id)
