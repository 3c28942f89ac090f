"""API of school-leadership networks: networks and how they are doing, meetings (agenda,
attendance, minutes, commitments and their reviews), the caller's actions, and the
good-practice library.

Scoped like the pages: every record is reached through `networks.selectors` (404 outside
what the caller sees) and every write goes through `networks.services`. Reading needs
`networks.view_networks` (403 without it). A refused write answers 422 with the messages by
field (`__all__` for the record as a whole); a write quoting a `version` someone else has
moved on answers 409. NUL characters in text are dropped (no database stores them).
"""
# No `from __future__ import annotations` here: django-ninja reads the annotations at run time.

import datetime
import functools
import uuid
from collections.abc import Callable
from typing import Annotated, Any, Literal

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.pagination import PageNumberPagination, paginate
from ninja.responses import Status
from pydantic import AfterValidator

from clusterwise.core.audit import StaleEdit
from clusterwise.networks.models import Action, Meeting, Network, PracticeTrial
from clusterwise.networks.selectors import meetings as meeting_selectors
from clusterwise.networks.selectors import networks as network_selectors
from clusterwise.networks.selectors import practices as practice_selectors
from clusterwise.networks.services import meetings as meeting_services
from clusterwise.networks.services import practices as practice_services
from clusterwise.org.models import Person, User

router = Router(tags=["networks"])

# The years a meeting may be planned in: outside them a date is a typing mistake (and a
# far one does not fit the database once moved to UTC).
MEETING_YEARS = (2000, 2100)


class ErrorOut(Schema):
    detail: Any


READ = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
WRITE = {400: ErrorOut, **READ}
VERSIONED = {**WRITE, 409: ErrorOut}

# Text as typed, without NUL characters: PostgreSQL refuses them (a 500, not a 422).
Text = Annotated[str, AfterValidator(lambda value: value.replace("\x00", ""))]
# The app's languages as an enum in the schema, so clients (and the fuzz) know them.
Language = Literal[tuple(code for code, _name in settings.LANGUAGES)]  # type: ignore[valid-type]


def _user(request: HttpRequest) -> User:
    user: User = request.user  # type: ignore[assignment]
    if not user.has_perm("networks.view_networks"):
        raise PermissionDenied
    return user


def _refusals(view: Callable[..., Any]) -> Callable[..., Any]:
    """A service's refusal as an answer: 409 for a stale version, else 422 by field."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        try:
            return view(request, *args, **kwargs)
        except StaleEdit as exc:
            return Status(409, {"detail": exc.messages})
        except ValidationError as exc:
            return _invalid(exc)

    return wrapped


def _invalid(exc: ValidationError) -> Status:
    detail = exc.message_dict if hasattr(exc, "error_dict") else {NON_FIELD_ERRORS: exc.messages}
    return Status(422, {"detail": detail})


def _field_error(field: str, message: str) -> Status:
    return Status(422, {"detail": {field: [message]}})


class Pages(PageNumberPagination):
    class Input(Schema):
        page: int = Field(1, ge=1, le=1_000_000)
        page_size: int = Field(100, ge=1, le=100)


# --- networks ------------------------------------------------------------------------------


class PersonRef(Schema):
    id: uuid.UUID
    name: str


class UnitRef(Schema):
    id: uuid.UUID
    code: str
    name: str


class NetworkOut(Schema):
    id: uuid.UUID
    name: str
    kind: str
    org_unit: UnitRef
    facilitator: PersonRef | None
    started_on: datetime.date
    closed_on: datetime.date | None
    version: int


class NetworkHealthOut(NetworkOut):
    schools: int = Field(..., alias="health.schools")
    members: int = Field(..., alias="health.members")
    meetings_held: int = Field(..., alias="health.held", description="in the last year")
    meetings_planned: int = Field(..., alias="health.planned", description="from now on")
    last_met: datetime.date | None = Field(..., alias="health.last_met")
    open_actions: int = Field(..., alias="health.open_actions")
    overdue_actions: int = Field(..., alias="health.overdue")
    stuck: list[str] = Field(..., alias="health.stuck", description="what keeps it back")


def _with_health(networks: Any) -> list[Network]:
    """The networks, each with its `health` figures, in a fixed number of queries."""
    found = []
    for health in network_selectors.health_of(networks):
        health.network.health = health  # type: ignore[attr-defined]
        found.append(health.network)
    return found


class HealthPages(Pages):
    """A page of networks, then the figures of that page only."""

    def paginate_queryset(
        self, queryset: Any, pagination: Any, request: HttpRequest, **params: Any
    ) -> Any:
        offset = (pagination.page - 1) * pagination.page_size
        page = queryset[offset : offset + pagination.page_size]
        return {"items": _with_health(page), "count": queryset.count()}


class NetworkFilter(Schema):
    mine: bool = Field(False, description="only the open networks the caller facilitates")


@router.get("/networks", response={200: list[NetworkHealthOut], **READ})
@paginate(HealthPages)
def networks(request: HttpRequest, filters: Query[NetworkFilter]) -> Any:
    """The networks the caller sees, each with how it is doing: schools and members,
    meetings held and planned, open and overdue actions, and what is stuck."""
    user = _user(request)
    if filters.mine:
        return network_selectors.facilitated_by(user)
    return network_selectors.networks_for(user)


class NetworkSchoolOut(Schema):
    id: uuid.UUID = Field(..., alias="school_id")
    code: str = Field(..., alias="school.code")
    name: str = Field(..., alias="school.name")
    walking_minutes: int | None
    joined_on: datetime.date


class NetworkMemberOut(Schema):
    id: uuid.UUID
    person: PersonRef
    role: str
    school_id: uuid.UUID | None
    joined_on: datetime.date


class NetworkDetailOut(NetworkHealthOut):
    description: str
    part_of_id: uuid.UUID | None
    meeting_school_id: uuid.UUID | None
    member_schools: list[NetworkSchoolOut]
    people: list[NetworkMemberOut]
    runs: bool = Field(..., description="the caller plans its meetings")
    takes_part: bool = Field(..., description="the caller records attendance, minutes, commitments")


@router.get("/networks/{network_id}", response={200: NetworkDetailOut, **READ})
def network(request: HttpRequest, network_id: uuid.UUID) -> Any:
    """One network: its figures, member schools, members and facilitator."""
    user = _user(request)
    found = network_selectors.network_get(user, network_id)
    (found,) = _with_health(network_selectors.networks_for(user).filter(pk=found.pk))
    found.member_schools = network_selectors.schools_of(found)  # type: ignore[attr-defined]
    found.people = network_selectors.members_of(found)  # type: ignore[attr-defined]
    found.runs = network_selectors.runs(user, found)  # type: ignore[attr-defined]
    found.takes_part = network_selectors.takes_part(user, found)  # type: ignore[attr-defined]
    return found


# --- meetings ------------------------------------------------------------------------------


class MeetingOut(Schema):
    id: uuid.UUID
    network_id: uuid.UUID
    title: str
    template: str
    starts_at: datetime.datetime
    duration_minutes: int
    mode: str
    venue: UnitRef | None
    venue_text: str
    link: str
    whatsapp_group: str
    status: str
    version: int


@router.get("/networks/{network_id}/meetings", response={200: list[MeetingOut], **READ})
@paginate(Pages)
def meetings(request: HttpRequest, network_id: uuid.UUID) -> Any:
    """The network's meetings, newest first."""
    found = network_selectors.network_get(_user(request), network_id)
    return meeting_selectors.meetings_of(found)


class CommitmentBriefOut(Schema):
    id: uuid.UUID
    text: str
    owner: PersonRef
    due_on: datetime.date
    success_measure: str
    status: str
    version: int


class ReviewHereOut(Schema):
    status: str
    note: str


class AgendaItemOut(Schema):
    order: int
    title: str
    source: str
    notes: str
    practice_id: uuid.UUID | None
    commitment: CommitmentBriefOut | None = Field(
        ..., alias="action", description="the commitment to review at this item"
    )
    review: ReviewHereOut | None = Field(..., description="what this meeting found of it")

    @staticmethod
    def resolve_review(obj: Any) -> Any:
        reviews = getattr(obj.action, "here", None) if obj.action_id else None
        return reviews[0] if reviews else None


class AttendanceOut(Schema):
    person: PersonRef
    present: bool | None = Field(..., description="null: not recorded")
    remote: bool


class WitnessOut(Schema):
    id: uuid.UUID = Field(..., alias="person_id")
    name: str = Field(..., alias="person.name")


class CommitmentOut(CommitmentBriefOut):
    goal: str
    witnesses: list[WitnessOut]

    @staticmethod
    def resolve_witnesses(obj: Any) -> Any:
        return obj.witnesses.all()


class MeetingDetailOut(MeetingOut):
    network_name: str = Field(..., alias="network.name")
    minutes: str
    decisions: str
    agenda: list[AgendaItemOut] = Field(..., alias="agenda_items")
    attendance: list[AttendanceOut] = Field(..., alias="sheet")
    commitments: list[CommitmentOut] = Field(..., alias="made", description="made at it")
    runs: bool
    takes_part: bool


def _participants(network: Network) -> dict[uuid.UUID, Person]:
    """Its members and its facilitator: who attends, owns and witnesses commitments."""
    people = {m.person_id: m.person for m in network_selectors.members_of(network)}
    if network.facilitator is not None:
        people[network.facilitator.pk] = network.facilitator
    return people


def _sheet(meeting: Meeting, people: dict[uuid.UUID, Person]) -> list[dict[str, Any]]:
    """Each of the network's people and whether they came (None: not recorded)."""
    attended = meeting_selectors.attendance_of(meeting)
    sheet = []
    for person in sorted(people.values(), key=lambda p: (p.name, str(p.pk))):
        row = attended.get(person.pk)
        sheet.append(
            {
                "person": person,
                "present": row.present if row else None,
                "remote": row.remote if row else False,
            }
        )
    return sheet


def _meeting_detail(user: User, meeting: Meeting) -> Meeting:
    network = meeting.network
    meeting.agenda_items = meeting_selectors.agenda_of(meeting)  # type: ignore[attr-defined]
    meeting.sheet = _sheet(meeting, _participants(network))  # type: ignore[attr-defined]
    meeting.made = meeting_selectors.commitments_made_at(meeting)  # type: ignore[attr-defined]
    meeting.runs = network_selectors.runs(user, network)  # type: ignore[attr-defined]
    meeting.takes_part = network_selectors.takes_part(user, network)  # type: ignore[attr-defined]
    return meeting


class MeetingIn(Schema):
    title: Text = Field(..., min_length=1, max_length=200)
    template: Meeting.Template
    starts_at: datetime.datetime = Field(..., description="without a zone: the app's time zone")
    duration_minutes: int = Field(90, ge=15, le=480)
    mode: Meeting.Mode
    venue: uuid.UUID | None = Field(None, description="one of the network's schools")
    venue_text: Text = Field("", max_length=200)
    link: Text = Field("", max_length=200)
    whatsapp_group: Text = Field("", max_length=100)


@router.post("/networks/{network_id}/meetings", response={201: MeetingDetailOut, **WRITE})
@_refusals
def meeting_schedule(request: HttpRequest, network_id: uuid.UUID, data: MeetingIn) -> Any:
    """Plan a meeting (those who run the network): its agenda comes from the template, with
    every open commitment of the network to review."""
    user = _user(request)
    found = network_selectors.network_get(user, network_id)
    if not network_selectors.runs(user, found):
        raise PermissionDenied
    starts_at = data.starts_at
    if timezone.is_naive(starts_at):
        starts_at = timezone.make_aware(starts_at)
    if not MEETING_YEARS[0] <= starts_at.year <= MEETING_YEARS[1]:
        return _field_error("starts_at", _("Give a date between 2000 and 2100."))
    venue = None
    if data.venue is not None:
        place = network_selectors.schools_of(found).filter(school_id=data.venue).first()
        if place is None:
            return _field_error("venue", _("The venue must be one of the network's schools."))
        venue = place.school
    meeting = meeting_services.meeting_schedule(
        network=found,
        title=data.title,
        template=data.template,
        starts_at=starts_at,
        duration_minutes=data.duration_minutes,
        mode=data.mode,
        venue=venue,
        venue_text=data.venue_text,
        link=data.link,
        whatsapp_group=data.whatsapp_group,
        by=user,
    )
    return Status(201, _meeting_detail(user, meeting_selectors.meeting_get(user, meeting.pk)))


@router.get("/meetings/{meeting_id}", response={200: MeetingDetailOut, **READ})
def meeting(request: HttpRequest, meeting_id: uuid.UUID) -> Any:
    """One meeting: its agenda (with each commitment to review and what this meeting found
    of it), who came, and the commitments made there with their witnesses."""
    user = _user(request)
    return _meeting_detail(user, meeting_selectors.meeting_get(user, meeting_id))


def _taking_part(request: HttpRequest, meeting_id: uuid.UUID) -> tuple[User, Meeting]:
    """The caller and the meeting, if the caller takes part in its network (else 403)."""
    user = _user(request)
    found = meeting_selectors.meeting_get(user, meeting_id)
    if not network_selectors.takes_part(user, found.network):
        raise PermissionDenied
    return user, found


class AttendanceIn(Schema):
    present: list[uuid.UUID] = Field([], max_length=500, description="came in person")
    remote: list[uuid.UUID] = Field([], max_length=500, description="joined at a distance")


@router.put("/meetings/{meeting_id}/attendance", response={200: list[AttendanceOut], **WRITE})
@_refusals
def attendance(request: HttpRequest, meeting_id: uuid.UUID, data: AttendanceIn) -> Any:
    """Who came (the network's other people are recorded absent), on or after the day of
    the meeting; for its members and those who run it."""
    user, found = _taking_part(request, meeting_id)
    people = _participants(found.network)
    for field, given in (("present", data.present), ("remote", data.remote)):
        if set(given) - set(people):
            return _field_error(field, _("Only the network's members and facilitator can attend."))
    meeting_services.attendance_record(
        meeting=found,
        present=[people[pk] for pk in data.present],
        remote=[people[pk] for pk in data.remote],
        by=user,
    )
    return _sheet(found, people)


class MinutesIn(Schema):
    minutes: Text = Field(..., min_length=1, max_length=20_000)
    decisions: Text = Field("", max_length=5_000)
    version: int | None = Field(None, description="the meeting's version as read; stale: 409")


@router.put("/meetings/{meeting_id}/minutes", response={200: MeetingDetailOut, **VERSIONED})
@_refusals
def minutes(request: HttpRequest, meeting_id: uuid.UUID, data: MinutesIn) -> Any:
    """The minutes and decisions; the meeting is held from then on. Quote `version`."""
    user, found = _taking_part(request, meeting_id)
    meeting_services.minutes_record(
        meeting=found,
        minutes=data.minutes,
        decisions=data.decisions,
        version=data.version,
        by=user,
    )
    return _meeting_detail(user, found)


class CommitmentIn(Schema):
    text: Text = Field(..., min_length=1, max_length=300)
    owner: uuid.UUID = Field(..., description="a member or the facilitator")
    due_on: datetime.date
    success_measure: Text = Field(..., min_length=1, max_length=300)
    goal: Text = Field("", max_length=200)
    witnesses: list[uuid.UUID] | None = Field(
        None, max_length=200, description="members; by default those recorded present"
    )


@router.post("/meetings/{meeting_id}/commitments", response={201: CommitmentOut, **WRITE})
@_refusals
def commitment(request: HttpRequest, meeting_id: uuid.UUID, data: CommitmentIn) -> Any:
    """A commitment made at the meeting (its members and those who run it), witnessed by
    those present or those named; it goes on the agenda of the next planned meeting."""
    user, found = _taking_part(request, meeting_id)
    people = _participants(found.network)
    if data.owner not in people:
        return _field_error("owner", _("The owner must be a member of the network."))
    witnesses = None
    if data.witnesses is not None:
        if set(data.witnesses) - set(people):
            return _field_error("witnesses", _("Witnesses must be members of the network."))
        witnesses = [people[pk] for pk in data.witnesses]
    action = meeting_services.commitment_record(
        meeting=found,
        text=data.text,
        owner=people[data.owner],
        due_on=data.due_on,
        success_measure=data.success_measure,
        goal=data.goal,
        witnesses=witnesses,
        by=user,
    )
    return Status(201, meeting_selectors.commitments_made_at(found).get(pk=action.pk))


class ReviewIn(Schema):
    action: uuid.UUID = Field(..., description="a commitment on this meeting's agenda")
    status: Action.Status
    note: Text = Field("", max_length=500)
    evidence: Text = Field("", max_length=2000, description="needed for done")


class ReviewOut(Schema):
    meeting_id: uuid.UUID
    status: str
    note: str
    commitment: CommitmentBriefOut = Field(..., alias="action")


@router.post("/meetings/{meeting_id}/reviews", response={200: ReviewOut, **WRITE})
@_refusals
def review(request: HttpRequest, meeting_id: uuid.UUID, data: ReviewIn) -> Any:
    """What the meeting found of a commitment on its agenda; reviewing it again at the same
    meeting replaces what was found. Done needs evidence."""
    user, found = _taking_part(request, meeting_id)
    action = meeting_selectors.action_get(user, data.action)
    if not any(item.action_id == action.pk for item in meeting_selectors.agenda_of(found)):
        return _field_error("action", _("This commitment is not on the agenda."))
    return meeting_services.commitment_review(
        meeting=found,
        action=action,
        status=data.status,
        note=data.note,
        evidence=data.evidence,
        by=user,
    )


# --- actions -------------------------------------------------------------------------------


class ActionOut(Schema):
    id: uuid.UUID
    text: str
    goal: str
    owner: PersonRef
    due_on: datetime.date
    success_measure: str
    target: str
    achieved: str
    status: str
    overdue: bool
    evidence: str
    completed_on: datetime.date | None
    plan_id: uuid.UUID
    network_id: uuid.UUID | None = Field(..., alias="plan.network_id")
    made_in_id: uuid.UUID | None
    version: int

    @staticmethod
    def resolve_overdue(obj: Any) -> bool:
        return obj.is_overdue()  # type: ignore[no-any-return]


class ActionFilter(Schema):
    status: Action.Status | None = None


@router.get("/actions", response={200: list[ActionOut], **READ})
@paginate(Pages)
def actions(request: HttpRequest, filters: Query[ActionFilter]) -> Any:
    """The caller's own actions, open ones first, soonest due first."""
    found = meeting_selectors.actions_mine(_user(request))
    if filters.status:
        found = found.filter(status=filters.status)
    return found


class ActionWitnessOut(WitnessOut):
    meeting_id: uuid.UUID


class ActionReviewOut(Schema):
    meeting_id: uuid.UUID
    meeting_title: str = Field(..., alias="meeting.title")
    starts_at: datetime.datetime = Field(..., alias="meeting.starts_at")
    status: str
    note: str


class ActionDetailOut(ActionOut):
    witnesses: list[ActionWitnessOut]
    reviews: list[ActionReviewOut]
    may_update: bool

    @staticmethod
    def resolve_witnesses(obj: Any) -> Any:
        return obj.witnesses.select_related("person").order_by("person__name")

    @staticmethod
    def resolve_reviews(obj: Any) -> Any:
        return obj.reviews.select_related("meeting").order_by("meeting__starts_at")


def _may_update(user: User, action: Action) -> bool:
    """Its owner, and those who run the network it was committed in."""
    network = action.plan.network
    return action.owner.user_id == user.pk or (
        network is not None and network_selectors.runs(user, network)
    )


def _action_detail(user: User, action: Action) -> Action:
    action.may_update = _may_update(user, action)  # type: ignore[attr-defined]
    return action


@router.get("/actions/{action_id}", response={200: ActionDetailOut, **READ})
def action(request: HttpRequest, action_id: uuid.UUID) -> Any:
    """One action the caller sees, with its witnesses and the meetings' reviews of it."""
    user = _user(request)
    return _action_detail(user, meeting_selectors.action_get(user, action_id))


class ProgressIn(Schema):
    status: Action.Status | None = Field(None, description="unchanged when left out")
    evidence: Text = Field("", max_length=5000, description="kept when left empty")
    achieved: Text | None = Field(None, max_length=100)
    version: int | None = Field(None, description="the action's version as read; stale: 409")


@router.patch("/actions/{action_id}", response={200: ActionDetailOut, **VERSIONED})
@_refusals
def action_update(request: HttpRequest, action_id: uuid.UUID, data: ProgressIn) -> Any:
    """Move an action on (its owner, or those who run its network); done needs evidence."""
    user = _user(request)
    found = meeting_selectors.action_get(user, action_id)
    if not _may_update(user, found):
        raise PermissionDenied
    meeting_services.action_progress(
        action=found,
        version=data.version,
        status=data.status or found.status,
        evidence=data.evidence,
        achieved=data.achieved,
        by=user,
    )
    return _action_detail(user, meeting_selectors.action_get(user, action_id))


# --- good practice -------------------------------------------------------------------------


class NetworkRef(Schema):
    id: uuid.UUID
    name: str


class PracticeOut(Schema):
    id: uuid.UUID
    title: str
    problem: str
    tags: list[str]
    language: str
    school: UnitRef | None
    network: NetworkRef | None
    shared_from: UnitRef = Field(..., alias="org_unit")
    created_at: datetime.datetime
    tried: int = Field(..., description="schools that tried it")
    worked: int = Field(..., description="schools where it worked")
    version: int


class PracticeFilter(Schema):
    q: Text = Field(
        "", max_length=practice_selectors.MAX_QUERY, description='words, "a phrase", -not, or'
    )
    tag: Text = Field("", max_length=practice_selectors.MAX_TAG_LENGTH)
    language: Language | None = None  # type: ignore[valid-type]
    network: uuid.UUID | None = Field(None, description="shared in this network")


@router.get("/practices", response={200: list[PracticeOut], **READ})
@paginate(Pages)
def practices(request: HttpRequest, filters: Query[PracticeFilter]) -> Any:
    """The good-practice library the caller reads, searched: best match first (newest first
    without a query), each with how many schools tried it and where it worked."""
    user = _user(request)
    network = network_selectors.network_get(user, filters.network) if filters.network else None
    return practice_selectors.practice_search(
        user,
        filters.q,
        tags=[filters.tag] if filters.tag else (),
        language=filters.language,
        network=network,
    )


class TrialOut(Schema):
    school: UnitRef
    tried_on: datetime.date
    outcome: str
    note: str


class RecommendationOut(Schema):
    network: NetworkRef
    note: str
    created_at: datetime.datetime


class PracticeDetailOut(PracticeOut):
    what_was_done: str
    evidence: str
    trials: list[TrialOut] = Field(..., alias="trials_seen")
    recommendations: list[RecommendationOut] = Field(
        ..., alias="recommendations_seen", description="to networks the caller sees"
    )
    may_edit: bool


@router.get("/practices/{practice_id}", response={200: PracticeDetailOut, **READ})
def practice(request: HttpRequest, practice_id: uuid.UUID) -> Any:
    """One practice: what was done and its evidence, the schools that tried it, and where it
    was recommended among the networks the caller sees."""
    user = _user(request)
    return _practice_detail(user, practice_selectors.practice_get(user, practice_id))


def _practice_detail(user: User, found: Any) -> Any:
    trials = list(practice_selectors.trials_of(found))
    found.trials_seen = trials  # type: ignore[attr-defined]
    found.tried = len(trials)  # type: ignore[attr-defined]
    found.worked = sum(t.outcome == PracticeTrial.Outcome.WORKED for t in trials)  # type: ignore[attr-defined]
    found.recommendations_seen = practice_selectors.recommendations_seen(user, found)  # type: ignore[attr-defined]
    found.may_edit = practice_selectors.may_edit(user, found)  # type: ignore[attr-defined]
    return found


class TrialIn(Schema):
    school: uuid.UUID = Field(..., description="a school where the caller works")
    outcome: PracticeTrial.Outcome
    tried_on: datetime.date | None = Field(None, description="today when left out")
    note: Text = Field("", max_length=practice_services.MAX_NOTE)


@router.post("/practices/{practice_id}/tried", response={200: PracticeDetailOut, **WRITE})
@_refusals
def practice_tried(request: HttpRequest, practice_id: uuid.UUID, data: TrialIn) -> Any:
    """Say "we tried it": how the practice went at the caller's school (for its headteacher,
    teachers and leaders of learning); saying it again replaces the school's answer."""
    user = _user(request)
    found = practice_selectors.practice_get(user, practice_id)
    schools = list(practice_selectors.own_schools(user))
    if all(s.pk == found.school_id for s in schools):
        raise PermissionDenied  # no school of theirs, or only the one it comes from
    school = next((s for s in schools if s.pk == data.school), None)
    if school is None:
        return _field_error("school", _("You can only speak for your own school."))
    practice_services.practice_tried(
        practice=found,
        school=school,
        outcome=data.outcome,
        tried_on=data.tried_on,
        note=data.note,
        by=user,
    )
    return _practice_detail(user, practice_selectors.practice_get(user, practice_id))
