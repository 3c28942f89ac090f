"""Reminders before meetings and flags on overdue commitments.

Each is a notification in the app for each person concerned, made once (Notification's
unique constraints, and a lock on the meeting or action while it is decided), and a text
message through the gateway (clusterwise.core.messaging) to those with a phone, in their
language. Both run again and again, hourly or daily, from the `network_reminders` command
or the networks tasks, and only do what is not done yet.

A message goes out after its notification is saved, at most once: one the gateway refuses
is logged and left `messaged=False`, never sent twice.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from clusterwise.core import messaging
from clusterwise.org.models import Person, User

from ..models import Action, ActionPlan, Meeting, Network, Notification
from ..selectors.networks import people_of

logger = logging.getLogger(__name__)

OPEN = [Action.Status.OPEN, Action.Status.IN_PROGRESS]
TEXT_MAX = Notification._meta.get_field("text").max_length or 300


def language_of(person: Person) -> str:
    """The first of the person's languages that the app speaks, else the default one."""
    spoken = {code for code, _name in settings.LANGUAGES}
    for code in person.languages or []:
        if isinstance(code, str) and code in spoken:
            return code
    return str(settings.LANGUAGE_CODE)


def _deliver(notified: list[tuple[Notification, Person]]) -> int:
    """Text the notified people who have a phone; mark what the gateway accepted."""
    backend = None
    sent = []
    for notification, person in notified:
        to = messaging.e164(person.phone)
        if to is None:
            if person.phone:
                logger.info("No message to %s: %r is not a usable number", person.pk, person.phone)
            continue
        if backend is None:
            backend = messaging.get_backend(fail_silently=True)
        message = messaging.Message(to=to, text=notification.text)
        if messaging.send([message], backend=backend):
            sent.append(notification.pk)
    if sent:
        Notification.objects.filter(pk__in=sent).update(messaged=True)
    return len(sent)


# --- meetings soon ---------------------------------------------------------------------------


def _where(meeting: Meeting) -> str:
    """Where the meeting is, or how to join it."""
    if meeting.mode == Meeting.Mode.VIDEO:
        return _("video call: %(link)s") % {"link": meeting.link}
    if meeting.mode == Meeting.Mode.PHONE:
        return _("by phone")
    if meeting.mode == Meeting.Mode.WHATSAPP:
        return _("in the WhatsApp group “%(group)s”") % {"group": meeting.whatsapp_group}
    places = [meeting.venue.name if meeting.venue else "", meeting.venue_text]
    return _("at %(place)s") % {"place": ", ".join(p for p in places if p)}


def meeting_reminder_text(meeting: Meeting) -> str:
    """The reminder, in the active language: which network, when, where or how to join."""
    when = formats.date_format(timezone.localtime(meeting.starts_at), "l j F, H:i")
    text = _("Reminder: %(network)s meets on %(when)s (%(title)s), %(where)s.") % {
        "network": meeting.network.name,
        "when": when,
        "title": meeting.title,
        "where": _where(meeting),
    }
    return text[:TEXT_MAX]


def meeting_reminders_send(*, now: datetime.datetime | None = None) -> int:
    """Remind the members and facilitator of each planned meeting that starts within
    NETWORK_REMINDER_HOURS, once; returns how many people were reminded."""
    now = now or timezone.now()
    until = now + datetime.timedelta(hours=settings.NETWORK_REMINDER_HOURS)
    today = timezone.localdate(now)
    due = (
        Meeting.objects.filter(
            Q(network__closed_on__isnull=True) | Q(network__closed_on__gte=today),
            status=Meeting.Status.PLANNED,
            reminded_at=None,
            starts_at__gt=now,
            starts_at__lte=until,
        )
        .order_by("starts_at")
        .values_list("pk", flat=True)
    )
    return sum(_remind(pk, now=now) for pk in list(due))


def _remind(pk: Any, *, now: datetime.datetime) -> int:
    with transaction.atomic():
        # Locked and asked again: of two runs at once, one reminds and the other finds it done.
        meeting = (
            Meeting.objects.select_for_update(of=("self",))
            .select_related("network", "venue")
            .filter(pk=pk, status=Meeting.Status.PLANNED, reminded_at=None)
            .first()
        )
        if meeting is None:
            return 0
        kind = Notification.Kind.MEETING_SOON
        told = set(
            Notification.objects.filter(kind=kind, meeting=meeting).values_list(
                "person_id", flat=True
            )
        )
        url = reverse("networks:meeting", args=[meeting.pk])
        new = []
        for person in people_of(meeting.network, on=timezone.localdate(now)):
            if person.pk in told:
                continue
            with translation.override(language_of(person)):
                text = meeting_reminder_text(meeting)
            notification = Notification(
                person=person, kind=kind, text=text, url=url, meeting=meeting
            )
            new.append((notification, person))
        Notification.objects.bulk_create([n for n, _p in new], ignore_conflicts=True)
        # Bookkeeping, not an edit: the meeting's version and history stay as they were.
        Meeting.objects.filter(pk=meeting.pk).update(reminded_at=now)
    _deliver(new)
    return len(new)


# --- overdue commitments -----------------------------------------------------------------------


def _network_of(action: Action) -> Network | None:
    if action.plan.network is not None:
        return action.plan.network
    return action.made_in.network if action.made_in else None


def overdue_text(action: Action, network: Network | None, *, own: bool) -> str:
    """The flag, in the active language: to the owner (`own`) or to the facilitator."""
    values = {
        "action": action.text,
        "owner": action.owner.name,
        "due": formats.date_format(action.due_on, "j F Y"),
        "network": network.name if network else action.plan.title,
    }
    if own:
        text = _(
            "Overdue: your commitment “%(action)s” (%(network)s) was due on %(due)s. "
            "Record its progress, or bring it to the next meeting."
        )
    else:
        text = _("Overdue: “%(action)s” of %(owner)s (%(network)s) was due on %(due)s.")
    return (text % values)[:TEXT_MAX]


def overdue_actions_flag(*, today: datetime.date | None = None) -> int:
    """Flag each open commitment past its due date to its owner and to its network's
    facilitator, once each (the owner by message too); returns how many were told.
    Commitments of closed plans are left alone."""
    today = today or timezone.localdate()
    told = Notification.objects.filter(kind=Notification.Kind.ACTION_OVERDUE, action=OuterRef("pk"))
    due = (
        Action.objects.filter(status__in=OPEN, due_on__lt=today)
        .exclude(plan__status=ActionPlan.Status.CLOSED)
        .annotate(
            facilitator=Coalesce("plan__network__facilitator", "made_in__network__facilitator")
        )
        .exclude(
            Q(Exists(told.filter(person=OuterRef("owner"))))
            & (Q(facilitator__isnull=True) | Q(Exists(told.filter(person=OuterRef("facilitator")))))
        )
        .order_by("due_on", "pk")
        .values_list("pk", flat=True)
    )
    return sum(_flag(pk, today=today) for pk in list(due))


def _flag(pk: Any, *, today: datetime.date) -> int:
    kind = Notification.Kind.ACTION_OVERDUE
    with transaction.atomic():
        action = (
            Action.objects.select_for_update(of=("self",))
            .select_related(
                "owner",
                "plan__network__facilitator",
                "made_in__network__facilitator",
            )
            .filter(pk=pk, status__in=OPEN, due_on__lt=today)
            .first()
        )
        if action is None:
            return 0
        network = _network_of(action)
        told = set(
            Notification.objects.filter(kind=kind, action=action).values_list(
                "person_id", flat=True
            )
        )
        url = reverse("networks:action", args=[action.pk])
        owner = action.owner
        facilitator = network.facilitator if network else None
        new: list[tuple[Notification, Person]] = []
        to_owner = []
        for person, own in ((owner, True), (facilitator, False)):
            if person is None or person.pk in told or (not own and person.pk == owner.pk):
                continue
            with translation.override(language_of(person)):
                text = overdue_text(action, network, own=own)
            notification = Notification(person=person, kind=kind, text=text, url=url, action=action)
            new.append((notification, person))
            if own:
                to_owner.append((notification, person))
        Notification.objects.bulk_create([n for n, _p in new], ignore_conflicts=True)
    _deliver(to_owner)
    return len(new)


# --- reading -----------------------------------------------------------------------------------


def notification_read(*, notification: Notification, by: User) -> Notification:
    """Mark one's own notification read (the first reading's time stays)."""
    if notification.person.user_id != by.pk:
        raise PermissionDenied
    if notification.read_at is None:
        notification.read_at = timezone.now()
        notification.save(update_fields=["read_at", "updated_at"])
    return notification


def notifications_read_all(*, by: User) -> int:
    """Mark all of one's unread notifications read; returns how many."""
    return Notification.objects.filter(person__user=by, read_at=None).update(read_at=timezone.now())
