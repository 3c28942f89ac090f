"""The networks API: each endpoint works, needs a token and the networks role, hides the
networks the caller does not see (404), answers a refused write with 422 by field and a stale
one with 409, and is listed in the OpenAPI."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

import pytest
import schemathesis
import time_machine
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import negative_data_rejection, positive_data_acceptance

from clusterwise.api.services import token_issue
from clusterwise.networks.models import Action, ActionReview, Attendance, Meeting, PracticeTrial
from clusterwise.networks.services import meetings as meeting_services
from clusterwise.networks.services import practices as practice_services
from clusterwise.networks.services.networks import member_add, network_create
from clusterwise.networks.tests.conftest import nets  # noqa: F401
from clusterwise.org import services as org_services
from clusterwise.org.models import OrgUnit, Role, School, User
from config.wsgi import application

BASE = "/api/v1"
TODAY = datetime.date(2026, 3, 10)


def at(day: datetime.date, hour: int = 15) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(hour)))


AFTER_THE_MEETING = at(TODAY, 16)


def api(user: User | None) -> Client:
    if user is None:
        return Client()
    return Client(headers={"Authorization": f"Bearer {token_issue(user=user)}"})


def send(client: Client, method: str, url: str, body: Any = None) -> Any:
    if method == "get":
        return client.get(url)
    return getattr(client, method)(
        url, json.dumps(body or {}, default=str), content_type="application/json"
    )


def _login(name: str, role: str, unit: OrgUnit) -> User:
    person = org_services.person_create(
        name=name.replace("_", " ").title(),
        role=role,
        org_unit=unit,
        start_date=datetime.date(2024, 6, 1),
        username=name,
        password=f"pw-{name}",
        by=None,
    )
    assert person.user is not None
    return person.user


def _another_state() -> tuple[OrgUnit, User]:
    """A school in Karnataka and its headteacher: nobody in Maharashtra sees them."""
    unit = OrgUnit.objects.add_root(instance=OrgUnit(code="KA", name="Karnataka", level="state"))
    for code, level in (("KD", "district"), ("KB", "block"), ("KC", "cluster"), ("K1", "school")):
        parent = OrgUnit.objects.get(pk=unit.pk)
        unit = OrgUnit.objects.add_child(
            parent, instance=OrgUnit(code=code, name=code, level=level)
        )
    School.objects.create(org_unit=unit, management="government", area="rural", languages=["kn"])
    return unit, _login("head_k", Role.HEADTEACHER, unit)


@dataclass
class Scene:
    """The CoP met today (head and coach present); the head committed to reading corners,
    witnessed by the coach; its next meeting, in a month, has the commitment to review.
    Two practices: the head's (A1, in the CoP) and the outsider's (B1S, in the PLC)."""

    nets: Any
    world: Any
    meeting: Meeting
    action: Action
    following: Meeting
    reading: Any
    maths: Any


@pytest.fixture
def meeting(nets) -> Meeting:  # noqa: F811
    return meeting_services.meeting_schedule(
        network=nets.cop,
        title="March meeting",
        template=Meeting.Template.SCHOOL_IMPROVEMENT,
        starts_at=at(TODAY),
        mode=Meeting.Mode.IN_PERSON,
        venue=nets.world.school_a1,
        by=nets.world.coach,
    )


@pytest.fixture
def scene(nets, meeting) -> Scene:  # noqa: F811
    world = nets.world
    head, coach = world.person(world.head), world.person(world.coach)
    with time_machine.travel(AFTER_THE_MEETING):
        meeting_services.attendance_record(meeting=meeting, present=[head, coach], by=world.coach)
        following = meeting_services.meeting_schedule(
            network=nets.cop,
            title="April meeting",
            template=Meeting.Template.DATA_REVIEW,
            starts_at=at(TODAY + datetime.timedelta(days=30)),
            mode=Meeting.Mode.PHONE,
            by=world.coach,
        )
        action = meeting_services.commitment_record(
            meeting=meeting,
            text="Start a reading corner in every class",
            owner=head,
            due_on=TODAY + datetime.timedelta(days=25),
            success_measure="Corners seen in all 6 classes",
            by=world.head,
        )
        reading = practice_services.practice_create(
            title="Reading corners in every class",
            problem="Children in grade 3 could not read a short paragraph.",
            what_was_done="Each class built a reading corner with donated storybooks.",
            school=world.school_a1,
            network=nets.cop,
            tags=["reading", "attendance"],
            language="en",
            by=world.head,
        )
        maths = practice_services.practice_create(
            title="Number talks before lunch",
            problem="Pupils feared mental arithmetic.",
            what_was_done="Ten minutes of number talks daily; mistakes celebrated.",
            school=world.school_b1,
            network=nets.other,
            tags=["maths"],
            language="mr",
            by=world.outsider,
        )
    return Scene(nets, world, meeting, action, following, reading, maths)


def _endpoints(s: Scene) -> list[tuple[str, str, dict[str, Any] | None]]:
    """Every operation of the router on the CoP's records, each with a valid body."""
    head = s.world.person(s.world.head)
    meeting = f"{BASE}/meetings/{s.meeting.pk}"
    return [
        ("get", f"{BASE}/networks", None),
        ("get", f"{BASE}/networks/{s.nets.cop.pk}", None),
        ("get", f"{BASE}/networks/{s.nets.cop.pk}/meetings", None),
        (
            "post",
            f"{BASE}/networks/{s.nets.cop.pk}/meetings",
            {
                "title": "May",
                "template": "custom",
                "starts_at": at(TODAY + datetime.timedelta(days=60)).isoformat(),
                "mode": "phone",
            },
        ),
        ("get", meeting, None),
        ("put", f"{meeting}/attendance", {"present": [str(head.pk)]}),
        ("put", f"{meeting}/minutes", {"minutes": "We met."}),
        (
            "post",
            f"{meeting}/commitments",
            {
                "text": "Share the timetable",
                "owner": str(head.pk),
                "due_on": "2026-04-01",
                "success_measure": "Posted in the group",
            },
        ),
        (
            "post",
            f"{BASE}/meetings/{s.following.pk}/reviews",
            {"action": str(s.action.pk), "status": "in_progress"},
        ),
        ("get", f"{BASE}/actions", None),
        ("get", f"{BASE}/actions/{s.action.pk}", None),
        ("patch", f"{BASE}/actions/{s.action.pk}", {"status": "in_progress"}),
        ("get", f"{BASE}/practices?network={s.nets.cop.pk}", None),
        ("get", f"{BASE}/practices/{s.maths.pk}", None),
        (
            "post",
            f"{BASE}/practices/{s.maths.pk}/tried",
            {"school": str(s.world.school_a1.pk), "outcome": "worked", "tried_on": "2026-03-01"},
        ),
    ]


# --- the gate: token, role, scope ------------------------------------------------------------


def test_every_endpoint_needs_a_token(scene) -> None:
    bad = Client(headers={"Authorization": "Bearer not-a-token"})
    for method, url, body in _endpoints(scene):
        assert send(Client(), method, url, body).status_code == 401, url
        assert send(bad, method, url, body).status_code == 401, url


@time_machine.travel(AFTER_THE_MEETING)
def test_every_endpoint_needs_the_networks_role(scene) -> None:
    data_officer = api(_login("data_officer", Role.DATA_OFFICER, scene.world.district))
    for method, url, body in _endpoints(scene):
        response = send(data_officer, method, url, body)
        assert response.status_code == 403, url
        assert response.json() == {"detail": "You may not do this."}
    assert Meeting.objects.count() == 2
    assert Action.objects.count() == 1 and not ActionReview.objects.exists()
    assert not PracticeTrial.objects.exists()


@time_machine.travel(AFTER_THE_MEETING)
def test_every_endpoint_hides_a_network_the_caller_does_not_see(scene) -> None:
    outsider = api(scene.world.outsider)  # cluster B: the CoP of block B1's cluster A schools
    for method, url, body in _endpoints(scene):
        if "/practices/" in url:
            continue  # a practice travels across the state (below)
        response = send(outsider, method, url, body)
        if url == f"{BASE}/networks" or url == f"{BASE}/actions":
            assert response.status_code == 200, url
            assert str(scene.nets.cop.pk) not in response.content.decode()
            continue
        assert response.status_code == 404, url
        assert response.json() == {"detail": "Not found."}
    assert Meeting.objects.count() == 2
    assert Action.objects.get().status == Action.Status.OPEN
    assert set(Attendance.objects.values_list("present", flat=True)) == {True}


def test_another_state_reads_no_practice_of_this_one(scene) -> None:
    _school, head_k = _another_state()
    client = api(head_k)
    assert client.get(f"{BASE}/practices").json()["items"] == []
    assert client.get(f"{BASE}/practices/{scene.reading.pk}").status_code == 404
    tried = send(
        client,
        "post",
        f"{BASE}/practices/{scene.reading.pk}/tried",
        {"school": str(_school.pk), "outcome": "worked"},
    )
    assert tried.status_code == 404
    assert not PracticeTrial.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "networks/not-a-uuid",
        "networks/not-a-uuid/meetings",
        "meetings/not-a-uuid",
        "actions/not-a-uuid",
        "practices/not-a-uuid",
    ],
)
def test_a_malformed_id_answers_422(nets, url) -> None:  # noqa: F811
    assert api(nets.world.coach).get(f"{BASE}/{url}").status_code == 422


# --- networks ------------------------------------------------------------------------------


def test_networks_are_listed_with_how_each_is_doing(scene) -> None:
    coach = api(scene.world.coach).get(f"{BASE}/networks").json()
    assert coach["count"] == 2
    by_name = {n["name"]: n for n in coach["items"]}
    cop = by_name["Khed heads' CoP"]
    assert (cop["schools"], cop["members"]) == (2, 1)
    assert cop["facilitator"]["name"] == "Coach"
    assert cop["org_unit"]["code"] == "B1"
    assert cop["open_actions"] == 1
    assert "has never met" in cop["stuck"]  # no minutes yet: the meeting is not held
    assert by_name["Wada PLC"]["stuck"] == ["has never met", "no meeting planned"]
    head = api(scene.world.head).get(f"{BASE}/networks").json()
    assert [n["name"] for n in head["items"]] == ["Khed heads' CoP"]


def test_mine_lists_the_networks_the_caller_facilitates(nets) -> None:  # noqa: F811
    assert api(nets.world.coach).get(f"{BASE}/networks?mine=true").json()["count"] == 1
    outsider = api(nets.world.outsider).get(f"{BASE}/networks", {"mine": "true"}).json()
    assert [n["name"] for n in outsider["items"]] == ["Wada PLC"]


def test_the_network_list_takes_a_fixed_number_of_queries(
    nets,  # noqa: F811
    django_assert_max_num_queries,
) -> None:
    world = nets.world
    for n in range(5):
        network_create(
            name=f"Extra {n}",
            kind="plc",
            org_unit=world.cluster_a,
            facilitator=world.person(world.crc),
            schools=[world.school_a1],
            by=None,
        )
    client = api(world.state_officer)
    with django_assert_max_num_queries(8):
        assert client.get(f"{BASE}/networks").json()["count"] == 7


def test_a_network_shows_its_schools_members_and_facilitator(nets) -> None:  # noqa: F811
    world = nets.world
    head = api(world.head).get(f"{BASE}/networks/{nets.cop.pk}").json()
    assert [s["code"] for s in head["member_schools"]] == ["A1", "A2"]
    assert [(m["person"]["name"], m["role"]) for m in head["people"]] == [
        ("Head A1", "headteacher")
    ]
    assert head["facilitator"]["name"] == "Coach"
    assert (head["runs"], head["takes_part"]) == (False, True)
    coach = api(world.coach).get(f"{BASE}/networks/{nets.cop.pk}").json()
    assert (coach["runs"], coach["takes_part"]) == (True, True)
    teacher = api(world.teacher).get(f"{BASE}/networks/{nets.cop.pk}").json()
    assert (teacher["runs"], teacher["takes_part"]) == (False, False)
    assert api(world.head).get(f"{BASE}/networks/{nets.other.pk}").status_code == 404


# --- meetings ------------------------------------------------------------------------------


def _plan(**changes: Any) -> dict[str, Any]:
    body = {
        "title": "April meeting",
        "template": "crisis",
        "starts_at": "2026-04-02T15:00:00",
        "duration_minutes": 60,
        "mode": "whatsapp",
        "whatsapp_group": "Khed heads",
    }
    body.update(changes)
    return body


@time_machine.travel(at(TODAY, 9))
def test_those_who_run_the_network_plan_a_meeting_with_its_agenda(nets) -> None:  # noqa: F811
    url = f"{BASE}/networks/{nets.cop.pk}/meetings"
    response = send(api(nets.world.coach), "post", url, _plan())
    assert response.status_code == 201, response.content
    planned = response.json()
    assert planned["status"] == "planned" and planned["network_name"] == "Khed heads' CoP"
    assert planned["starts_at"].startswith("2026-04-02T")
    titles = [item["title"] for item in planned["agenda"]]
    assert titles[0] == "Wellbeing check-in: each school and its staff"
    assert titles[-2:] == ["New commitments", "Next meeting"]
    assert {p["person"]["name"] for p in planned["attendance"]} == {"Coach", "Head A1"}
    at_a1 = send(
        api(nets.world.district_officer),
        "post",
        url,
        _plan(mode="in_person", venue=str(nets.world.school_a1.pk), whatsapp_group=""),
    )
    assert at_a1.status_code == 201
    assert at_a1.json()["venue"]["code"] == "A1"
    listed = api(nets.world.head).get(url).json()
    assert listed["count"] == 2


@pytest.mark.parametrize("login", ["head", "crc", "teacher"])
def test_only_those_who_run_the_network_plan_its_meetings(nets, login) -> None:  # noqa: F811
    url = f"{BASE}/networks/{nets.cop.pk}/meetings"
    response = send(api(getattr(nets.world, login)), "post", url, _plan())
    assert response.status_code == 403
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"whatsapp_group": ""}, "whatsapp_group"),
        ({"mode": "video", "whatsapp_group": ""}, "link"),
        ({"mode": "video", "link": "not a link"}, "link"),
        ({"mode": "in_person"}, "venue_text"),
        ({"venue": "b1"}, "venue"),
        ({"title": "   "}, "title"),
        ({"starts_at": "1900-01-01T10:00:00"}, "starts_at"),
    ],
)
def test_a_bad_meeting_plan_answers_422_by_field(nets, change, field) -> None:  # noqa: F811
    if change.get("venue") == "b1":
        change = {"mode": "in_person", "venue": str(nets.world.school_b1.pk)}
    url = f"{BASE}/networks/{nets.cop.pk}/meetings"
    response = send(api(nets.world.coach), "post", url, _plan(**change))
    assert response.status_code == 422, response.content
    assert list(response.json()["detail"]) == [field]
    assert response.json()["detail"][field][0]
    assert not Meeting.objects.exists()


@pytest.mark.parametrize("change", [{"template": "party"}, {"duration_minutes": 5}, {"title": ""}])
def test_a_meeting_plan_outside_the_schema_answers_422(nets, change) -> None:  # noqa: F811
    url = f"{BASE}/networks/{nets.cop.pk}/meetings"
    response = send(api(nets.world.coach), "post", url, _plan(**change))
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == next(iter(change))
    assert not Meeting.objects.exists()


def test_meetings_are_listed_newest_first_in_a_fixed_number_of_queries(
    scene, django_assert_max_num_queries
) -> None:
    client = api(scene.world.crc)
    with django_assert_max_num_queries(6):
        listed = client.get(f"{BASE}/networks/{scene.nets.cop.pk}/meetings").json()
    assert [m["title"] for m in listed["items"]] == ["April meeting", "March meeting"]
    assert listed["items"][1]["venue"]["code"] == "A1"


def test_a_meeting_shows_its_agenda_attendance_and_commitments(
    scene, django_assert_max_num_queries
) -> None:
    client = api(scene.world.teacher)  # sees the network of their school
    with django_assert_max_num_queries(16):
        shown = client.get(f"{BASE}/meetings/{scene.meeting.pk}").json()
    assert {(a["person"]["name"], a["present"]) for a in shown["attendance"]} == {
        ("Coach", True),
        ("Head A1", True),
    }
    (made,) = shown["commitments"]
    assert made["text"] == "Start a reading corner in every class"
    assert made["owner"]["name"] == "Head A1"
    assert [w["name"] for w in made["witnesses"]] == ["Coach"]
    assert (shown["runs"], shown["takes_part"]) == (False, False)
    following = client.get(f"{BASE}/meetings/{scene.following.pk}").json()
    (to_review,) = [item for item in following["agenda"] if item["commitment"]]
    assert to_review["source"] == "review"
    assert to_review["commitment"]["id"] == str(scene.action.pk)
    assert to_review["review"] is None
    assert {a["present"] for a in following["attendance"]} == {None}


# --- attendance, minutes, commitments, reviews -------------------------------------------------


@time_machine.travel(AFTER_THE_MEETING)
def test_a_member_records_who_came(nets, meeting) -> None:  # noqa: F811
    world = nets.world
    coach = world.person(world.coach)
    url = f"{BASE}/meetings/{meeting.pk}/attendance"
    response = send(api(world.head), "put", url, {"remote": [str(coach.pk)]})
    assert response.status_code == 200, response.content
    assert {(a["person"]["name"], a["present"]) for a in response.json()} == {
        ("Coach", True),
        ("Head A1", False),
    }
    assert Attendance.objects.get(person=coach).remote


@time_machine.travel(AFTER_THE_MEETING)
def test_attendance_names_only_the_networks_people(nets, meeting) -> None:  # noqa: F811
    url = f"{BASE}/meetings/{meeting.pk}/attendance"
    stranger = nets.world.person(nets.world.teacher)
    response = send(api(nets.world.coach), "put", url, {"present": [str(stranger.pk)]})
    assert response.status_code == 422
    assert response.json()["detail"] == {
        "present": ["Only the network's members and facilitator can attend."]
    }
    assert not Attendance.objects.exists()


@time_machine.travel(at(TODAY - datetime.timedelta(days=1)))
def test_attendance_is_not_taken_before_the_day(nets, meeting) -> None:  # noqa: F811
    url = f"{BASE}/meetings/{meeting.pk}/attendance"
    head = nets.world.person(nets.world.head)
    response = send(api(nets.world.coach), "put", url, {"present": [str(head.pk)]})
    assert response.status_code == 422
    assert response.json()["detail"] == {
        "__all__": ["Attendance is taken on the day of the meeting, not before."]
    }
    assert not Attendance.objects.exists()


@pytest.mark.parametrize(
    "login, method, path, body",
    [
        ("teacher", "put", "attendance", {"present": []}),
        ("teacher", "put", "minutes", {"minutes": "We met."}),
        ("crc", "put", "minutes", {"minutes": "We met."}),
        ("teacher", "post", "commitments", {}),
        ("teacher", "post", "reviews", {}),
    ],
)
@time_machine.travel(AFTER_THE_MEETING)
def test_only_the_networks_people_write_a_meeting(scene, login, method, path, body) -> None:
    world = scene.world
    if path == "commitments":
        body = {
            "text": "x",
            "owner": str(world.person(world.head).pk),
            "due_on": "2026-04-01",
            "success_measure": "y",
        }
    if path == "reviews":
        body = {"action": str(scene.action.pk), "status": "in_progress"}
    meeting = scene.following if path == "reviews" else scene.meeting
    url = f"{BASE}/meetings/{meeting.pk}/{path}"
    assert send(api(getattr(world, login)), method, url, body).status_code == 403
    assert Meeting.objects.get(pk=scene.meeting.pk).status == Meeting.Status.PLANNED
    assert Action.objects.count() == 1 and not ActionReview.objects.exists()


@time_machine.travel(AFTER_THE_MEETING)
def test_minutes_hold_the_meeting_and_a_stale_version_answers_409(nets, meeting) -> None:  # noqa: F811
    client = api(nets.world.head)
    url = f"{BASE}/meetings/{meeting.pk}/minutes"
    version = client.get(f"{BASE}/meetings/{meeting.pk}").json()["version"]
    saved = send(
        client,
        "put",
        url,
        {"minutes": "Data side by side.", "decisions": "Visit A2", "version": version},
    )
    assert saved.status_code == 200, saved.content
    assert (saved.json()["status"], saved.json()["minutes"]) == ("held", "Data side by side.")
    assert saved.json()["version"] == version + 1
    stale = send(client, "put", url, {"minutes": "Overwritten", "version": version})
    assert stale.status_code == 409
    assert "Reload" in stale.json()["detail"][0]
    assert Meeting.objects.get(pk=meeting.pk).minutes == "Data side by side."


@time_machine.travel(AFTER_THE_MEETING)
def test_empty_minutes_answer_422_by_field(nets, meeting) -> None:  # noqa: F811
    url = f"{BASE}/meetings/{meeting.pk}/minutes"
    response = send(api(nets.world.coach), "put", url, {"minutes": "  \x00 "})
    assert response.status_code == 422
    assert response.json()["detail"] == {"minutes": ["Write what was discussed."]}
    assert Meeting.objects.get(pk=meeting.pk).status == Meeting.Status.PLANNED


def _commitment(head: Any, **changes: Any) -> dict[str, Any]:
    body = {
        "text": "Weekly reading assessment in grade 3",
        "owner": str(head.pk),
        "due_on": "2026-04-01",
        "success_measure": "Records for 4 weeks",
    }
    body.update(changes)
    return body


@time_machine.travel(AFTER_THE_MEETING)
def test_a_member_makes_a_commitment_witnessed_by_those_present(scene) -> None:
    world = scene.world
    head = world.person(world.head)
    url = f"{BASE}/meetings/{scene.meeting.pk}/commitments"
    response = send(api(world.head), "post", url, _commitment(head))
    assert response.status_code == 201, response.content
    made = response.json()
    assert [w["name"] for w in made["witnesses"]] == ["Coach"]
    assert made["status"] == "open"
    following = scene.following.agenda.filter(action_id=made["id"])
    assert following.exists()  # on the next meeting's agenda


@pytest.mark.parametrize(
    "change, field",
    [
        ({"due_on": "2026-03-01"}, "due_on"),
        ({"owner": "teacher"}, "owner"),
        ({"witnesses": ["teacher"]}, "witnesses"),
        ({"witnesses": ["head"]}, "witnesses"),  # the owner alone witnesses nothing
        ({"text": " ", "witnesses": ["coach"]}, "text"),
    ],
)
def test_a_bad_commitment_answers_422_by_field(nets, meeting, change, field) -> None:  # noqa: F811
    world = nets.world
    people = {
        "teacher": world.person(world.teacher),
        "head": world.person(world.head),
        "coach": world.person(world.coach),
    }

    def ids(value: Any) -> Any:  # people named by login become their ids
        if isinstance(value, list):
            return [ids(v) for v in value]
        return str(people[value].pk) if value in people else value

    change = {key: ids(value) for key, value in change.items()}
    url = f"{BASE}/meetings/{meeting.pk}/commitments"
    with time_machine.travel(AFTER_THE_MEETING):
        response = send(api(world.head), "post", url, _commitment(people["head"], **change))
    assert response.status_code == 422, response.content
    assert field in response.json()["detail"]
    assert not Action.objects.exists()


@time_machine.travel(AFTER_THE_MEETING + datetime.timedelta(days=30))
def test_a_commitment_on_the_agenda_is_reviewed_at_the_next_meeting(scene) -> None:
    url = f"{BASE}/meetings/{scene.following.pk}/reviews"
    client = api(scene.world.coach)
    response = send(
        client,
        "post",
        url,
        {"action": str(scene.action.pk), "status": "in_progress", "note": "3 of 6"},
    )
    assert response.status_code == 200, response.content
    assert response.json()["commitment"]["status"] == "in_progress"
    missing = send(client, "post", url, {"action": str(scene.action.pk), "status": "done"})
    assert missing.status_code == 422
    assert missing.json()["detail"] == {"evidence": ["Say what shows it is done."]}
    done = send(
        client,
        "post",
        url,
        {"action": str(scene.action.pk), "status": "done", "evidence": "Photos of 6 corners"},
    )
    assert done.json()["status"] == "done"
    shown = client.get(f"{BASE}/meetings/{scene.following.pk}").json()
    (item,) = [i for i in shown["agenda"] if i["commitment"]]
    assert item["review"] == {"status": "done", "note": ""}
    assert Action.objects.get().completed_on == TODAY + datetime.timedelta(days=30)


@time_machine.travel(AFTER_THE_MEETING)
def test_a_commitment_is_not_reviewed_where_it_is_not_on_the_agenda(scene) -> None:
    url = f"{BASE}/meetings/{scene.meeting.pk}/reviews"  # made there, so not on its agenda
    response = send(
        api(scene.world.coach), "post", url, {"action": str(scene.action.pk), "status": "done"}
    )
    assert response.status_code == 422
    assert response.json()["detail"] == {"action": ["This commitment is not on the agenda."]}


# --- actions -------------------------------------------------------------------------------


def test_my_actions_are_listed_and_filtered_by_status(scene, django_assert_max_num_queries) -> None:
    client = api(scene.world.head)
    with django_assert_max_num_queries(6):
        mine = client.get(f"{BASE}/actions").json()
    (action,) = mine["items"]
    assert action["text"] == "Start a reading corner in every class"
    assert action["network_id"] == str(scene.nets.cop.pk)
    assert action["made_in_id"] == str(scene.meeting.pk)
    assert client.get(f"{BASE}/actions?status=done").json()["count"] == 0
    assert client.get(f"{BASE}/actions?status=open").json()["count"] == 1
    assert client.get(f"{BASE}/actions?status=lost").status_code == 422
    assert api(scene.world.coach).get(f"{BASE}/actions").json()["count"] == 0  # not the owner


def test_an_action_shows_its_witnesses_and_reviews(scene) -> None:
    shown = api(scene.world.crc).get(f"{BASE}/actions/{scene.action.pk}").json()
    assert [(w["name"], w["meeting_id"]) for w in shown["witnesses"]] == [
        ("Coach", str(scene.meeting.pk))
    ]
    assert shown["reviews"] == []
    assert shown["may_update"] is False
    assert api(scene.world.head).get(f"{BASE}/actions/{scene.action.pk}").json()["may_update"]


@time_machine.travel(AFTER_THE_MEETING)
def test_the_owner_moves_an_action_on_and_a_stale_version_answers_409(scene) -> None:
    client = api(scene.world.head)
    url = f"{BASE}/actions/{scene.action.pk}"
    version = client.get(url).json()["version"]
    moved = send(client, "patch", url, {"status": "in_progress", "version": version})
    assert moved.status_code == 200, moved.content
    assert (moved.json()["status"], moved.json()["version"]) == ("in_progress", version + 1)
    stale = send(client, "patch", url, {"status": "dropped", "version": version})
    assert stale.status_code == 409
    assert Action.objects.get().status == Action.Status.IN_PROGRESS
    noted = send(client, "patch", url, {"achieved": "4 of 6"})  # status stays
    assert (noted.json()["status"], noted.json()["achieved"]) == ("in_progress", "4 of 6")


@time_machine.travel(AFTER_THE_MEETING)
def test_done_needs_evidence(scene) -> None:
    url = f"{BASE}/actions/{scene.action.pk}"
    response = send(api(scene.world.head), "patch", url, {"status": "done"})
    assert response.status_code == 422
    assert response.json()["detail"] == {"evidence": ["Say what shows it is done."]}
    assert Action.objects.get().status == Action.Status.OPEN


@pytest.mark.parametrize("login, status", [("coach", 200), ("crc", 403), ("teacher", 403)])
@time_machine.travel(AFTER_THE_MEETING)
def test_only_the_owner_or_who_runs_the_network_moves_an_action_on(scene, login, status) -> None:
    url = f"{BASE}/actions/{scene.action.pk}"
    response = send(api(getattr(scene.world, login)), "patch", url, {"status": "in_progress"})
    assert response.status_code == status
    expected = Action.Status.IN_PROGRESS if status == 200 else Action.Status.OPEN
    assert Action.objects.get().status == expected


# --- good practice ---------------------------------------------------------------------------


def test_the_library_is_searched_by_words_tag_language_and_network(
    scene, django_assert_max_num_queries
) -> None:
    client = api(scene.world.head)
    with django_assert_max_num_queries(6):
        everything = client.get(f"{BASE}/practices").json()
    assert {p["title"] for p in everything["items"]} == {
        "Reading corners in every class",
        "Number talks before lunch",  # from cluster B: a practice travels in the state
    }

    def titles(**params: str) -> list[str]:
        return [p["title"] for p in client.get(f"{BASE}/practices", params).json()["items"]]

    assert titles(q="reading corner") == ["Reading corners in every class"]
    assert titles(q="reading -corner") == []
    assert titles(tag="Maths") == ["Number talks before lunch"]
    assert titles(language="mr") == ["Number talks before lunch"]
    assert titles(network=str(scene.nets.cop.pk)) == ["Reading corners in every class"]
    assert titles(q="\x00reading") == ["Reading corners in every class"]
    assert client.get(f"{BASE}/practices", {"language": "xx"}).status_code == 422
    assert client.get(f"{BASE}/practices", {"network": str(scene.nets.other.pk)}).status_code == 404


@time_machine.travel(AFTER_THE_MEETING)
def test_a_school_says_it_tried_a_practice(scene) -> None:
    world = scene.world
    client = api(world.head)
    url = f"{BASE}/practices/{scene.maths.pk}/tried"
    body = {"school": str(world.school_a1.pk), "outcome": "partly", "tried_on": "2026-03-01"}
    response = send(client, "post", url, body)
    assert response.status_code == 200, response.content
    shown = response.json()
    assert [(t["school"]["code"], t["outcome"]) for t in shown["trials"]] == [("A1", "partly")]
    assert (shown["tried"], shown["worked"]) == (1, 0)
    again = send(client, "post", url, {**body, "outcome": "worked"}).json()
    assert (again["tried"], again["worked"]) == (1, 1)
    assert PracticeTrial.objects.count() == 1


@pytest.mark.parametrize(
    "change, field",
    [
        ({"tried_on": "2026-12-01"}, "tried_on"),
        ({"school": "b1"}, "school"),
    ],
)
@time_machine.travel(AFTER_THE_MEETING)
def test_a_bad_trial_answers_422_by_field(scene, change, field) -> None:
    if change.get("school") == "b1":
        change = {"school": str(scene.world.school_b1.pk)}
    body = {"school": str(scene.world.school_a1.pk), "outcome": "worked", **change}
    url = f"{BASE}/practices/{scene.maths.pk}/tried"
    response = send(api(scene.world.head), "post", url, body)
    assert response.status_code == 422
    assert field in response.json()["detail"]
    assert not PracticeTrial.objects.exists()


@pytest.mark.parametrize("login, practice", [("coach", "maths"), ("head", "reading")])
@time_machine.travel(AFTER_THE_MEETING)
def test_only_the_staff_of_another_school_say_they_tried_it(scene, login, practice) -> None:
    """The coach has no school of their own; the head's only school is where it comes from."""
    url = f"{BASE}/practices/{getattr(scene, practice).pk}/tried"
    body = {"school": str(scene.world.school_a1.pk), "outcome": "worked"}
    assert send(api(getattr(scene.world, login)), "post", url, body).status_code == 403
    assert not PracticeTrial.objects.exists()


def test_a_practice_shows_what_was_done_and_where_it_was_recommended(scene) -> None:
    practice_services.practice_recommend(
        practice=scene.maths,
        network=scene.nets.cop,
        note="For our March focus",
        by=scene.world.coach,
    )
    head = api(scene.world.head).get(f"{BASE}/practices/{scene.maths.pk}").json()
    assert head["what_was_done"].startswith("Ten minutes")
    assert head["shared_from"]["code"] == "B1S"
    assert [r["network"]["name"] for r in head["recommendations"]] == ["Khed heads' CoP"]
    assert head["may_edit"] is False
    assert api(scene.world.outsider).get(f"{BASE}/practices/{scene.maths.pk}").json()["may_edit"]


# --- the schema ------------------------------------------------------------------------------


def test_the_openapi_lists_the_network_endpoints_and_their_answers(db, client) -> None:
    paths = client.get(f"{BASE}/openapi.json").json()["paths"]
    expected = {
        "/networks": {"get"},
        "/networks/{network_id}": {"get"},
        "/networks/{network_id}/meetings": {"get", "post"},
        "/meetings/{meeting_id}": {"get"},
        "/meetings/{meeting_id}/attendance": {"put"},
        "/meetings/{meeting_id}/minutes": {"put"},
        "/meetings/{meeting_id}/commitments": {"post"},
        "/meetings/{meeting_id}/reviews": {"post"},
        "/actions": {"get"},
        "/actions/{action_id}": {"get", "patch"},
        "/practices": {"get"},
        "/practices/{practice_id}": {"get"},
        "/practices/{practice_id}/tried": {"post"},
    }
    for path, methods in expected.items():
        operations = paths[f"{BASE}{path}"]
        assert set(operations) == methods, path
        for method in methods:
            answers = set(operations[method]["responses"])
            assert {"401", "403", "404", "422"} <= answers, (path, method)
            assert operations[method]["tags"] == ["networks"]
    assert "409" in paths[f"{BASE}/meetings/{{meeting_id}}/minutes"]["put"]["responses"]
    assert "409" in paths[f"{BASE}/actions/{{action_id}}"]["patch"]["responses"]


# --- the contract on real records ------------------------------------------------------------
# test_api_fuzz.py checks every operation with ids that exist nowhere, so these answer 404
# before any body reaches a service. Here the ids in the path (and in the body) are the CoP's,
# and the caller may do everything, so arbitrary texts, dates and versions reach the services.

networks_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", application).include(
    tag="networks"
)


@pytest.fixture
def wsgi_keeps_the_test_connection():  # type: ignore[no-untyped-def]
    """As in test_api_fuzz.py: calling the WSGI app directly would close the test's
    connection (and its transaction) on PostgreSQL."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def everything_allowed(scene) -> str:
    """A token of the head of A1 made co-facilitator: runs the CoP, takes part, owns its
    commitment, and works at a school that may try the outsider's practice."""
    world = scene.world
    member_add(
        network=scene.nets.cop,
        person=world.person(world.head),
        role="co_facilitator",
        school=world.school_a1,
        by=None,
    )
    return token_issue(user=world.head)


@networks_schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.django_db(transaction=False)
def test_the_network_endpoints_keep_their_contract_on_real_records(
    case, scene, everything_allowed, wsgi_keeps_the_test_connection
) -> None:
    world = scene.world
    ids = {
        "network_id": scene.nets.cop.pk,
        "meeting_id": scene.following.pk,
        "action_id": scene.action.pk,
        "practice_id": scene.maths.pk,
    }
    if case.path_parameters:
        case.path_parameters = {name: str(ids[name]) for name in case.path_parameters}
    if isinstance(case.body, dict):
        refs = {
            "action": scene.action.pk,
            "owner": world.person(world.head).pk,
            "school": world.school_a1.pk,
        }
        case.body = {key: str(refs[key]) if key in refs else v for key, v in case.body.items()}
    # Unknown query parameters are ignored (as in test_api_fuzz.py); a schema-valid body may
    # still name people or records that must exist, refused by field with 422 (tested above).
    excluded = [negative_data_rejection, positive_data_acceptance]
    case.call_and_validate(
        headers={"Authorization": f"Bearer {everything_allowed}"}, excluded_checks=excluded
    )
