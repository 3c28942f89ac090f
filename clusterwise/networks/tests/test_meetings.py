"""Meetings, their agendas, and commitments witnessed and carried to the next meeting."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.utils import timezone

from clusterwise.networks.models import Action, AgendaItem, Meeting
from clusterwise.networks.services import meetings as svc
from clusterwise.org.services import person_create

TODAY = datetime.date(2026, 3, 10)


def at(day: datetime.date, hour: int = 15) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def held(nets):  # type: ignore[no-untyped-def]
    """A meeting of the CoP today at A1, attended by the head and the coach."""
    world = nets.world
    with time_machine.travel(at(TODAY, 9)):
        meeting = svc.meeting_schedule(
            network=nets.cop,
            title="March meeting",
            template=Meeting.Template.SCHOOL_IMPROVEMENT,
            starts_at=at(TODAY),
            mode=Meeting.Mode.IN_PERSON,
            venue=world.school_a1,
            by=world.coach,
        )
    return meeting


def second_head(nets):  # type: ignore[no-untyped-def]
    world = nets.world
    person = person_create(
        name="Head A2",
        role="headteacher",
        org_unit=world.school_a2,
        start_date=datetime.date(2024, 6, 1),
        by=None,
    )
    from clusterwise.networks.services.networks import member_add

    member_add(network=nets.cop, person=person, role="headteacher", school=world.school_a2, by=None)
    return person


def test_the_agenda_comes_from_the_template_and_ends_with_commitments(held) -> None:  # type: ignore[no-untyped-def]
    titles = list(held.agenda.values_list("title", flat=True))
    assert titles[0] == "Welcome and check-in"
    assert titles[-2:] == ["New commitments", "Next meeting"]


def test_where_the_meeting_is_must_be_said(nets) -> None:  # type: ignore[no-untyped-def]
    for mode, field in [
        (Meeting.Mode.IN_PERSON, "venue_text"),
        (Meeting.Mode.VIDEO, "link"),
        (Meeting.Mode.WHATSAPP, "whatsapp_group"),
    ]:
        with pytest.raises(ValidationError) as error:
            svc.meeting_schedule(
                network=nets.cop,
                title="x",
                template="custom",
                starts_at=at(TODAY),
                mode=mode,
                by=None,
            )
        assert field in error.value.message_dict
    with pytest.raises(ValidationError, match="one of the network"):
        svc.meeting_schedule(
            network=nets.cop,
            title="x",
            template="custom",
            starts_at=at(TODAY),
            mode=Meeting.Mode.IN_PERSON,
            venue=nets.world.school_b1,
            by=None,
        )


@time_machine.travel(at(TODAY, 16))
def test_a_commitment_is_witnessed_by_those_present_and_reviewed_next_time(nets, held) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    head, coach = world.person(world.head), world.person(world.coach)
    other_head = second_head(nets)
    svc.attendance_record(meeting=held, present=[head, coach], by=world.coach)
    nxt = svc.meeting_schedule(
        network=nets.cop,
        title="April meeting",
        template=Meeting.Template.DATA_REVIEW,
        starts_at=at(TODAY + datetime.timedelta(days=30)),
        mode=Meeting.Mode.PHONE,
        by=world.coach,
    )
    action = svc.commitment_record(
        meeting=held,
        text="Start a reading corner in every class",
        owner=head,
        due_on=TODAY + datetime.timedelta(days=25),
        success_measure="Corners seen in all 6 classes",
        by=world.head,
    )
    assert set(action.witnesses.values_list("person", flat=True)) == {coach.pk}
    assert other_head.pk not in set(action.witnesses.values_list("person", flat=True))
    assert action.plan.network == nets.cop and action.plan.kind == "network"
    review = nxt.agenda.get(action=action)
    assert review.source == AgendaItem.Source.REVIEW and "reading corner" in review.title
    assert review.order == 2  # right after the check-in

    # A meeting planned later still gets it while it is open; done, it drops off.
    later = svc.meeting_schedule(
        network=nets.cop,
        title="May",
        template="custom",
        starts_at=at(TODAY + datetime.timedelta(days=60)),
        mode=Meeting.Mode.PHONE,
        by=world.coach,
    )
    assert later.agenda.filter(action=action).exists()
    with time_machine.travel(at(TODAY + datetime.timedelta(days=30), 17)):
        with pytest.raises(ValidationError, match="shows it is done"):
            svc.commitment_review(meeting=nxt, action=action, status="done", by=world.coach)
        svc.commitment_review(
            meeting=nxt,
            action=action,
            status="done",
            evidence="Photos of 6 corners",
            by=world.coach,
        )
    action.refresh_from_db()
    assert action.status == "done" and action.completed_on == TODAY + datetime.timedelta(days=30)
    june = svc.meeting_schedule(
        network=nets.cop,
        title="June",
        template="custom",
        starts_at=at(TODAY + datetime.timedelta(days=90)),
        mode=Meeting.Mode.PHONE,
        by=world.coach,
    )
    assert not june.agenda.filter(action=action).exists()
    assert action.history.count() == 2  # made, then done


@time_machine.travel(at(TODAY, 16))
def test_a_commitment_needs_a_witness_and_a_member_owner(nets, held) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    head = world.person(world.head)
    kwargs = {
        "meeting": held,
        "text": "x",
        "due_on": TODAY + datetime.timedelta(days=5),
        "success_measure": "y",
    }
    with pytest.raises(ValidationError, match="at least one witness"):
        svc.commitment_record(owner=head, by=None, **kwargs)
    svc.attendance_record(meeting=held, present=[head], by=None)
    with pytest.raises(ValidationError, match="at least one witness"):
        svc.commitment_record(owner=head, by=None, **kwargs)  # only the owner was there
    with pytest.raises(ValidationError, match="owner must be a member"):
        svc.commitment_record(owner=world.person(world.outsider), by=None, **kwargs)
    with pytest.raises(ValidationError, match="Witnesses must be members"):
        svc.commitment_record(
            owner=head, witnesses=[world.person(world.outsider)], by=None, **kwargs
        )
    action = svc.commitment_record(
        owner=head, witnesses=[world.person(world.coach)], by=None, **kwargs
    )
    assert action.witnesses.count() == 1


def test_nothing_is_recorded_before_the_meeting(nets, held) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    with time_machine.travel(at(TODAY - datetime.timedelta(days=1))):
        with pytest.raises(ValidationError, match="on the day"):
            svc.attendance_record(meeting=held, present=[world.person(world.head)], by=None)
        with pytest.raises(ValidationError, match="on or after"):
            svc.minutes_record(meeting=held, minutes="m", version=None, by=None)


@time_machine.travel(at(TODAY, 18))
def test_minutes_make_the_meeting_held_and_a_held_meeting_is_not_cancelled(nets, held) -> None:  # type: ignore[no-untyped-def]
    svc.minutes_record(
        meeting=held, minutes="We compared reading data.", version=held.version, by=None
    )
    held.refresh_from_db()
    assert held.status == Meeting.Status.HELD
    with pytest.raises(ValidationError, match="cannot be cancelled"):
        svc.meeting_cancel(meeting=held, version=held.version, by=None)


@time_machine.travel(at(TODAY, 18))
def test_only_members_attend(nets, held) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="Only the network"):
        svc.attendance_record(
            meeting=held, present=[nets.world.person(nets.world.outsider)], by=None
        )
    rows = svc.attendance_record(
        meeting=held, present=[], remote=[nets.world.person(nets.world.head)], by=None
    )
    assert {(r.present, r.remote) for r in rows} == {(True, True), (False, False)}


def test_open_commitments_of_plans_made_outside_meetings_are_reviewed_too(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    plan = svc.network_plan(nets.cop, 2026, by=None)
    Action.objects.create(
        plan=plan,
        text="Share timetable",
        owner=world.person(world.head),
        due_on=TODAY,
        success_measure="m",
    )
    meeting = svc.meeting_schedule(
        network=nets.cop, title="t", template="custom", starts_at=at(TODAY), mode="phone", by=None
    )
    assert meeting.agenda.filter(source="review").count() == 1


def test_on_a_custom_agenda_the_commitments_to_review_come_first(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    plan = svc.network_plan(nets.cop, 2026, by=None)
    Action.objects.create(
        plan=plan,
        text="Share timetable",
        owner=world.person(world.head),
        due_on=TODAY,
        success_measure="m",
    )
    meeting = svc.meeting_schedule(
        network=nets.cop, title="t", template="custom", starts_at=at(TODAY), mode="phone", by=None
    )
    assert list(meeting.agenda.values_list("source", flat=True)) == [
        "review",
        "template",
        "template",
    ]
