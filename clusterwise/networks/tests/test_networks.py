"""Who sees which network, and forming one."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.http import Http404

from clusterwise.networks.models import Network, NetworkMember
from clusterwise.networks.selectors import networks as sel
from clusterwise.networks.services.networks import network_create, school_remove


def test_headteachers_of_the_schools_join_as_members(nets) -> None:  # type: ignore[no-untyped-def]
    members = list(nets.cop.members.values_list("person__user__username", "role"))
    assert members == [("head_a1", NetworkMember.Role.HEADTEACHER)]


@pytest.mark.parametrize(
    ("login", "sees"),
    [
        ("state_officer", {"Khed heads' CoP", "Wada PLC"}),
        ("district_officer", {"Khed heads' CoP", "Wada PLC"}),
        ("coach", {"Khed heads' CoP", "Wada PLC"}),  # block B1 holds both
        ("crc", {"Khed heads' CoP"}),  # cluster A holds A1 and A2
        ("head", {"Khed heads' CoP"}),
        ("teacher", {"Khed heads' CoP"}),  # school A1 is a member
        ("outsider", {"Wada PLC"}),
    ],
)
def test_each_login_sees_the_networks_of_its_area_or_its_own(nets, login, sees) -> None:  # type: ignore[no-untyped-def]
    user = getattr(nets.world, login)
    assert {n.name for n in sel.networks_for(user)} == sees


def test_a_network_outside_is_not_found(nets) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(Http404):
        sel.network_get(nets.world.crc, nets.other.pk)
    with pytest.raises(Http404):
        sel.network_get(nets.world.crc, "not-a-uuid")


def test_a_member_outside_the_owner_area_still_sees_their_network(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    from clusterwise.networks.services.networks import member_add

    member_add(network=nets.other, person=world.person(world.head), role="headteacher", by=None)
    assert "Wada PLC" in {n.name for n in sel.networks_for(world.head)}
    assert sel.takes_part(world.head, nets.other) and not sel.runs(world.head, nets.other)


def test_who_runs_a_network(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    assert sel.runs(world.coach, nets.cop)  # its facilitator
    assert sel.runs(world.district_officer, nets.cop)  # an officer above
    assert not sel.runs(world.head, nets.cop) and sel.takes_part(world.head, nets.cop)
    assert not sel.takes_part(world.teacher, nets.cop)
    assert not sel.runs(world.outsider, nets.cop)


def test_schools_must_lie_in_the_owner_unit(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    with pytest.raises(ValidationError, match="outside"):
        network_create(
            name="x",
            kind=Network.Kind.PLC,
            org_unit=world.cluster_a,
            facilitator=None,
            schools=[world.school_b1],
            by=world.district_officer,
        )
    with pytest.raises(ValidationError, match="not a school"):
        network_create(
            name="x",
            kind=Network.Kind.PLC,
            org_unit=world.block,
            facilitator=None,
            schools=[world.cluster_a],
            by=world.district_officer,
        )


def test_a_school_leaving_takes_its_people_out(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    school_remove(network=nets.cop, school=world.school_a1, by=world.coach)
    assert not sel.members_of(nets.cop).exists()
    assert "Khed heads' CoP" not in {n.name for n in sel.networks_for(world.head)}
    assert nets.cop.members.get().history.count() == 2  # joined, left


def test_health_counts_and_says_what_is_stuck(nets) -> None:  # type: ignore[no-untyped-def]
    (health, *_rest) = [
        h for h in sel.health_of(sel.networks_for(nets.world.coach)) if h.network == nets.cop
    ]
    assert (health.schools, health.members, health.held, health.planned) == (2, 1, 0, 0)
    assert "has never met" in health.stuck and "no meeting planned" in health.stuck


def test_the_coach_sees_the_networks_they_moderate_with_what_is_stuck(
    nets, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = nets.world.client(nets.world.coach)
    with django_assert_max_num_queries(12):
        page = client.get("/networks/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Networks you moderate" in text and "Khed heads&#x27; CoP" in text
    assert "has never met" in text


def test_a_network_page_lists_schools_and_members_and_hides_others(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    page = world.client(world.head).get(f"/networks/{nets.cop.pk}/")
    assert page.status_code == 200 and "ZP School Medankarwadi" in page.content.decode()
    assert world.client(world.head).get(f"/networks/{nets.other.pk}/").status_code == 404


def test_networks_need_a_login(nets) -> None:  # type: ignore[no-untyped-def]
    from django.test import Client

    assert Client().get("/networks/").status_code == 302


def test_the_health_dashboard_counts_per_unit_and_maps_the_schools(
    nets, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    import datetime

    from django.utils import timezone

    from clusterwise.networks.services import meetings as svc

    world = nets.world
    world.school_a1.school.latitude, world.school_a1.school.longitude = 18.7, 73.8
    world.school_a1.school.save()
    when = timezone.now() - datetime.timedelta(days=3)
    meeting = svc.meeting_schedule(
        network=nets.cop, title="m", template="custom", starts_at=when, mode="phone", by=None
    )
    svc.attendance_record(meeting=meeting, present=[world.person(world.head)], by=None)
    svc.minutes_record(meeting=meeting, minutes="ok", version=None, by=None)
    client = world.client(world.district_officer)
    with django_assert_max_num_queries(16):
        page = client.get(f"/networks/health/{world.district.pk}/")
    text = page.content.decode()
    assert page.status_code == 200 and "Khed" in text
    assert "1 / 1" in text and "50%" in text  # held of planned; head present, coach absent
    shapes = client.get(f"/networks/health/{world.district.pk}/map.geojson").json()["features"]
    assert [f["properties"]["code"] for f in shapes] == ["A1"]
    assert world.client(world.crc).get(f"/networks/health/{world.district.pk}/").status_code == 404
    assert client.get("/networks/health/").status_code == 302


def test_an_officer_forms_a_network_by_hand_and_a_bad_code_keeps_the_form(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    client = world.client(world.district_officer)
    data = {
        "name": "Chakan PLC",
        "kind": "plc",
        "org_unit": "CA",
        "facilitator": "crc_a",
        "schools": "A1, ZZ9",
    }
    page = client.post("/networks/new/", data)
    text = page.content.decode()
    assert page.status_code == 200 and "ZZ9" in text and 'value="Chakan PLC"' in text
    page = client.post("/networks/new/", {**data, "schools": "A1, A2"})
    network = Network.objects.get(name="Chakan PLC")
    assert page.status_code == 302 and network.facilitator == world.person(world.crc)
    assert network.schools.count() == 2
    assert world.client(world.crc).get("/networks/new/").status_code == 403


def test_who_runs_a_network_changes_its_members_and_schools(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    coach = world.client(world.coach)
    url = f"/networks/{nets.cop.pk}/"
    assert (
        coach.post(url, {"form": "member", "person": "teacher_a1", "role": "teacher"}).status_code
        == 302
    )
    assert nets.cop.members.filter(person__user=world.teacher).exists()
    link = nets.cop.schools.get(school=world.school_a2)
    assert (
        coach.post(url, {"form": "school_remove", "school": world.school_a2.pk}).status_code == 302
    )
    link.refresh_from_db()
    assert link.left_on is not None
    page = coach.post(url, {"form": "member", "person": "nobody", "role": "teacher"})
    assert page.status_code == 200 and "Nobody in your area" in page.content.decode()
    assert world.client(world.head).post(url, {"form": "schools", "codes": "A2"}).status_code == 403


def test_an_officer_sets_the_facilitator_of_a_network(nets) -> None:  # type: ignore[no-untyped-def]
    world = nets.world
    client = world.client(world.district_officer)
    url = f"/networks/{nets.cop.pk}/"
    assert client.post(url, {"form": "facilitator", "facilitator": "crc_a"}).status_code == 302
    nets.cop.refresh_from_db()
    assert nets.cop.facilitator == world.person(world.crc)
    page = client.post(url, {"form": "facilitator", "facilitator": "crc_nobody"})
    assert page.status_code == 200 and "Nobody in your area" in page.content.decode()
