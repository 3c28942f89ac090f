"""The programme's API: each endpoint works, needs a token and the role, and hides what
lies outside the caller's part of the tree."""

from __future__ import annotations

import datetime
import json

import pytest
from django.test import Client

from clusterwise.api.services import token_issue
from clusterwise.org.models import Role
from clusterwise.org.services import person_create
from clusterwise.programme.services import member_add
from clusterwise.skills.models import Assessment, Rating
from clusterwise.skills.services import assessment_record, framework_revise

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


@pytest.fixture
def crowd(world, rated):
    """Ten rated CRCs, so a query per row would push a list past its bound."""
    for n in range(8):
        person = person_create(
            name=f"Extra {n}",
            role=Role.CRC,
            org_unit=world.cluster_a,
            start_date=datetime.date(2024, 6, 1),
            by=None,
        )
        member = member_add(
            cohort=rated.cohort,
            person=person,
            role="crc",
            supported_by=rated.coach,
            joined_on=datetime.date(2024, 7, 1),
            by=None,
        )
        assessment_record(
            member=member,
            round="baseline",
            kind="coach",
            assessor=world.person(world.coach),
            assessed_on=datetime.date(2024, 8, 1),
            levels={s.pk: 1 + n % 4 for s in rated.skills},
            by=None,
        )
    return rated


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


def test_draft_frameworks_are_listed_for_state_admins_only(world, programme) -> None:
    draft = framework_revise(framework=programme.framework, by=world.state_officer)
    listed = api(world.state_officer).get(f"{BASE}/frameworks").json()
    assert [(f["version"], f["status"]) for f in listed] == [(2, "draft"), (1, "published")]
    assert [f["version"] for f in api(world.coach).get(f"{BASE}/frameworks").json()] == [1]
    assert api(world.coach).get(f"{BASE}/frameworks/{draft.pk}").status_code == 404
    assert api(world.state_officer).get(f"{BASE}/frameworks/{draft.pk}").status_code == 200


def test_frameworks_are_listed_and_read_in_a_bounded_number_of_queries(
    world, programme, django_assert_max_num_queries
) -> None:
    client = api(world.crc)
    with django_assert_max_num_queries(6):
        assert client.get(f"{BASE}/frameworks").status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(f"{BASE}/frameworks/{programme.framework.pk}").status_code == 200


def _endpoints(programme) -> list[str]:
    cohort = f"{BASE}/cohorts/{programme.cohort.pk}"
    return [
        f"{BASE}/cohorts",
        cohort,
        f"{cohort}/members",
        f"{cohort}/assessments",
        f"{cohort}/skill-matrix",
    ]


def test_every_programme_endpoint_needs_a_token(world, programme) -> None:
    urls = [
        *_endpoints(programme),
        f"{BASE}/frameworks",
        f"{BASE}/frameworks/{programme.framework.pk}",
    ]
    bad = Client(headers={"Authorization": "Bearer not-a-token"})
    for url in urls:
        assert Client().get(url).status_code == 401, url
        assert bad.get(url).status_code == 401, url
    url = f"{BASE}/cohorts/{programme.cohort.pk}/assessments"
    assert post(Client(), url, body(programme)).status_code == 401
    assert not Assessment.objects.exists()


def test_every_cohort_endpoint_needs_the_programme_role(world, programme) -> None:
    for url in _endpoints(programme):
        response = api(world.teacher).get(url)
        assert response.status_code == 403, url
        assert response.json() == {"detail": "You may not do this."}
    url = f"{BASE}/cohorts/{programme.cohort.pk}/assessments"
    assert post(api(world.teacher), url, body(programme)).status_code == 403
    assert not Assessment.objects.exists()


def test_cohorts_are_scoped(world, programme) -> None:
    assert [c["name"] for c in api(world.crc).get(f"{BASE}/cohorts").json()] == ["Pilot 2024"]
    detail = api(world.crc).get(f"{BASE}/cohorts/{programme.cohort.pk}").json()
    assert (detail["crcs"], detail["coaches"]) == (1, 0)
    assert (
        api(world.district_officer).get(f"{BASE}/cohorts/{programme.cohort.pk}").json()["crcs"] == 2
    )
    assert api(world.crc).get(f"{BASE}/cohorts/not-a-uuid").status_code == 422


def test_cohorts_are_listed_in_a_bounded_number_of_queries(
    world, crowd, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(8):
        assert len(api(world.coach).get(f"{BASE}/cohorts").json()) == 1


def test_members_are_listed_in_a_bounded_number_of_queries(
    world, crowd, django_assert_max_num_queries
) -> None:
    with django_assert_max_num_queries(8):
        items = (
            api(world.state_officer)
            .get(f"{BASE}/cohorts/{crowd.cohort.pk}/members")
            .json()["items"]
        )
    assert len(items) == 11
    assert {m["role"] for m in items} == {"coach", "crc"}
    assert {m["org_unit_code"] for m in items if m["role"] == "crc"} == {
        world.cluster_a.code,
        world.cluster_b.code,
    }


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


def test_assessments_are_listed_in_a_bounded_number_of_queries(
    world, crowd, django_assert_max_num_queries
) -> None:
    url = f"{BASE}/cohorts/{crowd.cohort.pk}/assessments"
    with django_assert_max_num_queries(9):
        items = api(world.coach).get(url).json()["items"]
    assert len(items) == 10
    assert all(len(i["ratings"]) == len(crowd.skills) for i in items)


def test_assessments_are_listed_for_visible_crcs_only(world, rated) -> None:
    url = f"{BASE}/cohorts/{rated.cohort.pk}/assessments"
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
    saved = first.json()
    assert saved["member_id"] == str(programme.crc.pk)
    assert saved["assessor_id"] == str(world.person(world.coach).pk)
    assert [r["skill"] for r in saved["ratings"]] == [s.code for s in programme.skills]
    assert saved["ratings"][0]["evidence"] == "Read the results with the headteacher."
    history = Assessment.history.count(), Rating.history.count()
    again = post(client, url, body(programme))
    assert again.status_code == 200
    assert again.json() == saved
    resent = post(client, url, body(programme, version=saved["version"]))
    assert resent.json() == saved
    assert (Assessment.objects.count(), Rating.objects.count()) == (1, len(programme.skills))
    assert (Assessment.history.count(), Rating.history.count()) == history


def test_a_correction_quoting_the_version_replaces_the_ratings(world, programme) -> None:
    client = api(world.coach)
    url = f"{BASE}/cohorts/{programme.cohort.pk}/assessments"
    version = post(client, url, body(programme)).json()["version"]
    levels = {s.code: 4 for s in programme.skills}
    corrected = post(client, url, body(programme, levels=levels, evidence={}, version=version))
    assert corrected.status_code == 200
    assert corrected.json()["version"] == version + 1
    assert {r["level"] for r in corrected.json()["ratings"]} == {4}
    assert {r["evidence"] for r in corrected.json()["ratings"]} == {""}


def test_a_stale_correction_answers_409_and_keeps_the_newer_one(world, programme) -> None:
    client = api(world.coach)
    url = f"{BASE}/cohorts/{programme.cohort.pk}/assessments"
    version = post(client, url, body(programme)).json()["version"]
    fours = {s.code: 4 for s in programme.skills}
    assert post(client, url, body(programme, levels=fours, version=version)).status_code == 200
    ones = {s.code: 1 for s in programme.skills}
    stale = post(client, url, body(programme, levels=ones, version=version))
    assert stale.status_code == 409
    assert "Reload" in stale.json()["detail"][0]
    assert set(Rating.objects.values_list("level", flat=True)) == {4}


def test_a_crc_cannot_post_a_coach_assessment_but_can_assess_themself(world, programme) -> None:
    url = f"{BASE}/cohorts/{programme.cohort.pk}/assessments"
    assert post(api(world.crc), url, body(programme)).status_code == 403
    own = post(api(world.crc), url, body(programme, kind="self"))
    assert own.status_code == 200
    assert own.json()["kind"] == "self"


def test_the_outsider_cannot_assess_crc_a(world, programme) -> None:
    url = f"{BASE}/cohorts/{programme.cohort.pk}/assessments"
    assert post(api(world.outsider), url, body(programme, kind="self")).status_code == 404
    assert post(api(world.outsider), url, body(programme)).status_code == 404
    assert not Assessment.objects.exists()


def test_the_outsider_cannot_read_crc_a_by_another_door(world, rated) -> None:
    outsider = api(world.outsider)
    cohort = f"{BASE}/cohorts/{rated.cohort.pk}"
    assert outsider.get(f"{cohort}/assessments", {"kind": "coach"}).json()["count"] == 1
    members = outsider.get(f"{cohort}/members").json()["items"]
    assert str(rated.crc.pk) not in {m["id"] for m in members}
    assert outsider.get(cohort).json()["crcs"] == 1


def test_a_coach_cannot_assess_a_member_that_is_not_in_the_cohort(world, programme) -> None:
    url = f"{BASE}/cohorts/{programme.cohort.pk}/assessments"
    missing = post(api(world.coach), url, body(programme, member_id=str(programme.framework.pk)))
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not found."}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"levels": "five"}, None),
        ("level5", "skill_"),
        ("missing", "skill_"),
        ("unknown", "levels"),
        ("unknown evidence", "evidence"),
        ({"round": "midway"}, None),
        ({"kind": "peer"}, None),
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
    elif change == "unknown evidence":
        data["evidence"]["nope.2"] = "Some text"
    else:
        data.update(change)
    response = post(api(world.coach), f"{BASE}/cohorts/{programme.cohort.pk}/assessments", data)
    assert response.status_code == 422, response.content
    if field:
        detail = response.json()["detail"]
        assert any(key.startswith(field) for key in detail)
        if field in ("levels", "evidence"):
            assert detail[field] == [
                f"Unknown skill code: {'nope.1' if field == 'levels' else 'nope.2'}"
            ]
    assert not Assessment.objects.exists()
    assert not Rating.objects.exists()


def test_a_bad_correction_answers_422_and_keeps_what_was_there(world, programme) -> None:
    client = api(world.coach)
    url = f"{BASE}/cohorts/{programme.cohort.pk}/assessments"
    version = post(client, url, body(programme)).json()["version"]
    levels = {s.code: 5 for s in programme.skills}
    assert post(client, url, body(programme, levels=levels, version=version)).status_code == 422
    assert set(Rating.objects.values_list("level", flat=True)) == {3}
    assert Assessment.objects.get().version == version


def test_the_skill_matrix_hides_the_other_cluster(world, rated) -> None:
    url = f"{BASE}/cohorts/{rated.cohort.pk}/skill-matrix"
    state = api(world.state_officer).get(url, {"round": "baseline"}).json()
    assert {r["name"] for r in state["rows"]} == {"Crc A", "Crc B"}
    assert state["skills"][0]["distribution"] == {"1": 0, "2": 2, "3": 0, "4": 0}
    mine = api(world.crc).get(url, {"round": "baseline"}).json()
    assert [r["name"] for r in mine["rows"]] == ["Crc A"]
    assert set(mine["rows"][0]["levels"].values()) == {2}
    outsider = api(world.outsider).get(url, {"round": "baseline"}).json()
    assert [r["member_id"] for r in outsider["rows"]] == [str(rated.outsider.pk)]
    assert outsider["skills"][0]["distribution"] == {"1": 0, "2": 1, "3": 0, "4": 0}
    assert api(world.outsider).get(url, {"within": str(world.cluster_a.pk)}).status_code == 404
    assert api(world.crc).get(url, {"within": str(world.cluster_b.pk)}).status_code == 404
    within = (
        api(world.state_officer)
        .get(url, {"round": "baseline", "within": str(world.cluster_a.pk)})
        .json()
    )
    assert [r["name"] for r in within["rows"]] == ["Crc A"]
    assert api(world.state_officer).get(url, {"theme": "nope"}).status_code == 404


def test_the_skill_matrix_shows_unrated_crcs_as_null(world, programme) -> None:
    assessment_record(
        member=programme.crc,
        round="midline",
        kind="coach",
        assessor=world.person(world.coach),
        assessed_on=datetime.date(2024, 12, 1),
        levels={s.pk: 1 + i % 4 for i, s in enumerate(programme.skills)},
        by=None,
    )
    url = f"{BASE}/cohorts/{programme.cohort.pk}/skill-matrix"
    matrix = api(world.coach).get(url, {"round": "midline"}).json()
    assert (matrix["crcs"], matrix["rated"], matrix["pages"]) == (2, 1, 1)
    rows = {r["name"]: r["levels"] for r in matrix["rows"]}
    assert rows["Crc A"] == {s.code: 1 + i % 4 for i, s in enumerate(programme.skills)}
    assert set(rows["Crc B"].values()) == {None}
    theme = programme.skills[0].theme.code
    one_theme = api(world.coach).get(url, {"round": "midline", "theme": theme}).json()
    assert {s["theme"] for s in one_theme["skills"]} == {theme}
    assert set(one_theme["rows"][0]["levels"]) == {s["code"] for s in one_theme["skills"]}
    assert api(world.coach).get(url, {"page": 2}).status_code == 404


def test_the_skill_matrix_is_drawn_in_a_bounded_number_of_queries(
    world, crowd, django_assert_max_num_queries
) -> None:
    url = f"{BASE}/cohorts/{crowd.cohort.pk}/skill-matrix"
    with django_assert_max_num_queries(12):
        matrix = api(world.state_officer).get(url).json()
    assert (len(matrix["rows"]), matrix["rated"]) == (10, 10)
    assert sum(matrix["skills"][0]["distribution"].values()) == 10
