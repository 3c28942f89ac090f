"""The API contract: tokens, scoped lists and records, JSON errors, never a 500."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from clusterwise.org.models import OrgUnit


def token_for(client: Client, username: str, password: str | None = None) -> str:
    response = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": username, "password": password or f"pw-{username}"}),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    return response.json()["token"]


@pytest.fixture
def crc_api(world, client) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_for(client, 'crc_a')}"})


def test_a_token_is_issued_for_a_right_password_only(world, client) -> None:
    assert token_for(client, "crc_a")
    response = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": "crc_a", "password": "wrong"}),
        content_type="application/json",
    )
    assert response.status_code == 401 and "detail" in response.json()


def test_a_token_needs_a_json_body(world, client) -> None:
    response = client.post("/api/v1/auth/token", "username=x", content_type="text/plain")
    assert response.status_code in (400, 422) and "detail" in response.json()


def test_every_endpoint_requires_a_token(world, client) -> None:
    for url in [
        "/api/v1/me",
        "/api/v1/org-units",
        f"/api/v1/org-units/{world.state.pk}",
        "/api/v1/people",
    ]:
        response = client.get(url)
        assert response.status_code == 401, url
        assert response.json()["detail"]
    bad = Client(headers={"Authorization": "Bearer not-a-token"})
    assert bad.get("/api/v1/me").status_code == 401


def test_me_names_roles_and_scope(world, crc_api) -> None:
    body = crc_api.get("/api/v1/me").json()
    assert body["username"] == "crc_a"
    assert body["roles"] == ["crc"]
    assert body["scope"] == [str(world.cluster_a.pk)]
    assert body["assignments"][0]["org_unit_name"] == "Chakan Kendra"


def test_org_units_lists_only_the_scope(world, crc_api) -> None:
    body = crc_api.get("/api/v1/org-units").json()
    assert body["count"] == 3
    assert {u["code"] for u in body["items"]} == {"CA", "A1", "A2"}
    school = next(u for u in body["items"] if u["code"] == "A1")
    assert school["parent_id"] == str(world.cluster_a.pk)


def test_org_units_filter_by_level_and_parent(world, client) -> None:
    api = Client(headers={"Authorization": f"Bearer {token_for(client, 'coach')}"})
    body = api.get("/api/v1/org-units", {"level": "school"}).json()
    assert {u["code"] for u in body["items"]} == {"A1", "A2", "B1S"}
    body = api.get("/api/v1/org-units", {"parent": str(world.cluster_b.pk)}).json()
    assert [u["code"] for u in body["items"]] == ["B1S"]


def test_org_units_paginate(world, client) -> None:
    api = Client(headers={"Authorization": f"Bearer {token_for(client, 'state_officer')}"})
    first = api.get("/api/v1/org-units", {"page_size": 3}).json()
    second = api.get("/api/v1/org-units", {"page_size": 3, "page": 2}).json()
    assert first["count"] == OrgUnit.objects.count() == 8
    assert len(first["items"]) == 3 and len(second["items"]) == 3
    assert not {u["id"] for u in first["items"]} & {u["id"] for u in second["items"]}


def test_a_parent_outside_scope_is_404(world, crc_api) -> None:
    assert crc_api.get("/api/v1/org-units", {"parent": str(world.cluster_b.pk)}).status_code == 404


def test_an_org_unit_outside_scope_is_404_like_a_missing_one(world, crc_api) -> None:
    outside = crc_api.get(f"/api/v1/org-units/{world.school_b1.pk}")
    missing = crc_api.get("/api/v1/org-units/00000000-0000-0000-0000-000000000000")
    assert outside.status_code == missing.status_code == 404
    assert outside.json() == missing.json()


def test_an_org_unit_in_scope_has_its_school_facts(world, crc_api) -> None:
    body = crc_api.get(f"/api/v1/org-units/{world.school_a1.pk}").json()
    assert body["code"] == "A1" and body["school"]["management"] == "local_body"


@pytest.mark.parametrize(
    "query",
    [{"page": "0"}, {"page": "x"}, {"page_size": "100000"}, {"parent": "not-a-uuid"}],
)
def test_invalid_input_is_a_4xx_json_error(world, crc_api, query) -> None:
    response = crc_api.get("/api/v1/org-units", query)
    assert 400 <= response.status_code < 500
    assert "detail" in response.json()


def test_a_malformed_id_is_a_4xx(world, crc_api) -> None:
    response = crc_api.get("/api/v1/org-units/123")
    assert 400 <= response.status_code < 500


def test_people_lists_only_the_scope(world, crc_api) -> None:
    body = crc_api.get("/api/v1/people").json()
    names = {p["name"] for p in body["items"]}
    assert names == {"Crc A", "Head A1", "Teacher A1"}
    assert "Crc B" not in names


def test_people_filter_by_role(world, client) -> None:
    api = Client(headers={"Authorization": f"Bearer {token_for(client, 'district_officer')}"})
    body = api.get("/api/v1/people", {"role": "crc"}).json()
    assert {p["name"] for p in body["items"]} == {"Crc A", "Crc B"}


def test_a_person_outside_scope_is_404(world, crc_api) -> None:
    outsider = world.person(world.outsider)
    assert crc_api.get(f"/api/v1/people/{outsider.pk}").status_code == 404
    inside = world.person(world.teacher)
    assert crc_api.get(f"/api/v1/people/{inside.pk}").json()["name"] == "Teacher A1"


def test_the_openapi_schema_is_published(db, client) -> None:
    schema = client.get("/api/v1/openapi.json").json()
    assert {
        "/api/v1/org-units",
        "/api/v1/org-units/{unit_id}",
        "/api/v1/people",
        "/api/v1/me",
        "/api/v1/auth/token",
    } <= set(schema["paths"])
