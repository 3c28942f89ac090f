"""Every write to observation instruments, visit plans, observations, feedback, feedback
reviews and sync conflicts.

Observations arrive through one door, `observation_sync`, whether the phone was online or
not: the device sends the whole record under the UUID it generated, and the server
creates it (201), recognises a replay (200, nothing written), applies a newer revision of
a draft (200), or stores a conflict and changes nothing (409).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from clusterwise.core.audit import audited_save, claim_version
from clusterwise.core.i18n import missing_languages
from clusterwise.core.scope import path_in_scope
from clusterwise.org.models import Assignment, OrgUnit, Person, Role

from .models import (
    MAX_NEXT_STEPS,
    REVIEW_CRITERIA,
    SCALE,
    Feedback,
    FeedbackAction,
    FeedbackReview,
    Instrument,
    Item,
    Observation,
    PlannedVisit,
    Score,
    Section,
    Snapshot,
    SyncConflict,
)

if TYPE_CHECKING:
    from clusterwise.org.models import User

_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,59}$")
REQUIRED_LANGUAGES = ("en",)
# Roles whose people can be observed teaching.
TEACHING_ROLES = (Role.TEACHER, Role.HEADTEACHER)


# --- instruments ----------------------------------------------------------------------


def _text(texts: Any, where: str, required: bool = True) -> dict[str, str]:
    if not texts and not required:
        return {}
    if not isinstance(texts, dict) or missing_languages(texts, REQUIRED_LANGUAGES):
        raise ValidationError(_("%(where)s needs an English text.") % {"where": where})
    return {str(code): str(text).strip() for code, text in texts.items() if str(text).strip()}


def _descriptors(raw: Any, where: str) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict):
        raise ValidationError(_("%(where)s needs behaviour descriptors.") % {"where": where})
    keys = {str(key) for key in raw}
    if not {"1", "3", "5"} <= keys or not keys <= {str(point) for point in SCALE}:
        raise ValidationError(
            _("%(where)s needs descriptors for 1, 3 and 5 (2 and 4 are optional), and no others.")
            % {"where": where}
        )
    return {
        key: _text(raw[key], _("%(where)s, score %(n)s") % {"where": where, "n": key})
        for key in sorted(keys)
    }


@transaction.atomic
def instrument_load(*, data: dict[str, Any], by: User | None, publish: bool = True) -> Instrument:
    """Create the next version of an instrument from its data (instruments/*.json or an
    imported XLSForm); a published version is never changed."""
    key = str(data.get("key", "")).strip()
    if not re.match(r"^[-a-z0-9_]{1,60}$", key):
        raise ValidationError(
            _("The instrument needs a key of lowercase letters, digits and dashes.")
        )
    if Instrument.objects.filter(key=key, status=Instrument.Status.DRAFT).exists():
        raise ValidationError(_("A draft of this instrument exists: publish or delete it first."))
    kind = data.get("kind", Instrument.Kind.FULL)
    if kind not in Instrument.Kind.values:
        raise ValidationError(_("The kind must be “full” or “quick”."))
    try:
        duration = int(data.get("duration_minutes") or 40)
        minutes = [int(minute) for minute in data.get("snapshot_minutes") or []]
    except (TypeError, ValueError):
        raise ValidationError(
            _("Lesson length and snapshot minutes must be whole numbers.")
        ) from None
    if not 5 <= duration <= 180:
        raise ValidationError(_("The lesson length must be 5 to 180 minutes."))
    if minutes != sorted(set(minutes)) or any(not 0 < m <= duration for m in minutes):
        raise ValidationError(
            _("Snapshot minutes must rise and fall within the lesson (1 to %(n)s).")
            % {"n": duration}
        )
    last = Instrument.objects.filter(key=key).aggregate(v=Max("version"))["v"] or 0
    instrument = Instrument(
        key=key,
        version=last + 1,
        kind=kind,
        name=_text(data.get("name"), _("The instrument name")),
        description=_text(data.get("description"), _("The description"), required=False),
        duration_minutes=duration,
        snapshot_minutes=minutes,
        based_on=Instrument.objects.filter(key=key, version=last).first(),
        created_by=by,
    )
    audited_save(instrument, by=by, reason="loaded")
    codes: set[str] = set()
    sections = data.get("sections") or []
    if not sections:
        raise ValidationError(_("The instrument needs at least one section."))
    for s_index, section_data in enumerate(sections):
        code = str(section_data.get("code", ""))
        if not _CODE.match(code) or code in codes:
            raise ValidationError(
                _("Section %(n)s has no valid, unique code.") % {"n": s_index + 1}
            )
        codes.add(code)
        section = Section.objects.create(
            instrument=instrument,
            code=code,
            order=s_index,
            name=_text(section_data.get("name"), _("Section %(code)s") % {"code": code}),
        )
        items = section_data.get("items") or []
        if not items:
            raise ValidationError(_("Section %(code)s has no items.") % {"code": code})
        for i_index, item_data in enumerate(items):
            item_code = str(item_data.get("code", ""))
            if not _CODE.match(item_code) or item_code in codes:
                raise ValidationError(
                    _("Item %(n)s of section %(code)s has no valid, unique code.")
                    % {"n": i_index + 1, "code": code}
                )
            codes.add(item_code)
            where = _("Item %(code)s") % {"code": item_code}
            Item.objects.create(
                instrument=instrument,
                section=section,
                code=item_code,
                order=i_index,
                name=_text(item_data.get("name"), where),
                guidance=_text(item_data.get("guidance"), where, required=False),
                descriptors=_descriptors(item_data.get("descriptors"), where),
            )
    if publish:
        instrument_publish(instrument=instrument, by=by)
    return instrument


def instrument_publish(*, instrument: Instrument, by: User | None) -> Instrument:
    """Make a draft usable for observations; from now on it is frozen."""
    if instrument.status != Instrument.Status.DRAFT:
        raise ValidationError(_("Only a draft can be published."))
    instrument.status = Instrument.Status.PUBLISHED
    instrument.published_at = timezone.now()
    return audited_save(instrument, by=by, reason="published")  # type: ignore[return-value]


def instrument_retire(*, instrument: Instrument, by: User | None) -> Instrument:
    """Stop offering a version for new observations; past observations keep it."""
    if instrument.status != Instrument.Status.PUBLISHED:
        raise ValidationError(_("Only a published version can be retired."))
    instrument.status = Instrument.Status.RETIRED
    return audited_save(instrument, by=by, reason="retired")  # type: ignore[return-value]


@transaction.atomic
def instrument_delete_draft(*, instrument: Instrument, by: User | None) -> None:
    """Throw away a draft nobody can have used (drafts are never offered to observers)."""
    if instrument.status != Instrument.Status.DRAFT:
        raise ValidationError(_("Only a draft can be deleted."))
    instrument._history_user = by  # type: ignore[attr-defined]
    instrument.delete()


def instrument_data(instrument: Instrument) -> dict[str, Any]:
    """The instrument in its data form (the inverse of instrument_load)."""
    items_by_section: dict[int, list[Item]] = {}
    for item in instrument.items.all():
        items_by_section.setdefault(item.section_id, []).append(item)
    return {
        "key": instrument.key,
        "kind": instrument.kind,
        "name": instrument.name,
        "description": instrument.description,
        "duration_minutes": instrument.duration_minutes,
        "snapshot_minutes": instrument.snapshot_minutes,
        "sections": [
            {
                "code": section.code,
                "name": section.name,
                "items": [
                    {
                        "code": item.code,
                        "name": item.name,
                        **({"guidance": item.guidance} if item.guidance else {}),
                        "descriptors": item.descriptors,
                    }
                    for item in items_by_section.get(section.pk, [])
                ],
            }
            for section in instrument.sections.all()
        ],
    }


# --- visit plans --------------------------------------------------------------------------


def observer_of(user: User) -> Person:
    """The person behind a login; only people can observe or plan.

    No query when the login came with its person (the API's token check loads both)."""
    try:
        return user.person
    except Person.DoesNotExist:
        raise PermissionDenied from None


def _teacher_at(teacher_id: Any, school: OrgUnit) -> Person | None:
    return (
        Person.objects.filter(
            pk=teacher_id,
            assignments__in=Assignment.objects.active().filter(
                role__in=TEACHING_ROLES, org_unit=school
            ),
        )
        .distinct()
        .first()
    )


@transaction.atomic
def visit_plan_add(
    *,
    by: User,
    school: OrgUnit,
    planned_on: datetime.date,
    teacher: Person | None = None,
    purpose: str = "",
) -> PlannedVisit:
    """Put a school (and a teacher) on the observer's plan for a day."""
    if school.level != "school" or not path_in_scope(by, school.path):
        raise ValidationError({"school": _("Choose a school in your area.")})
    if teacher is not None and _teacher_at(teacher.pk, school) is None:
        raise ValidationError({"teacher": _("This teacher does not teach at that school.")})
    if planned_on < timezone.localdate() - datetime.timedelta(days=31):
        raise ValidationError({"planned_on": _("Plan a visit for a day from last month on.")})
    visit = PlannedVisit(
        observer=observer_of(by),
        school=school,
        teacher=teacher,
        org_path=school.path,
        planned_on=planned_on,
        purpose=purpose.strip(),
        created_by=by,
    )
    return audited_save(visit, by=by)  # type: ignore[return-value]


@transaction.atomic
def visit_plan_cancel(*, visit: PlannedVisit, by: User, version: int | None) -> PlannedVisit:
    """Take a planned visit off the plan (it stays on record as cancelled)."""
    if visit.status != PlannedVisit.Status.PLANNED:
        raise ValidationError(_("Only a planned visit can be cancelled."))
    claim_version(visit, version)
    visit.status = PlannedVisit.Status.CANCELLED
    return audited_save(visit, by=by, reason="cancelled")  # type: ignore[return-value]


# --- observations: the sync door -----------------------------------------------------------


def payload_digest(payload: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of a payload's content: equal content, equal digests.

    The device's edit counter is left out: saving again without a change and re-sending is
    a replay, not a conflict."""
    content = {key: value for key, value in payload.items() if key != "revision"}
    text = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class SyncOutcome:
    status: int  # 201 created, 200 replayed or updated, 409 conflict
    observation: Observation
    conflict: SyncConflict | None = None
    changed: bool = False


@dataclass
class _Resolved:
    instrument: Instrument
    school: OrgUnit
    teacher: Person
    planned_visit: PlannedVisit | None
    items: dict[str, Item]
    actions: dict[str, FeedbackAction]
    previous_id: Any = None  # the teacher's latest submitted observation up to that day


# Published instruments never change (a change is a new version), so each process keeps the
# ones it has used, with their items: two queries fewer per synced observation.
_INSTRUMENTS: dict[str, Instrument] = {}


def _usable_instrument(pk: Any) -> Instrument | None:
    """A published (or retired) instrument with its items; never a draft."""
    key = str(pk)
    instrument = _INSTRUMENTS.get(key)
    if instrument is None:
        instrument = (
            Instrument.objects.filter(pk=pk)
            .exclude(status=Instrument.Status.DRAFT)
            .prefetch_related("items")
            .first()
        )
        if instrument is None:
            return None
        if len(_INSTRUMENTS) >= 64:
            _INSTRUMENTS.clear()
        _INSTRUMENTS[key] = instrument
    return instrument


def _resolve(payload: dict[str, Any], observer: Person, by: User) -> _Resolved:
    """Check every reference and, for a submitted record, completeness; all errors at once,
    keyed by field."""
    errors: dict[str, list[str]] = {}

    def error(field: str, message: str) -> None:
        errors.setdefault(field, []).append(message)

    instrument = _usable_instrument(payload["instrument"])
    if instrument is None:
        raise ValidationError({"instrument": [_("No published instrument has this id.")]})
    # The teacher's post at the school brings both, and the teacher's previous observation,
    # in one query; the error path looks again to say which of the two is wrong.
    previous = (
        Observation.objects.filter(
            teacher=OuterRef("person_id"),
            status=Observation.Status.SUBMITTED,
            observed_on__lte=_date(payload["observed_on"]),
        )
        .exclude(pk=payload["id"])
        .order_by("-observed_on", "-submitted_at")
        .values("pk")[:1]
    )
    post = (
        Assignment.objects.active()
        .filter(
            person_id=payload["teacher"],
            org_unit_id=payload["school"],
            org_unit__level="school",
            role__in=TEACHING_ROLES,
        )
        .select_related("person", "org_unit__school")
        .annotate(previous_id=Subquery(previous))
        .first()
    )
    school = post.org_unit if post else None
    if school is None:
        school = OrgUnit.objects.filter(pk=payload["school"], level="school").first()
    if school is None or not path_in_scope(by, school.path):
        raise ValidationError({"school": [_("No school in your area has this id.")]})
    if post is None:
        raise ValidationError({"teacher": [_("No teacher of this school has this id.")]})
    teacher = post.person
    if teacher.pk == observer.pk:
        error("teacher", _("You cannot observe your own lesson."))
    planned_visit = None
    if payload.get("planned_visit"):
        planned_visit = PlannedVisit.objects.filter(
            pk=payload["planned_visit"], observer=observer, school=school
        ).first()
        if planned_visit is None:
            error("planned_visit", _("This is not one of your planned visits to this school."))
    today = timezone.localdate()
    observed_on = _date(payload["observed_on"])
    if observed_on > today + datetime.timedelta(days=1):
        error("observed_on", _("The date is in the future."))
    elif observed_on < today - datetime.timedelta(days=366):
        error("observed_on", _("The date is more than a year ago."))

    items = {item.code: item for item in instrument.items.all()}
    scored: set[str] = set()
    for index, score in enumerate(payload.get("scores") or []):
        code = score["item"]
        if code not in items:
            error(
                f"scores.{index}.item",
                _("“%(code)s” is not an item of this instrument.") % {"code": code},
            )
        elif code in scored:
            error(f"scores.{index}.item", _("“%(code)s” is scored twice.") % {"code": code})
        scored.add(code)
    minutes = set(instrument.snapshot_minutes)
    seen_minutes: set[int] = set()
    for index, snapshot in enumerate(payload.get("snapshots") or []):
        minute = snapshot["minute"]
        if minute not in minutes:
            error(
                f"snapshots.{index}.minute",
                _("This instrument takes snapshots at minutes %(list)s, not %(n)s.")
                % {"list": ", ".join(map(str, sorted(minutes))), "n": minute},
            )
        elif minute in seen_minutes:
            error(f"snapshots.{index}.minute", _("Minute %(n)s is recorded twice.") % {"n": minute})
        seen_minutes.add(minute)

    open_actions = {
        str(action.pk): action
        for action in (
            FeedbackAction.objects if payload.get("followups") else FeedbackAction.objects.none()
        )
        .filter(
            feedback__observation__teacher=teacher,
            feedback__observation__status=Observation.Status.SUBMITTED,
        )
        .exclude(feedback__observation_id=payload["id"])
        .filter(status=FeedbackAction.Status.OPEN)
    }
    for index, follow_up in enumerate(payload.get("followups") or []):
        if str(follow_up["action"]) not in open_actions:
            error(
                f"followups.{index}.action",
                _("This is not an open action agreed with this teacher."),
            )

    feedback = payload.get("feedback") or {}
    for index, action in enumerate(feedback.get("actions") or []):
        if _date(action["due_on"]) < observed_on:
            error(f"feedback.actions.{index}.due_on", _("The date is before the visit."))

    if payload["status"] == Observation.Status.SUBMITTED:
        for code, item in items.items():
            if code not in scored or not next(
                (s.get("score") for s in payload.get("scores") or [] if s["item"] == code), None
            ):
                error(
                    f"scores.{code}",
                    _("Give “%(item)s” a score from 1 to 5.") % {"item": str(item)},
                )
        for minute in sorted(minutes - seen_minutes):
            error(f"snapshots.{minute}", _("Record the snapshot at minute %(n)s.") % {"n": minute})
        for index, snapshot in enumerate(payload.get("snapshots") or []):
            if not snapshot.get("on_task") or snapshot.get("learning_activity") is None:
                error(
                    f"snapshots.{index}",
                    _("Answer both questions of the snapshot at minute %(n)s.")
                    % {"n": snapshot["minute"]},
                )
        if not (feedback.get("strengths") or "").strip():
            error("feedback.strengths", _("Write at least one strength you saw."))
        steps = [step for step in feedback.get("next_steps") or [] if step.strip()]
        if not steps:
            error("feedback.next_steps", _("Agree one or two focused next steps."))
        if not feedback.get("actions"):
            error("feedback.actions", _("Agree at least one action with a date."))
    if len([s for s in feedback.get("next_steps") or [] if s.strip()]) > MAX_NEXT_STEPS:
        error(
            "feedback.next_steps",
            _("At most %(n)s next steps: focus on what matters most.") % {"n": MAX_NEXT_STEPS},
        )
    if errors:
        raise ValidationError(errors)
    return _Resolved(
        instrument, school, teacher, planned_visit, items, open_actions, post.previous_id
    )


def _date(value: Any) -> datetime.date:
    return value if isinstance(value, datetime.date) else datetime.date.fromisoformat(value)


def _datetime(value: Any) -> datetime.datetime | None:
    if value is None or isinstance(value, datetime.datetime):
        return value
    return datetime.datetime.fromisoformat(value)


def _apply(
    observation: Observation,
    payload: dict[str, Any],
    resolved: _Resolved,
    *,
    by: User,
    digest: str,
    device: str,
    reason: str,
    new: bool = False,
) -> Observation:
    """Write the payload over the observation and its scores, snapshots and feedback
    (`new`: the observation was never saved, so there is nothing to replace)."""
    observation.instrument = resolved.instrument
    observation.school = resolved.school
    observation.org_path = resolved.school.path
    observation.teacher = resolved.teacher
    observation.planned_visit = resolved.planned_visit
    observation.observed_on = _date(payload["observed_on"])
    observation.started_at = _datetime(payload.get("started_at"))
    observation.grade = payload.get("grade") or ""
    observation.subject = payload.get("subject") or ""
    observation.topic = payload.get("topic") or ""
    observation.students_present = payload.get("students_present")
    observation.notes = payload.get("notes") or ""
    observation.revision = payload.get("revision") or 1
    observation.payload_digest = digest
    observation.device = device
    submitting = payload["status"] == Observation.Status.SUBMITTED
    if submitting and observation.status != Observation.Status.SUBMITTED:
        observation.submitted_at = timezone.now()
    observation.status = payload["status"]
    if submitting:
        observation.previous_id = resolved.previous_id
    audited_save(observation, by=by, reason=reason, validate=False)

    if not new:
        observation.scores.all().delete()
    Score.objects.bulk_create(
        Score(
            observation=observation,
            item=resolved.items[score["item"]],
            score=score.get("score"),
            evidence=(score.get("evidence") or "").strip(),
        )
        for score in payload.get("scores") or []
    )
    if not new:
        observation.snapshots.all().delete()
    Snapshot.objects.bulk_create(
        Snapshot(
            observation=observation,
            minute=snapshot["minute"],
            learning_activity=snapshot.get("learning_activity"),
            on_task=snapshot.get("on_task") or "",
        )
        for snapshot in payload.get("snapshots") or []
    )

    data = payload.get("feedback") or {}
    feedback = (None if new else Feedback.objects.filter(observation=observation).first()) or (
        Feedback(observation=observation, created_by=by)
    )
    feedback.strengths = (data.get("strengths") or "").strip()
    feedback.next_steps = [step.strip() for step in data.get("next_steps") or [] if step.strip()]
    feedback.resources = (data.get("resources") or "").strip()
    feedback.language = data.get("language") or feedback.language or _language_for(resolved)
    audited_save(feedback, by=by, reason=reason, validate=False)
    if not new:
        feedback.actions.all().delete()
    bulk_create_with_history(
        [
            FeedbackAction(
                feedback=feedback,
                order=index,
                text=action["text"].strip(),
                due_on=_date(action["due_on"]),
                created_by=by,
            )
            for index, action in enumerate(data.get("actions") or [])
        ],
        FeedbackAction,
        default_user=by,
    )

    if submitting:
        for follow_up in payload.get("followups") or []:
            action = resolved.actions[str(follow_up["action"])]
            action.status = follow_up["status"]
            action.follow_up_comment = (follow_up.get("comment") or "").strip()[:300]
            action.followed_up_in = observation
            audited_save(action, by=by, reason="followed up", validate=False)
        if resolved.planned_visit is not None:
            PlannedVisit.objects.filter(pk=resolved.planned_visit.pk).update(
                status=PlannedVisit.Status.DONE
            )
    return observation


def _language_for(resolved: _Resolved) -> str:
    """The language the teacher reads: theirs, else the school's first, else English."""
    languages = list(resolved.teacher.languages or [])
    school = getattr(resolved.school, "school", None)
    languages += list(getattr(school, "languages", None) or [])
    return next((code for code in languages if code), "en")


def _conflict(
    observation: Observation,
    payload: dict[str, Any],
    *,
    digest: str,
    reason: str,
    by: User,
    device: str,
) -> SyncConflict:
    conflict, _created = SyncConflict.objects.get_or_create(
        record_id=observation.pk,
        payload_digest=digest,
        defaults={
            "observation": observation,
            "org_path": observation.org_path,
            "submitted_by": by,
            "device": device,
            "payload": payload,
            "reason": reason,
            "created_by": by,
        },
    )
    return conflict


def observation_sync(*, payload: dict[str, Any], by: User, device: str = "") -> SyncOutcome:
    """Create, replay, update or refuse one observation sent by a device (see module doc).

    `payload` is the JSON form the API validated (observation.schemas.ObservationIn)."""
    observer = observer_of(by)
    digest = payload_digest(payload)
    # Most calls are a new record or the replay of one: neither needs a lock, so the common
    # path is one read, then one transaction for a new record's rows.
    existing = Observation.objects.filter(pk=payload["id"]).first()
    if existing is None:
        resolved = _resolve(payload, observer, by)
        try:
            with transaction.atomic():
                observation = Observation(pk=payload["id"], observer=observer, created_by=by)
                _apply(
                    observation,
                    payload,
                    resolved,
                    by=by,
                    digest=digest,
                    device=device,
                    reason="synced",
                    new=True,
                )
                return SyncOutcome(201, observation, changed=True)
        except IntegrityError:
            pass  # the same id arrived twice at once and the other request created it
    elif existing.observer_id == observer.pk and existing.payload_digest == digest:
        return SyncOutcome(200, existing)
    with transaction.atomic():
        existing = Observation.objects.select_for_update().get(pk=payload["id"])
        if existing.observer_id != observer.pk:
            # Checked before the replay: another login must not be told "saved" for a record
            # that is not theirs, even with the same bytes.
            reason = _("The id belongs to another observer's record.")
        elif existing.payload_digest == digest:
            return SyncOutcome(200, existing)
        elif existing.status == Observation.Status.SUBMITTED:
            reason = _("The record was already submitted; a submitted record is not changed.")
        elif (payload.get("revision") or 1) <= existing.revision:
            reason = _(
                "The server holds revision %(server)s; this is revision %(device)s with "
                "different content."
            ) % {"server": existing.revision, "device": payload.get("revision") or 1}
        else:
            resolved = _resolve(payload, observer, by)
            existing.version += 1
            _apply(
                existing, payload, resolved, by=by, digest=digest, device=device, reason="synced"
            )
            return SyncOutcome(200, existing, changed=True)
        conflict = _conflict(existing, payload, digest=digest, reason=reason, by=by, device=device)
        return SyncOutcome(409, existing, conflict=conflict)


@transaction.atomic
def conflict_resolve(*, conflict: SyncConflict, take_device: bool, by: User) -> SyncConflict:
    """Settle a conflict: keep the server's record, or write the device's payload over it."""
    conflict = SyncConflict.objects.select_for_update().get(pk=conflict.pk)
    if conflict.status != SyncConflict.Status.OPEN:
        raise ValidationError(_("This conflict is already settled."))
    if take_device:
        observation = Observation.objects.select_for_update().get(pk=conflict.record_id)
        submitter = conflict.submitted_by
        owner = observation.observer
        if owner.user_id != submitter.pk:
            raise ValidationError(
                _("The device's payload came from another observer; it cannot replace this record.")
            )
        resolved = _resolve(conflict.payload, owner, submitter)
        observation.version += 1
        _apply(
            observation,
            conflict.payload,
            resolved,
            by=by,
            digest=conflict.payload_digest,
            device=conflict.device,
            reason="conflict settled: took the device's record",
        )
        conflict.status = SyncConflict.Status.TOOK_DEVICE
    else:
        conflict.status = SyncConflict.Status.KEPT_SERVER
    conflict.resolved_by = by
    conflict.resolved_at = timezone.now()
    return audited_save(conflict, by=by, validate=False)  # type: ignore[return-value]


# --- feedback ----------------------------------------------------------------------------


@transaction.atomic
def feedback_acknowledge(*, feedback: Feedback, by: User) -> Feedback:
    """The teacher confirms they read the feedback (once; later calls change nothing)."""
    if feedback.observation.teacher.user_id != by.pk:
        raise PermissionDenied
    if feedback.acknowledged_at is None:
        feedback.acknowledged_at = timezone.now()
        audited_save(feedback, by=by, reason="acknowledged", validate=False)
    return feedback


@transaction.atomic
def feedback_reply(*, feedback: Feedback, text: str, by: User, version: int | None) -> Feedback:
    """The teacher answers the feedback; replying also acknowledges it."""
    if feedback.observation.teacher.user_id != by.pk:
        raise PermissionDenied
    text = text.strip()
    if not text:
        raise ValidationError({"reply": _("Write your reply.")})
    if len(text) > 2000:
        raise ValidationError({"reply": _("Keep the reply under 2,000 characters.")})
    claim_version(feedback, version)
    now = timezone.now()
    feedback.reply = text
    feedback.replied_at = now
    feedback.acknowledged_at = feedback.acknowledged_at or now
    return audited_save(feedback, by=by, reason="replied", validate=False)  # type: ignore[return-value]


@transaction.atomic
def feedback_review_record(
    *,
    feedback: Feedback,
    scores: dict[str, int],
    comment: str,
    by: User,
    version: int | None = None,
) -> FeedbackReview:
    """Rate written feedback on the quality rubric (1–4 per criterion); a second rating by
    the same reviewer corrects the first."""
    reviewer = observer_of(by)
    observation = feedback.observation
    if observation.observer_id == reviewer.pk:
        raise ValidationError(_("You cannot review your own feedback."))
    if observation.status != Observation.Status.SUBMITTED:
        raise ValidationError(_("Only submitted feedback can be reviewed."))
    errors = {
        name: [_("Choose 1 to 4.")]
        for name in REVIEW_CRITERIA
        if not isinstance(scores.get(name), int) or not 1 <= scores[name] <= 4
    }
    if errors:
        raise ValidationError(errors)
    review = FeedbackReview.objects.filter(feedback=feedback, reviewer=reviewer).first()
    if review is None:
        review = FeedbackReview(
            feedback=feedback,
            reviewer=reviewer,
            writer=observation.observer,
            written_on=observation.observed_on,
            org_path=observation.org_path,
            created_by=by,
            **{name: scores[name] for name in REVIEW_CRITERIA},
        )
    else:
        claim_version(review, version)
        for name in REVIEW_CRITERIA:
            setattr(review, name, scores[name])
    review.comment = comment.strip()
    return audited_save(review, by=by)  # type: ignore[return-value]
