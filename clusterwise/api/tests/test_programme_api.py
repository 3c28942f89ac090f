"""The programme's API: each endpoint works, needs a token and the role, and hides what
lies outside the caller's part of the tree."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client

from clusterwise.api.services import token_issue
from clusterwise.skills.models import Assessment
from clusterwise.skills.services import assessment_record

BASE = "/api/v1"


def api(user) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_issue(user=user)}"})


def post(client: Client, url: str, body: dict) -> object:
    return client.post(url, json.dumps(body, default=str), content_type="application/json")


@pytest.fixture
def rated(world, programme):
    for member in (programme.crc, programme.outsider):
        assessment_record(
            member=member,
            round="baseline",
            kind="coach",
            assessor=world.person(world.coach),
            assessed_on=datetime.date(2024, 8, 1),
            levels={s.pk: 2 for s in programme.skills},
            by=None,
        )
    return programme


def body(programme, **changes) -> dict:
    data = {
        "member_id": str(programme.crc.pk),
        "round": "endline",
        "kind": "coach",
        "assessed_on": "2025-01-10",
        "levels": {s.code: 3 for s in programme.skills},
        "evidence": {programme.skills[0].code: "Read the results with the headteacher."},
    }
    data.update(changes)
    return data


def test_frameworks_list_and_detail_in_every_language(world, programme) -> None:
    client = api(world.crc)
    listed = client.get(f"{BASE}/frameworks").json()
    assert [f["key"] for f in listed] == ["test-crc"]
    detail = client.get(f"{BASE}/frameworks/{programme.framework.pk}").json()
    skill = detail["themes"][0]["skills"][0]
    assert skill["code"] == "data.1"
    assert skill["name"]["hi"] == "कौशल 1"
    assert set(skill["descriptors"]) == {"1", "2", "3", "4"}


def test_the_api_needs_a_token_and_the_programme_role(world, programme) -> None:
    assert Client().get(f"{BASE}/cohorts").status_code == 401
    assert api(world.teacher).get(f"{BASE}/cohorts").status_code == 403


def test_cohorts_are_scoped(world, programme) -> None:
    assert [c["name"] for c in api(world.crc).get(f"{BASE}/cohorts").json()] == ["Pilot 2024"]
    detail = api(world.crc).get(f"{BASE}/cohorts/{programme.cohort.pk}").json()
    assert (detail["crcs"], detail["coaches"]) == (1, 0)
    assert (
        api(world.district_officer).get(f"{BASE}/cohorts/{programme.cohort.pk}").json()["crcs"] == 2
    )
    assert api(world.crc).get(f"{BASE}/cohorts/not-a-uuid").status_code == 422


def test_members_hide_the_other_cluster(world, programme) -> None:
    names = {
        m["name"]
        for m in api(world.outsider)
        .get(f"{BASE}/cohorts/{programme.cohort.pk}/members")
        .json()["items"]
    }
    assert names == {"Crc B"}
    coach_view = (
        api(world.coach).get(f"{BASE}/cohorts/{programme.cohort.pk}/members").json()["items"]
    )
    crc = next(m for m in coach_view if m["name"] == "Crc A")
    assert crc["supported_by_id"] == str(programme.coach.pk)


def test_assessments_are_listed_for_visible_crcs_only(
    world, rated, django_assert_max_num_queries
) -> None:
    url = f"{BASE}/cohorts/{rated.cohort.pk}/assessments"
    with django_assert_max_num_queries(12):
        items = api(world.coach).get(url).json()["items"]
    assert len(items) == 2
    assert {r["skill"] for r in items[0]["ratings"]} == {s.code for s in rated.skills}
    outsider_items = api(world.outsider).get(url).json()["items"]
    assert [i["member_id"] for i in outsider_items] == [str(rated.outsider.pk)]
    assert api(world.coach).get(url, {"round": "endline"}).json()["items"] == []


def test_a_coach_posts_an_assessment_and_sending_it_again_changes_nothing(world, programme) -> None:
    client = api(world.coach)
    url = f"{BASE}/cohorts/{programme.cohort.pk}/assessments"
    first = post(client, url, body(programme))
    assert first.status_code == 200, first.content
    again = post(client, url, body(programme, version=first.json()["version"]))
    assert again.status_code == 200
    assert Assessment.objects.count() == 1
    assert {r["level"] for r in again.json()["ratings"]} == {3}


def test_a_stale_correction_answers_409(world, programme) -> None:
    client = api(world.coach)
    url = f"{BASE}/cohorts/{programme.cohort.pk}/assessments"
    version = post(client, url, body(programme)).json()["version"]
    post(client, url, body(programme, version=version))
    assert post(client, url, body(programme, version=version)).status_code == 409


def test_a_crc_cannot_post_a_coach_assessment_but_can_assess_themself(world, programme) -> None:
    url = f"{BASE}/cohorts/{programme.cohort.pk}/assessments"
    assert post(api(world.crc), url, body(programme)).status_code == 403
    own = post(api(world.crc), url, body(programme, kind="self"))
    assert own.status_code == 200
    assert own.json()["kind"] == "self"


def test_the_outsider_cannot_assess_crc_a(world, programme) -> None:
    url = f"{BASE}/cohorts/{programme.cohort.pk}/assessments"
    assert post(api(world.outsider), url, body(programme, kind="self")).status_code == 404


@pytest.mark.parametrize(
    "change, field",
    [
        ({"levels": "five"}, None),
        ("level5", "skill_"),
        ("missing", "skill_"),
        ("unknown", "levels"),
        ({"assessed_on": "2999-01-01"}, "assessed_on"),
    ],
)
def test_bad_assessments_answer_422_and_write_nothing(world, programme, change, field) -> None:
    data = body(programme)
    if change == "level5":
        data["levels"][programme.skills[0].code] = 5
    elif change == "missing":
        del data["levels"][programme.skills[1].code]
    elif change == "unknown":
        data["levels"]["nope.1"] = 2
    else:
        data.update(change)
    response = post(api(world.coach), f"{BASE}/cohorts/{programme.cohort.pk}/assessments", data)
    assert response.status_code == 422, response.content
    if field:
        assert any(key.startswith(field) for key in response.json()["detail"])
    assert not Assessment.objects.exists()


def test_the_skill_matrix_hides_the_other_cluster(world, rated) -> None:
    url = f"{BASE}/cohorts/{rated.cohort.pk}/skill-matrix"
    state = api(world.state_officer).get(url, {"round": "baseline"}).json()
    assert {r["name"] for r in state["rows"]} == {"Crc A", "Crc B"}
    assert state["skills"][0]["distribution"] == {"1": 0, "2": 2, "3": 0, "4": 0}
    mine = api(world.crc).get(url, {"round": "baseline"}).json()
    assert [r["name"] for r in mine["rows"]] == ["Crc A"]
    assert set(mine["rows"][0]["levels"].values()) == {2}
    assert api(world.crc).get(url, {"within": str(world.cluster_b.pk)}).status_code == 404
    within = (
        api(world.state_officer)
        .get(url, {"round": "baseline", "within": str(world.cluster_a.pk)})
        .json()
    )
    assert [r["name"] for r in within["rows"]] == ["Crc A"]
    assert api(world.state_officer).get(url, {"theme": "nope"}).status_code == 404
