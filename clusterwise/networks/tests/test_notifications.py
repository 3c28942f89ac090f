"""Reminders before meetings and flags on overdue commitments, in the app and through the
message gateway (the test backend's outbox), and the notifications page."""

from __future__ import annotations

import datetime
import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.utils import timezone
from django.utils.html import escape

from clusterwise.core import messaging
from clusterwise.core.messaging import MessagingError
from clusterwise.networks import tasks
from clusterwise.networks.models import Action, ActionPlan, Meeting, Notification
from clusterwise.networks.selectors.notifications import notifications_for, unread_count
from clusterwise.networks.services import meetings as meeting_svc
from clusterwise.networks.services.networks import member_add, member_remove, network_update
from clusterwise.networks.services.notifications import (
    meeting_reminders_send,
    notification_read,
    overdue_actions_flag,
)
from clusterwise.org.models import Person

TODAY = datetime.date(2026, 3, 10)  # a Tuesday
SOON = Notification.Kind.MEETING_SOON
OVERDUE = Notification.Kind.ACTION_OVERDUE


def at(day: datetime.date, hour: int = 9) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


NOW = at(TODAY, 9)


@pytest.fixture(autouse=True)
def _now(time_machine):  # type: ignore[no-untyped-def]
    time_machine.move_to(NOW, tick=False)


def plan_meeting(network, starts_at, **where):  # type: ignore[no-untyped-def]
    where = where or {"mode": Meeting.Mode.VIDEO, "link": "https://meet.example.org/khed"}
    return meeting_svc.meeting_schedule(
        network=network,
        title="Data review",
        template=Meeting.Template.DATA_REVIEW,
        starts_at=starts_at,
        by=None,
        **where,
    )


def set_person(user, **fields) -> Person:  # type: ignore[no-untyped-def]
    Person.objects.filter(user=user).update(**fields)
    return Person.objects.get(user=user)


def texts_to(number: str) -> list[str]:
    return [m.text for m in messaging.outbox if m.to == number]


# --- meetings soon ----------------------------------------------------------------------------


def test_members_and_the_facilitator_are_reminded_once(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    head = set_person(world.head, phone="+91 98220 11111")
    coach = set_person(world.coach, phone="9822022222")  # stored without its country
    meeting = plan_meeting(nets.cop, at(TODAY + datetime.timedelta(days=1), 15))

    assert meeting_reminders_send() == 2
    told = Notification.objects.filter(kind=SOON, meeting=meeting)
    assert {n.person_id for n in told} == {head.pk, coach.pk}
    assert all(n.messaged and n.url == f"/networks/meetings/{meeting.pk}/" for n in told)
    assert sorted(m.to for m in messaging.outbox) == ["+919822011111", "+919822022222"]
    text = texts_to("+919822011111")[0]
    assert "Khed heads' CoP" in text and "Wednesday 11 March, 15:00" in text
    assert "Data review" in text and "https://meet.example.org/khed" in text
    meeting.refresh_from_db()
    assert meeting.reminded_at == NOW
    assert meeting.version == 1  # bookkeeping is not an edit

    # Run again (cron, hourly): nothing new, nothing sent twice.
    assert meeting_reminders_send() == 0
    assert told.count() == 2 and len(messaging.outbox) == 2


def test_someone_added_after_a_reminder_is_not_reminded_again_later(nets) -> None:  # type: ignore[no-untyped-def]
    plan_meeting(nets.cop, at(TODAY, 15))
    assert meeting_reminders_send() == 2
    member_add(
        network=nets.cop,
        person=nets.world.person(nets.world.teacher),
        role="teacher",
        by=None,
    )
    assert meeting_reminders_send() == 0  # the meeting is reminded: once


def test_only_meetings_within_the_window_are_reminded(nets, settings) -> None:  # type: ignore[no-untyped-def]
    inside = plan_meeting(nets.cop, NOW + datetime.timedelta(hours=47))
    later = plan_meeting(nets.cop, NOW + datetime.timedelta(hours=49))
    past = plan_meeting(nets.cop, NOW - datetime.timedelta(hours=1))
    assert meeting_reminders_send() == 2
    reminded = set(Notification.objects.values_list("meeting", flat=True))
    assert reminded == {inside.pk}

    settings.NETWORK_REMINDER_HOURS = 72
    assert meeting_reminders_send() == 2
    reminded = set(Notification.objects.values_list("meeting", flat=True))
    assert reminded == {inside.pk, later.pk}
    assert not Notification.objects.filter(meeting=past).exists()


def test_the_window_runs_from_the_time_given(nets) -> None:  # type: ignore[no-untyped-def]
    meeting = plan_meeting(nets.cop, NOW + datetime.timedelta(days=5))
    assert meeting_reminders_send() == 0
    assert meeting_reminders_send(now=NOW + datetime.timedelta(days=4)) == 2
    assert Notification.objects.filter(meeting=meeting).count() == 2


def test_cancelled_and_held_meetings_are_not_reminded(nets) -> None:  # type: ignore[no-untyped-def]
    cancelled = plan_meeting(nets.cop, at(TODAY, 15))
    meeting_svc.meeting_cancel(meeting=cancelled, version=None, by=None)
    held = plan_meeting(nets.cop, at(TODAY, 16))
    Meeting.objects.filter(pk=held.pk).update(status=Meeting.Status.HELD)
    assert meeting_reminders_send() == 0
    assert not Notification.objects.exists() and messaging.outbox == []


def test_meetings_of_a_closed_network_are_not_reminded(nets) -> None:  # type: ignore[no-untyped-def]
    plan_meeting(nets.cop, at(TODAY, 15))
    network_update(
        network=nets.cop, version=None, closed_on=TODAY - datetime.timedelta(days=1), by=None
    )
    assert meeting_reminders_send() == 0


def test_members_who_left_are_not_reminded(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    teacher = set_person(world.teacher, phone="+919822033333")
    member = member_add(network=nets.cop, person=teacher, role="teacher", by=None)
    member_remove(member=member, by=None)  # left today
    plan_meeting(nets.cop, at(TODAY, 15))
    assert meeting_reminders_send() == 2
    assert not Notification.objects.filter(person=teacher).exists()
    assert texts_to("+919822033333") == []


def test_reminders_are_in_each_persons_language(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    set_person(world.head, phone="+919822011111", languages=["mr", "en"])
    set_person(world.coach, phone="+254712345678", languages=["kok", "sw"])
    teacher = set_person(world.teacher, phone="+919822033333", languages=["kok"])
    member_add(network=nets.cop, person=teacher, role="teacher", by=None)
    plan_meeting(nets.cop, at(TODAY + datetime.timedelta(days=1), 15))
    meeting_reminders_send()
    assert "बुधवार 11 मार्च, 15:00" in texts_to("+919822011111")[0]  # Marathi
    assert "Jumatano 11 Machi, 15:00" in texts_to("+254712345678")[0]  # the first it speaks
    assert "Wednesday 11 March, 15:00" in texts_to("+919822033333")[0]  # the default
    note = Notification.objects.get(person__user=world.head)
    assert "मार्च" in note.text  # the same words in the app


@pytest.mark.parametrize(
    ("where", "says"),
    [
        ({"mode": "in_person", "venue_text": "Block resource centre"}, "at Block resource centre"),
        ({"mode": "whatsapp", "whatsapp_group": "Khed heads"}, "WhatsApp group “Khed heads”"),
        ({"mode": "phone"}, "by phone"),
    ],
)
def test_the_reminder_says_where_or_how_to_join(nets, where, says) -> None:  # type: ignore[no-untyped-def]
    set_person(nets.world.head, phone="+919822011111")
    plan_meeting(nets.cop, at(TODAY, 15), **where)
    meeting_reminders_send()
    assert says in texts_to("+919822011111")[0]


def test_the_venue_school_is_named(nets) -> None:  # type: ignore[no-untyped-def]
    set_person(nets.world.head, phone="+919822011111")
    plan_meeting(nets.cop, at(TODAY, 15), mode="in_person", venue=nets.world.school_a1)
    meeting_reminders_send()
    assert "at ZP School Chakan" in texts_to("+919822011111")[0]


def test_people_without_a_phone_are_told_only_in_the_app(nets) -> None:  # type: ignore[no-untyped-def]
    head = set_person(nets.world.head, phone=None)
    coach = set_person(nets.world.coach, phone="+919822022222")
    plan_meeting(nets.cop, at(TODAY, 15))
    assert meeting_reminders_send() == 2
    assert [m.to for m in messaging.outbox] == ["+919822022222"]
    assert not Notification.objects.get(person=head).messaged
    assert Notification.objects.get(person=coach).messaged


class RefusingBackend(messaging.BaseBackend):
    """A gateway that accepts nothing."""

    def send_messages(self, messages):  # type: ignore[no-untyped-def]
        if not self.fail_silently:
            raise MessagingError("refused")
        return 0


def test_a_refused_message_leaves_the_reminder_in_the_app(nets, settings) -> None:  # type: ignore[no-untyped-def]
    settings.CLUSTERWISE_MESSAGE_BACKEND = f"{__name__}.RefusingBackend"
    set_person(nets.world.head, phone="+919822011111")
    meeting = plan_meeting(nets.cop, at(TODAY, 15))
    assert meeting_reminders_send() == 2
    note = Notification.objects.get(person__user=nets.world.head)
    assert not note.messaged  # and it is not tried again: never two messages
    meeting.refresh_from_db()
    assert meeting.reminded_at is not None


# --- overdue commitments ---------------------------------------------------------------------


def commitment(network, owner, *, due_on, status=Action.Status.OPEN, plan=None, made_in=None):  # type: ignore[no-untyped-def]
    plan = plan or meeting_svc.network_plan(network, 2026, by=None)
    return Action.objects.create(
        plan=plan,
        text="Share the reading data with parents",
        owner=owner,
        due_on=due_on,
        success_measure="Every class had a parents' meeting",
        status=status,
        made_in=made_in,
        completed_on=TODAY if status == Action.Status.DONE else None,
    )


def test_an_overdue_commitment_is_flagged_once_to_its_owner_and_the_facilitator(nets) -> None:  # type: ignore[no-untyped-def]
    head = set_person(nets.world.head, phone="+919822011111")
    coach = set_person(nets.world.coach, phone="+919822022222")
    action = commitment(nets.cop, head, due_on=TODAY - datetime.timedelta(days=1))

    assert overdue_actions_flag() == 2
    flags = {n.person_id: n for n in Notification.objects.filter(kind=OVERDUE, action=action)}
    assert set(flags) == {head.pk, coach.pk}
    assert flags[head.pk].text.startswith("Overdue: your commitment")
    assert "Head A1" in flags[coach.pk].text and "Khed heads' CoP" in flags[coach.pk].text
    assert flags[head.pk].url == f"/networks/actions/{action.pk}/"
    # Only the owner gets a message.
    assert [m.to for m in messaging.outbox] == ["+919822011111"]
    assert "9 March 2026" in messaging.outbox[0].text
    assert flags[head.pk].messaged and not flags[coach.pk].messaged

    assert overdue_actions_flag() == 0
    assert overdue_actions_flag(today=TODAY + datetime.timedelta(days=30)) == 0
    assert len(messaging.outbox) == 1


def test_done_dropped_and_not_yet_due_commitments_are_not_flagged(nets) -> None:  # type: ignore[no-untyped-def]
    head = nets.world.person(nets.world.head)
    yesterday = TODAY - datetime.timedelta(days=1)
    commitment(nets.cop, head, due_on=yesterday, status=Action.Status.DONE)
    commitment(nets.cop, head, due_on=yesterday, status=Action.Status.DROPPED)
    commitment(nets.cop, head, due_on=TODAY)  # due today: not late yet
    assert overdue_actions_flag() == 0
    in_progress = commitment(nets.cop, head, due_on=yesterday, status=Action.Status.IN_PROGRESS)
    assert overdue_actions_flag() == 2
    assert set(Notification.objects.values_list("action", flat=True)) == {in_progress.pk}


def test_commitments_of_a_closed_plan_are_not_flagged(nets) -> None:  # type: ignore[no-untyped-def]
    head = nets.world.person(nets.world.head)
    action = commitment(nets.cop, head, due_on=TODAY - datetime.timedelta(days=1))
    ActionPlan.objects.filter(pk=action.plan_id).update(status=ActionPlan.Status.CLOSED)
    assert overdue_actions_flag() == 0


def test_a_facilitator_who_owns_the_commitment_is_told_once(nets) -> None:  # type: ignore[no-untyped-def]
    coach = set_person(nets.world.coach, phone="+919822022222")
    commitment(nets.cop, coach, due_on=TODAY - datetime.timedelta(days=3))
    assert overdue_actions_flag() == 1
    assert overdue_actions_flag() == 0
    assert texts_to("+919822022222")[0].startswith("Overdue: your commitment")


def test_a_new_facilitator_is_told_of_what_is_still_overdue(nets) -> None:  # type: ignore[no-untyped-def]
    head = nets.world.person(nets.world.head)
    commitment(nets.cop, head, due_on=TODAY - datetime.timedelta(days=3))
    network_update(network=nets.cop, version=None, facilitator=None, by=None)
    assert overdue_actions_flag() == 1  # the owner only
    crc = nets.world.person(nets.world.crc)
    network_update(network=nets.cop, version=None, facilitator=crc, by=None)
    assert overdue_actions_flag() == 1  # the new facilitator; the owner not again
    assert Notification.objects.filter(kind=OVERDUE, person=head).count() == 1
    assert Notification.objects.filter(kind=OVERDUE, person=crc).count() == 1


def test_a_commitment_made_at_a_meeting_under_a_school_plan_finds_its_facilitator(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    head = world.person(world.head)
    school_plan = ActionPlan.objects.create(
        kind=ActionPlan.Kind.SCHOOL,
        title="A1 improvement plan",
        org_unit=world.school_a1,
        org_path=world.school_a1.path,
        starts_on=datetime.date(2026, 1, 1),
        ends_on=datetime.date(2026, 12, 31),
    )
    meeting = plan_meeting(nets.cop, at(TODAY - datetime.timedelta(days=20), 15))
    commitment(
        nets.cop, head, due_on=TODAY - datetime.timedelta(days=2), plan=school_plan, made_in=meeting
    )
    assert overdue_actions_flag() == 2
    assert Notification.objects.filter(person__user=world.coach, kind=OVERDUE).exists()


# --- tasks and the command -------------------------------------------------------------------


def test_the_tasks_run_both(nets) -> None:  # type: ignore[no-untyped-def]
    plan_meeting(nets.cop, at(TODAY, 15))
    commitment(nets.cop, nets.world.person(nets.world.head), due_on=TODAY - datetime.timedelta(1))
    assert tasks.send_meeting_reminders.enqueue().return_value == 2
    assert tasks.flag_overdue_actions.enqueue().return_value == 2
    assert tasks.send_meeting_reminders.enqueue().return_value == 0


def test_the_command_says_what_it_did(nets) -> None:  # type: ignore[no-untyped-def]
    plan_meeting(nets.cop, at(TODAY, 15))
    commitment(nets.cop, nets.world.person(nets.world.head), due_on=TODAY - datetime.timedelta(1))
    out = io.StringIO()
    call_command("network_reminders", stdout=out)
    assert "2 people reminded of meetings in the next 48 hours" in out.getvalue()
    assert "Overdue commitments: 2 people told" in out.getvalue()
    out = io.StringIO()
    call_command("network_reminders", "--overdue-only", stdout=out)
    assert out.getvalue() == "Overdue commitments: 0 people told.\n"


# --- reading them ------------------------------------------------------------------------------


@pytest.fixture
def told(nets, time_machine):  # type: ignore[no-untyped-def]
    """Head and coach each reminded of a meeting, then (a minute later) flagged an overdue
    commitment."""
    plan_meeting(nets.cop, at(TODAY, 15))
    commitment(nets.cop, nets.world.person(nets.world.head), due_on=TODAY - datetime.timedelta(1))
    meeting_reminders_send()
    time_machine.move_to(NOW + datetime.timedelta(minutes=1), tick=False)
    overdue_actions_flag()
    return nets


def test_the_notifications_page_lists_ones_own_newest_first(told) -> None:  # type: ignore[no-untyped-def]
    world = told.world
    page = world.client(world.head).get("/networks/notifications/")
    text = page.content.decode()
    assert page.status_code == 200
    mine = list(notifications_for(world.head))
    assert len(mine) == 2 and unread_count(world.head) == 2
    assert mine[0].kind == OVERDUE and mine[1].kind == SOON
    assert text.index(escape(mine[0].text)) < text.index(escape(mine[1].text))
    for n in mine:
        assert f'href="{n.url}"' in text
        assert f"/networks/notifications/{n.pk}/read/" in text  # the button: unread
    theirs = Notification.objects.get(person__user=world.coach, kind=OVERDUE)
    assert escape(theirs.text) not in text and str(theirs.pk) not in text


def test_the_notifications_page_needs_a_login(told) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    page = Client().get("/networks/notifications/")
    assert page.status_code == 302 and "/login" in page["Location"]


def test_the_notifications_page_takes_a_fixed_number_of_queries(  # type: ignore[no-untyped-def]
    told, django_assert_max_num_queries
) -> None:
    client = told.world.client(told.world.coach)
    for hour in range(10, 20):
        plan_meeting(told.cop, at(TODAY, hour))
    meeting_reminders_send()
    assert Notification.objects.filter(person__user=told.world.coach).count() > 10
    with django_assert_max_num_queries(6):
        assert client.get("/networks/notifications/").status_code == 200


def test_a_notification_is_marked_read(told) -> None:  # type: ignore[no-untyped-def]
    world = told.world
    note = notifications_for(world.head).first()
    page = world.client(world.head).post(f"/networks/notifications/{note.pk}/read/", {"page": "1"})
    assert page.status_code == 302 and page["Location"] == "/networks/notifications/?page=1"
    note.refresh_from_db()
    assert note.read_at == timezone.now() and unread_count(world.head) == 1
    text = world.client(world.head).get("/networks/notifications/").content.decode()
    assert f"/networks/notifications/{note.pk}/read/" not in text


def test_anothers_notification_is_not_found(told) -> None:  # type: ignore[no-untyped-def]
    world = told.world
    theirs = Notification.objects.filter(person__user=world.coach).first()
    page = world.client(world.head).post(f"/networks/notifications/{theirs.pk}/read/")
    assert page.status_code == 404
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert world.client(world.head).post("/networks/notifications/nope/read/").status_code == 404
    with pytest.raises(PermissionDenied):  # the service refuses too
        notification_read(notification=theirs, by=world.head)


def test_marking_read_needs_a_post(told) -> None:  # type: ignore[no-untyped-def]
    note = notifications_for(told.world.head).first()
    page = told.world.client(told.world.head).get(f"/networks/notifications/{note.pk}/read/")
    assert page.status_code == 405


def test_all_are_marked_read_at_once(told) -> None:  # type: ignore[no-untyped-def]
    world = told.world
    page = world.client(world.head).post("/networks/notifications/read/")
    assert page.status_code == 302
    assert unread_count(world.head) == 0
    assert unread_count(world.coach) == 2  # someone else's stay unread
