"""The meeting pages: planning, the meeting itself, commitments, the data pack; scope."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from clusterwise.networks.models import Action, Meeting, SchoolFigures
from clusterwise.networks.services import meetings as svc

TODAY = datetime.date(2026, 3, 10)


def at(day: datetime.date, hour: int = 15) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


@pytest.fixture
def meeting(nets):  # type: ignore[no-untyped-def]
    return svc.meeting_schedule(
        network=nets.cop,
        title="March meeting",
        template=Meeting.Template.DATA_REVIEW,
        starts_at=at(TODAY),
        mode=Meeting.Mode.VIDEO,
        link="https://meet.example.org/khed",
        by=None,
    )


@time_machine.travel(at(TODAY, 9))
def test_the_facilitator_plans_a_meeting_and_its_agenda_is_ready(nets) -> None:  # type: ignore[no-untyped-def]
    client = nets.world.client(nets.world.coach)
    page = client.post(
        f"/networks/{nets.cop.pk}/meetings/",
        {
            "title": "April",
            "template": "crisis",
            "starts_at": "2026-04-02T15:00",
            "duration_minutes": 60,
            "mode": "whatsapp",
            "whatsapp_group": "Khed heads",
        },
    )
    meeting = Meeting.objects.get(title="April")
    assert page.status_code == 302 and page["Location"] == f"/networks/meetings/{meeting.pk}/"
    assert meeting.agenda.count() == 8


@time_machine.travel(at(TODAY, 9))
def test_a_bad_meeting_form_keeps_what_was_typed(nets) -> None:  # type: ignore[no-untyped-def]
    client = nets.world.client(nets.world.coach)
    page = client.post(
        f"/networks/{nets.cop.pk}/meetings/",
        {
            "title": "Typed title",
            "template": "custom",
            "starts_at": "2026-04-02T15:00",
            "duration_minutes": 60,
            "mode": "video",
        },
    )
    text = page.content.decode()
    assert page.status_code == 200 and "Give the link of the video call." in text
    assert 'value="Typed title"' in text
    assert not Meeting.objects.filter(title="Typed title").exists()


def test_only_those_who_run_the_network_plan_meetings(nets) -> None:  # type: ignore[no-untyped-def]
    page = nets.world.client(nets.world.head).post(
        f"/networks/{nets.cop.pk}/meetings/", {"title": "x"}
    )
    assert page.status_code == 403


@time_machine.travel(at(TODAY, 16))
def test_a_member_records_attendance_and_a_commitment(nets, meeting) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    client = world.client(world.head)
    head, coach = world.person(world.head), world.person(world.coach)
    url = f"/networks/meetings/{meeting.pk}/"
    assert (
        client.post(url, {"form": "attendance", "present": [head.pk, coach.pk]}).status_code == 302
    )
    page = client.post(
        url,
        {
            "form": "commitment",
            "c-text": "Weekly reading assessment in grade 3",
            "c-owner": head.pk,
            "c-due_on": "2026-04-01",
            "c-success_measure": "Records for 4 weeks",
        },
    )
    assert page.status_code == 302
    action = Action.objects.get()
    assert list(action.witnesses.values_list("person", flat=True)) == [coach.pk]
    shown = client.get(url).content.decode()
    assert "Weekly reading assessment in grade 3" in shown and "Coach" in shown


@time_machine.travel(at(TODAY, 16))
def test_a_bad_commitment_keeps_what_was_typed(nets, meeting) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    page = world.client(world.head).post(
        f"/networks/meetings/{meeting.pk}/",
        {
            "form": "commitment",
            "c-text": "Typed commitment",
            "c-owner": world.person(world.head).pk,
            "c-due_on": "2026-04-01",
            "c-success_measure": "m",
        },
    )
    text = page.content.decode()
    assert page.status_code == 200 and "at least one witness" in text
    assert 'value="Typed commitment"' in text


@pytest.mark.parametrize("login", ["outsider", "teacher"])
def test_a_meeting_of_another_network_is_not_found_and_a_non_member_cannot_post(
    nets, meeting, login
) -> None:  # type: ignore[no-untyped-def]
    client = nets.world.client(getattr(nets.world, login))
    if login == "outsider":
        assert client.get(f"/networks/meetings/{meeting.pk}/").status_code == 404
        assert client.get(f"/networks/meetings/{meeting.pk}/data/").status_code == 404
        assert client.get(f"/networks/{nets.cop.pk}/meetings/").status_code == 404
    else:  # the teacher of A1 sees the network of their school but is not a member
        assert client.get(f"/networks/meetings/{meeting.pk}/").status_code == 200
        assert (
            client.post(
                f"/networks/meetings/{meeting.pk}/", {"form": "agenda", "title": "x"}
            ).status_code
            == 403
        )


def test_the_data_pack_puts_the_schools_side_by_side(
    nets, meeting, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    SchoolFigures.objects.create(
        school=world.school_a1,
        school_path=world.school_a1.path,
        month=datetime.date(2026, 2, 1),
        enrolled=212,
        attendance="87.5",
        dropped_out=3,
        came_back=1,
    )
    client = world.client(world.coach)
    with django_assert_max_num_queries(20):
        page = client.get(f"/networks/meetings/{meeting.pk}/data/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "212" in text and "87.5" in text and "not reported" in text  # A2 reported nothing


@time_machine.travel(at(TODAY, 16))
def test_my_commitments_and_a_commitment_page(nets, meeting) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    head = world.person(world.head)
    action = svc.commitment_record(
        meeting=meeting,
        text="Visit A2",
        owner=head,
        due_on=TODAY + datetime.timedelta(days=3),
        success_measure="Notes shared",
        witnesses=[world.person(world.coach)],
        by=None,
    )
    assert "Visit A2" in world.client(world.head).get("/networks/actions/").content.decode()
    client = world.client(world.head)
    page = client.post(
        f"/networks/actions/{action.pk}/",
        {"status": "done", "evidence": "", "version": action.version},
    )
    assert page.status_code == 200 and "shows it is done" in page.content.decode()
    page = client.post(
        f"/networks/actions/{action.pk}/",
        {"status": "done", "evidence": "Notes in the group", "version": action.version},
    )
    assert page.status_code == 302
    assert world.client(world.outsider).get(f"/networks/actions/{action.pk}/").status_code == 404


def test_the_data_pack_shows_practices_on_the_meetings_topics(nets, meeting) -> None:  # type: ignore[no-untyped-def]
    from clusterwise.networks.services.practices import practice_create

    world = nets.world
    kwargs = {
        "problem": "p",
        "what_was_done": "w",
        "school": world.school_a2,
        "language": "en",
        "by": world.crc,
    }
    practice_create(title="Attendance board in the staff room", tags=["attendance"], **kwargs)
    practice_create(title="Sports day", tags=["sports"], **kwargs)
    text = world.client(world.coach).get(f"/networks/meetings/{meeting.pk}/data/").content.decode()
    assert "Attendance board in the staff room" in text  # a data review is about attendance
    assert "Sports day" not in text


def test_a_member_keeps_a_file_with_the_meeting_and_outsiders_cannot_fetch_it(
    nets, meeting
) -> None:  # type: ignore[no-untyped-def]
    from django.core.files.uploadedfile import SimpleUploadedFile

    world = nets.world
    client = world.client(world.head)
    url = f"/networks/meetings/{meeting.pk}/"
    page = client.post(url, {"form": "file", "file": SimpleUploadedFile("virus.exe", b"MZ")})
    assert page.status_code == 200 and "cannot be kept" in page.content.decode()
    pdf = SimpleUploadedFile("agenda.pdf", b"%PDF-1.4 agenda", content_type="application/pdf")
    assert client.post(url, {"form": "file", "file": pdf}).status_code == 302
    kept = meeting.files.get()
    assert (
        kept.name == "agenda.pdf" and "agenda" not in kept.file.name
    )  # stored under a random name
    got = client.get(f"/networks/meetings/files/{kept.pk}/")
    assert got.status_code == 200 and b"".join(got.streaming_content).startswith(b"%PDF")
    assert (
        world.client(world.outsider).get(f"/networks/meetings/files/{kept.pk}/").status_code == 404
    )
