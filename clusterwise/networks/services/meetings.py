"""Meetings of a network and the commitments made at them.

A meeting's agenda comes from a template, and every open commitment of the network is put on
it to be reviewed, so nothing promised is forgotten. A commitment made at a meeting is an
action of the network's plan for the year, witnessed by the members present; reviewing it
at a later meeting records its progress, and marks it done with its evidence.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from clusterwise.core.audit import audited_save, claim_version
from clusterwise.core.uploads import file_type, original_name, store
from clusterwise.org.models import OrgUnit, Person, User

from ..models import (
    Action,
    ActionPlan,
    ActionReview,
    AgendaItem,
    Attachment,
    Attendance,
    Meeting,
    Network,
    Witness,
)
from ..selectors.networks import people_of

T = Meeting.Template
# What each kind of meeting goes through, in order. The commitments to review come after
# the first item on their own; so does "new commitments", which every meeting ends with.
AGENDA_TEMPLATES = {
    T.SCHOOL_IMPROVEMENT: [
        gettext_lazy("Welcome and check-in"),
        gettext_lazy("Our schools' data side by side"),
        gettext_lazy("Focus topic: what we want to improve"),
        gettext_lazy("Good practice from a member school"),
    ],
    T.DATA_REVIEW: [
        gettext_lazy("Welcome and check-in"),
        gettext_lazy("Learning results side by side: where are the gaps?"),
        gettext_lazy("Attendance and dropout"),
        gettext_lazy("Which school does well, and what it does"),
    ],
    T.CRISIS: [
        gettext_lazy("Wellbeing check-in: each school and its staff"),
        gettext_lazy("Vulnerable children: the list and who follows up"),
        gettext_lazy("Local area mapping and home visits"),
        gettext_lazy("Messages to parents"),
        gettext_lazy("Back-to-school tracking"),
        gettext_lazy("What we send up to the district"),
    ],
    T.PEER_REVIEW: [
        gettext_lazy("Findings of the peer reviews"),
        gettext_lazy("Our priorities"),
        gettext_lazy("The improvement plan"),
        gettext_lazy("School-to-school support: who helps whom"),
    ],
    T.CUSTOM: [],
}
CLOSING_ITEMS = [gettext_lazy("New commitments"), gettext_lazy("Next meeting")]
OPEN = [Action.Status.OPEN, Action.Status.IN_PROGRESS]


def _check_where(meeting: Meeting) -> None:
    errors = {}
    if meeting.mode == Meeting.Mode.IN_PERSON and not (meeting.venue_id or meeting.venue_text):
        errors["venue_text"] = _("Say where the meeting is: a member school or a place.")
    if meeting.mode == Meeting.Mode.VIDEO and not meeting.link:
        errors["link"] = _("Give the link of the video call.")
    if meeting.mode == Meeting.Mode.WHATSAPP and not meeting.whatsapp_group:
        errors["whatsapp_group"] = _("Give the name of the WhatsApp group.")
    if errors:
        raise ValidationError(errors)


def open_commitments(network: Network) -> Iterable[Action]:
    """The network's commitments not yet done or dropped, oldest due first."""
    return (
        Action.objects.filter(
            Q(plan__network=network) | Q(made_in__network=network), status__in=OPEN
        )
        .select_related("owner")
        # Ties broken by content, not by id: the same commitments always come in the same
        # order (ids are random; commitments made in one instant tie on the clock).
        .order_by("due_on", "created_at", "text", "owner__name", "pk")
        .distinct()
    )


def _put_on_agenda(meeting: Meeting, actions: Iterable[Action]) -> int:
    """Add commitments to review to a meeting's agenda (after its first item), once each."""
    already = set(meeting.agenda.exclude(action=None).values_list("action_id", flat=True))
    new = [a for a in actions if a.pk not in already and a.made_in_id != meeting.pk]
    if not new:
        return 0
    items = list(meeting.agenda.order_by("order"))
    # Room after the template's opening item (a custom agenda has none: at the top); the
    # items after it move down.
    keep = 0 if meeting.template == T.CUSTOM else 1
    for item in reversed(items[keep:]):
        item.order += len(new)
        item.save(update_fields=["order"])
    start = items[keep - 1].order + 1 if keep and items else 1
    AgendaItem.objects.bulk_create(
        AgendaItem(
            meeting=meeting,
            order=start + n,
            title=_("Review: %(action)s (%(owner)s, due %(due)s)")
            % {"action": action.text, "owner": action.owner.name, "due": action.due_on},
            source=AgendaItem.Source.REVIEW,
            action=action,
        )
        for n, action in enumerate(new)
    )
    return len(new)


@transaction.atomic
def meeting_schedule(
    *,
    network: Network,
    title: str,
    template: str,
    starts_at: datetime.datetime,
    mode: str,
    duration_minutes: int = 90,
    venue: OrgUnit | None = None,
    venue_text: str = "",
    link: str = "",
    whatsapp_group: str = "",
    by: User | None,
) -> Meeting:
    """A planned meeting with its agenda: the template's items, every open commitment to
    review, then new commitments and the next meeting."""
    if not network.is_open:
        raise ValidationError(_("The network is closed."))
    if venue is not None and not network.schools.filter(school=venue, left_on=None).exists():
        raise ValidationError({"venue": _("The venue must be one of the network's schools.")})
    meeting = Meeting(
        network=network,
        title=title.strip(),
        template=template,
        starts_at=starts_at,
        duration_minutes=duration_minutes,
        mode=mode,
        venue=venue,
        venue_text=venue_text.strip(),
        link=link.strip(),
        whatsapp_group=whatsapp_group.strip(),
        created_by=by,
    )
    _check_where(meeting)
    audited_save(meeting, by=by)
    titles = [str(t) for t in AGENDA_TEMPLATES[T(template)]] + [str(t) for t in CLOSING_ITEMS]
    AgendaItem.objects.bulk_create(
        AgendaItem(meeting=meeting, order=n, title=t, source=AgendaItem.Source.TEMPLATE)
        for n, t in enumerate(titles, start=1)
    )
    _put_on_agenda(meeting, open_commitments(network))
    return meeting


@transaction.atomic
def meeting_update(
    *, meeting: Meeting, version: int | None, by: User | None, **changes: object
) -> Meeting:
    allowed = {
        "title",
        "starts_at",
        "duration_minutes",
        "mode",
        "venue",
        "venue_text",
        "link",
        "whatsapp_group",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"meeting_update cannot change {sorted(unknown)}")
    claim_version(meeting, version)
    for field, value in changes.items():
        setattr(meeting, field, value.strip() if isinstance(value, str) else value)
    _check_where(meeting)
    return audited_save(meeting, by=by)  # type: ignore[return-value]


@transaction.atomic
def meeting_cancel(*, meeting: Meeting, version: int | None, by: User | None) -> Meeting:
    if meeting.status == Meeting.Status.HELD:
        raise ValidationError(_("A meeting that was held cannot be cancelled."))
    claim_version(meeting, version)
    meeting.status = Meeting.Status.CANCELLED
    return audited_save(meeting, by=by)  # type: ignore[return-value]


@transaction.atomic
def agenda_item_add(*, meeting: Meeting, title: str, by: User | None) -> AgendaItem:
    title = title.strip()
    if not title:
        raise ValidationError({"title": _("Write the item.")})
    last = meeting.agenda.aggregate(n=Max("order"))["n"] or 0
    return AgendaItem.objects.create(
        meeting=meeting, order=last + 1, title=title[:300], source=AgendaItem.Source.ADDED
    )


def _participants(network: Network) -> set[Any]:
    return set(people_of(network).values_list("pk", flat=True))


@transaction.atomic
def attendance_record(
    *,
    meeting: Meeting,
    present: Iterable[Person],
    remote: Iterable[Person] = (),
    by: User | None,
) -> list[Attendance]:
    """Who came (everyone else of the network is recorded absent); `remote`: at a distance."""
    allowed = _participants(meeting.network)
    came = {p.pk for p in present}
    at_distance = {p.pk for p in remote}
    strangers = (came | at_distance) - allowed
    if strangers:
        raise ValidationError(_("Only the network's members and facilitator can attend."))
    if meeting.day > timezone.localdate():
        raise ValidationError(_("Attendance is taken on the day of the meeting, not before."))
    rows = []
    for person_id in sorted(allowed, key=str):
        row, _created = Attendance.objects.update_or_create(
            meeting=meeting,
            person_id=person_id,
            defaults={
                "present": person_id in came or person_id in at_distance,
                "remote": person_id in at_distance,
            },
        )
        rows.append(row)
    return rows


@transaction.atomic
def minutes_record(
    *,
    meeting: Meeting,
    minutes: str,
    decisions: str = "",
    version: int | None,
    by: User | None,
) -> Meeting:
    """The minutes: the meeting is held from then on."""
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError(_("The meeting was cancelled."))
    if meeting.day > timezone.localdate():
        raise ValidationError(_("Minutes are written on or after the day of the meeting."))
    if not minutes.strip():
        raise ValidationError({"minutes": _("Write what was discussed.")})
    claim_version(meeting, version)
    meeting.minutes = minutes.strip()
    meeting.decisions = decisions.strip()
    meeting.status = Meeting.Status.HELD
    return audited_save(meeting, by=by)  # type: ignore[return-value]


def network_plan(network: Network, year: int, *, by: User | None) -> ActionPlan:
    """The network's action plan for a year, made the first time a commitment needs it."""
    plan = (
        ActionPlan.objects.filter(
            network=network, kind=ActionPlan.Kind.NETWORK, starts_on__year=year, cycle=None
        )
        .order_by("starts_on")
        .first()
    )
    if plan is None:
        plan = ActionPlan(
            kind=ActionPlan.Kind.NETWORK,
            title=_("%(network)s: commitments %(year)s") % {"network": network.name, "year": year},
            network=network,
            org_unit=network.org_unit,
            org_path=network.org_path,
            starts_on=datetime.date(year, 1, 1),
            ends_on=datetime.date(year, 12, 31),
            created_by=by,
        )
        audited_save(plan, by=by)
    return plan


@transaction.atomic
def commitment_record(
    *,
    meeting: Meeting,
    text: str,
    owner: Person,
    due_on: datetime.date,
    success_measure: str,
    goal: str = "",
    plan: ActionPlan | None = None,
    witnesses: Iterable[Person] | None = None,
    by: User | None,
) -> Action:
    """A commitment made at a meeting, witnessed by the members present (or those named);
    it goes on the agenda of the network's next planned meeting."""
    network = meeting.network
    if meeting.status == Meeting.Status.CANCELLED:
        raise ValidationError(_("The meeting was cancelled."))
    if meeting.day > timezone.localdate():
        raise ValidationError(_("Commitments are made at the meeting, not before it."))
    members = _participants(network)
    if owner.pk not in members:
        raise ValidationError({"owner": _("The owner must be a member of the network.")})
    if due_on <= meeting.day:
        raise ValidationError({"due_on": _("The due date must come after the meeting.")})
    if witnesses is None:
        seen = set(meeting.attendance.filter(present=True).values_list("person_id", flat=True))
    else:
        seen = {p.pk for p in witnesses}
        if seen - members:
            raise ValidationError({"witnesses": _("Witnesses must be members of the network.")})
    seen.discard(owner.pk)
    if not seen:
        raise ValidationError(
            {
                "witnesses": _(
                    "A commitment needs at least one witness besides its owner: record who "
                    "was present first, or name the witnesses."
                )
            }
        )
    if plan is None:
        plan = network_plan(network, meeting.day.year, by=by)
    elif plan.network_id not in (None, network.pk):
        raise ValidationError({"plan": _("This plan belongs to another network.")})
    action = Action(
        plan=plan,
        goal=goal.strip(),
        text=text.strip(),
        owner=owner,
        due_on=due_on,
        success_measure=success_measure.strip(),
        made_in=meeting,
        created_by=by,
    )
    audited_save(action, by=by)
    Witness.objects.bulk_create(
        Witness(action=action, person_id=pk, meeting=meeting) for pk in sorted(seen, key=str)
    )
    following = (
        Meeting.objects.filter(
            network=network, status=Meeting.Status.PLANNED, starts_at__gt=meeting.starts_at
        )
        .order_by("starts_at")
        .first()
    )
    if following is not None:
        _put_on_agenda(following, [action])
    return action


@transaction.atomic
def commitment_review(
    *,
    meeting: Meeting,
    action: Action,
    status: str,
    note: str = "",
    evidence: str = "",
    by: User | None,
) -> ActionReview:
    """What a meeting found of a commitment; done needs its evidence."""
    if action.made_in_id == meeting.pk:
        raise ValidationError(_("A commitment is reviewed at a later meeting."))
    if meeting.day > timezone.localdate():
        raise ValidationError(_("Commitments are reviewed at the meeting, not before it."))
    if status == Action.Status.DONE and not (evidence.strip() or action.evidence):
        raise ValidationError({"evidence": _("Say what shows it is done.")})
    review, _created = ActionReview.objects.update_or_create(
        action=action,
        meeting=meeting,
        defaults={"status": status, "note": note.strip()[:500], "created_by": by},
    )
    action_progress(
        action=action,
        version=None,
        status=status,
        evidence=evidence,
        on=meeting.day,
        by=by,
    )
    return review


@transaction.atomic
def action_progress(
    *,
    action: Action,
    version: int | None,
    status: str,
    evidence: str = "",
    achieved: str | None = None,
    on: datetime.date | None = None,
    by: User | None,
) -> Action:
    """Move a commitment on (or back); done records the day and needs evidence."""
    claim_version(action, version)
    action.status = status
    if evidence.strip():
        action.evidence = evidence.strip()
    if achieved is not None:
        action.achieved = achieved.strip()
    if status == Action.Status.DONE:
        if not action.evidence:
            raise ValidationError({"evidence": _("Say what shows it is done.")})
        action.completed_on = action.completed_on or on or timezone.localdate()
    else:
        action.completed_on = None
    return audited_save(action, by=by)  # type: ignore[return-value]


MEETING_FILE_ENDINGS = (".pdf", ".jpg", ".jpeg", ".png", ".webp", ".docx", ".xlsx", ".mp3")
MEETING_FILE_MAX_BYTES = 10 * 1024 * 1024
MEETING_FILES = 20


@transaction.atomic
def meeting_attach(*, meeting: Meeting, file: UploadedFile, by: User | None) -> Attachment:
    """Keep a file with a meeting (the agenda sent out, a photo of the flip chart, slides):
    PDF, photo, Word, Excel or an MP3 of a phone meeting; up to 10 MB, 20 a meeting."""
    content_type = file_type(
        file,
        allowed=MEETING_FILE_ENDINGS,
        max_bytes=MEETING_FILE_MAX_BYTES,
        field="file",
        not_allowed=_(
            "“%(name)s” cannot be kept: use a PDF, a photo (JPEG, PNG, WebP), a Word or "
            "Excel file (DOCX, XLSX) or an MP3."
        ),
    )
    Meeting.objects.select_for_update().filter(pk=meeting.pk).first()
    if meeting.files.count() >= MEETING_FILES:
        raise ValidationError(
            {"file": _("A meeting keeps at most %(n)s files.") % {"n": MEETING_FILES}}
        )
    attachment = Attachment(
        meeting=meeting,
        name=original_name(file),
        content_type=content_type,
        size=file.size or 0,
        created_by=by,
    )
    store(attachment.file, file)
    return audited_save(attachment, by=by)  # type: ignore[return-value]
