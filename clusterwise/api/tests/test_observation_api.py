"""The offline sync door and the observation reads: idempotent upserts, stored conflicts,
per-field errors, scope."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from clusterwise.api.services import token_issue
from clusterwise.observation.models import Feedback, FeedbackAction, Observation, SyncConflict

pytestmark = pytest.mark.django_db


def api_client(user: Any) -> Client:
    return Client(headers={"Authorization": f"Bearer {token_issue(user=user)}"})


def put(client: Client, payload: dict[str, Any]) -> Any:
    return client.put(
        f"/api/v1/sync/observations/{payload['id']}",
        data=json.dumps(payload),
        content_type="application/json",
    )


def test_a_new_observation_is_created_once_and_a_replay_changes_nothing(world, observation_world):
    api = api_client(world.crc)
    payload = observation_world.payload(world)

    first = put(api, payload)
    assert first.status_code == 201, first.content
    assert first.json()["result"] == "created"
    history = Observation.history.count()

    again = put(api, payload)
    assert again.status_code == 200
    assert again.json()["result"] == "replayed"
    assert Observation.objects.count() == 1
    assert Observation.history.count() == history  # a replay writes nothing
    observation = Observation.objects.get()
    assert observation.status == "submitted" and observation.scores.count() == 4
    assert observation.feedback.actions.count() == 1


def test_a_different_payload_under_the_same_id_is_stored_as_a_conflict_not_applied(
    world, observation_world
):
    api = api_client(world.crc)
    payload = observation_world.payload(world)
    put(api, payload)

    changed = dict(payload, notes="Something else entirely")
    response = put(api, changed)
    assert response.status_code == 409
    assert "already submitted" in response.json()["detail"]
    assert Observation.objects.get().notes == payload["notes"]
    conflict = SyncConflict.objects.get()
    assert conflict.payload["notes"] == "Something else entirely"
    # Sending the refused payload again is the same conflict, not a second one.
    assert put(api, changed).status_code == 409
    assert SyncConflict.objects.count() == 1


def test_a_newer_revision_of_a_draft_replaces_it_and_an_older_one_is_a_conflict(
    world, observation_world
):
    api = api_client(world.crc)
    draft = observation_world.payload(world, status="draft", feedback=None, revision=1)
    assert put(api, draft).status_code == 201
    final = observation_world.payload(world, id=draft["id"], revision=2)
    response = put(api, final)
    assert response.status_code == 200 and response.json()["result"] == "updated"
    assert Observation.objects.get().status == "submitted"

    late = put(api, dict(draft, notes="typed on the bus"))  # revision 1 arriving late
    assert late.status_code == 409
    assert Observation.objects.get().status == "submitted"


def test_an_incomplete_submission_answers_per_field_errors_and_stores_nothing(
    world, observation_world
):
    api = api_client(world.crc)
    payload = observation_world.payload(world)
    payload["scores"] = payload["scores"][:1]
    payload["feedback"]["next_steps"] = ["one", "two", "three"]
    payload["snapshots"] = [{"minute": 7, "learning_activity": True, "on_task": "most"}]

    response = put(api, payload)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert "scores.culture.2" in detail
    assert "feedback.next_steps" in detail
    assert "snapshots.0.minute" in detail
    assert Observation.objects.count() == 0


def test_malformed_fields_answer_422_naming_the_field(world, observation_world):
    api = api_client(world.crc)
    payload = observation_world.payload(world)
    payload["scores"][0]["score"] = 9
    payload["observed_on"] = "yesterday"
    response = put(api, payload)
    assert response.status_code == 422
    text = json.dumps(response.json())
    assert "score" in text and "observed_on" in text


def test_a_draft_may_be_partial(world, observation_world):
    api = api_client(world.crc)
    payload = observation_world.payload(world, status="draft", scores=[], snapshots=[])
    payload["feedback"] = {"strengths": "half written"}
    assert put(api, payload).status_code == 201
    assert Observation.objects.get().status == "draft"


def test_the_other_cluster_s_school_and_teacher_are_refused(world, observation_world):
    api = api_client(world.crc)
    payload = observation_world.payload(
        world, school=str(world.school_b1.pk), teacher=str(observation_world.teacher_b.pk)
    )
    response = put(api, payload)
    assert response.status_code == 422
    assert "school" in response.json()["detail"]
    assert Observation.objects.count() == 0


def test_syncing_requires_an_observer_role(world, observation_world):
    response = put(api_client(world.teacher), observation_world.payload(world))
    assert response.status_code == 403
    assert put(Client(), observation_world.payload(world)).status_code == 401


def test_the_browser_session_must_send_the_csrf_token(world, observation_world):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.crc)
    assert put(browser, observation_world.payload(world)).status_code == 403


def test_the_next_observation_follows_up_the_agreed_actions(world, observation_world):
    api = api_client(world.crc)
    first = observation_world.payload(world)
    put(api, first)
    action = FeedbackAction.objects.get()
    second = observation_world.payload(
        world, followups=[{"action": str(action.pk), "status": "done", "comment": "Seen"}]
    )
    assert put(api, second).status_code == 201
    action.refresh_from_db()
    assert action.status == "done"
    assert str(action.followed_up_in_id) == second["id"]
    assert str(Observation.objects.get(pk=second["id"]).previous_id) == first["id"]


def test_a_batch_answers_each_record_as_a_put_would(world, observation_world):
    api = api_client(world.crc)
    good = observation_world.payload(world)
    bad = observation_world.payload(world, scores=[])
    response = api.post(
        "/api/v1/sync/observations",
        data=json.dumps({"observations": [good, bad, good]}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert [r["status"] for r in response.json()] == [201, 422, 200]
    assert Observation.objects.count() == 1


def test_reads_are_scoped(world, observation_world):
    put(api_client(world.crc), observation_world.payload(world))
    observation = Observation.objects.get()
    for user, expected in (
        (world.crc, 200),
        (world.coach, 200),
        (world.head, 200),
        (world.teacher, 200),
        (world.outsider, 404),
    ):
        response = api_client(user).get(f"/api/v1/observations/{observation.pk}")
        assert response.status_code == expected, user
    assert api_client(world.outsider).get("/api/v1/observations").json()["count"] == 0
    assert Feedback.objects.count() == 1


def test_the_same_content_under_a_higher_revision_is_a_replay(world, observation_world):
    api = api_client(world.crc)
    payload = observation_world.payload(world)
    put(api, payload)
    again = put(api, dict(payload, revision=3))  # saved again on the phone, nothing changed
    assert again.status_code == 200 and again.json()["result"] == "replayed"
    assert SyncConflict.objects.count() == 0
