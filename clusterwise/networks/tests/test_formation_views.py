"""Proposing networks from coordinates in the app: a run as a job, adjusting, accepting."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from clusterwise.networks.models import FormationRun, Network, TravelTime
from clusterwise.networks.services import formation as svc
from clusterwise.org.models import OrgUnit, School


def place(unit: OrgUnit, lat: float, lon: float) -> None:
    School.objects.filter(org_unit=unit).update(latitude=lat, longitude=lon)


@pytest.fixture
def placed(world):  # type: ignore[no-untyped-def]
    """A1 and A2 a kilometre apart, B1S 30 km away."""
    place(world.school_a1, 18.70, 73.80)
    place(world.school_a2, 18.709, 73.80)
    place(world.school_b1, 18.97, 73.80)
    return world


def start(world, *, by=None, **rules):  # type: ignore[no-untyped-def]
    return svc.formation_start(
        org_unit=world.block,
        kind=Network.Kind.COP,
        rules=svc.rules_from({"min_size": 2, "max_size": 4, **rules}),
        by=by or world.district_officer,
    )


def test_a_run_groups_the_schools_in_reach_and_says_why_others_are_left(placed) -> None:  # type: ignore[no-untyped-def]
    run = svc.formation_run(run=start(placed))
    (group,) = run.groups.all()
    assert {k for k, _m in group.schools} == {str(placed.school_a1.pk), str(placed.school_a2.pk)}
    assert max(m for _k, m in group.schools) < 60
    assert list(run.unplaced.values_list("school__code", "reason")) == [("B1S", "too_few_in_reach")]
    assert run.status == "proposed" and run.quality["groups"] == 1


def test_a_measured_travel_time_splits_two_close_schools(placed) -> None:  # type: ignore[no-untyped-def]
    TravelTime.objects.create(
        school_a=placed.school_a1,
        school_b=placed.school_a2,
        school_path=placed.school_a1.path,
        minutes=200,
        note="river, no bridge",
    )
    run = svc.formation_run(run=start(placed))
    assert not run.groups.exists() and run.unplaced.count() == 3


def test_accepting_makes_networks_with_walking_times_and_headteachers(placed) -> None:  # type: ignore[no-untyped-def]
    run = svc.formation_run(run=start(placed))
    (network,) = svc.formation_accept(run=run, by=placed.district_officer)
    assert network.formed_by == run and network.meeting_school in (
        placed.school_a1,
        placed.school_a2,
    )
    assert network.schools.count() == 2 and network.members.filter(role="headteacher").count() == 1
    assert all(s.walking_minutes is not None for s in network.schools.all())
    with pytest.raises(ValidationError, match="waiting for acceptance"):
        svc.formation_accept(run=run, by=None)


def test_a_school_beyond_the_limit_cannot_be_moved_in(placed) -> None:  # type: ignore[no-untyped-def]
    run = svc.formation_run(run=start(placed))
    group = run.groups.get()
    with pytest.raises(ValidationError, match="beyond the limit"):
        svc.group_move_school(run=run, school=str(placed.school_b1.pk), to=group, by=None)
    place(placed.school_b1, 18.705, 73.805)
    svc.group_move_school(run=run, school=str(placed.school_b1.pk), to=group, by=None)
    assert len(run.groups.get().schools) == 3 and not run.unplaced.exists()


def test_the_pages_run_the_job_and_hide_other_areas(
    placed, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    client = placed.client(placed.district_officer)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(
            "/networks/proposals/",
            {
                "org_unit": "B1",
                "kind": "cop",
                "min_size": 2,
                "max_size": 4,
                "limit_minutes": 60,
                "speed_kmh": 5,
                "detour": "1.3",
                "partition_level": "block",
            },
        )
    run = FormationRun.objects.get()
    assert page.status_code == 302 and run.status == "proposed" and run.job.status == "done"
    shown = client.get(f"/networks/proposals/{run.pk}/").content.decode()
    assert "Group 1" in shown and "too few schools within the walking limit" in shown
    features = client.get(f"/networks/proposals/{run.pk}/map.geojson").json()["features"]
    assert sorted(f["properties"]["number"] for f in features) == [0, 1, 1]
    assert client.post(f"/networks/proposals/{run.pk}/", {"form": "accept"}).status_code == 302
    assert Network.objects.filter(formed_by=run).count() == 1
    assert placed.client(placed.crc).get(f"/networks/proposals/{run.pk}/").status_code == 403
    bad = client.post(
        "/networks/proposals/",
        {
            "org_unit": "B1",
            "kind": "cop",
            "min_size": 6,
            "max_size": 4,
            "limit_minutes": 60,
            "speed_kmh": 5,
            "detour": "1.3",
        },
    )
    assert bad.status_code == 200 and "cannot be smaller" in bad.content.decode()
