"""The offline pieces' pages: the observation form, the outbox, the manifest and the
service worker."""

from __future__ import annotations

import datetime
import json
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from clusterwise.observation import views_observe
from clusterwise.observation.models import Observation
from clusterwise.observation.services import observation_sync, visit_plan_add

pytestmark = pytest.mark.django_db


def form_data(response) -> dict:
    content = response.content.decode()
    start = content.index('<script id="observe-data" type="application/json">')
    start = content.index(">", start) + 1
    return json.loads(content[start : content.index("</script>", start)])


def test_the_form_carries_what_it_needs_to_work_offline(world, observation_world):
    response = world.client(world.crc).get(reverse("observation:observe"))
    assert response.status_code == 200
    content = response.content.decode()
    assert 'id="observation-config"' in content and 'id="observation-texts"' in content
    assert '<link rel="manifest" href="/observation/manifest.webmanifest">' in content
    data = form_data(response)
    (instrument,) = data["instruments"]
    assert instrument["id"] == str(observation_world.instrument.pk)
    assert instrument["snapshot_minutes"] == [5, 15]
    assert [item["code"] for s in instrument["sections"] for item in s["items"]] == [
        "culture.1",
        "culture.2",
        "instruction.1",
        "instruction.2",
    ]
    first = instrument["sections"][0]["items"][0]
    assert first["descriptors"] == {
        "1": "Culture 1 at 1",
        "3": "Culture 1 at 3",
        "5": "Culture 1 at 5",
    }
    school = next(s for s in data["schools"] if s["id"] == str(world.school_a1.pk))
    assert str(observation_world.teacher.pk) in [t["id"] for t in school["teachers"]]
    assert school["teachers"][0]["language"] == "mr"  # the school's language


def test_only_teachers_in_the_observers_area_are_offered(world, observation_world):
    data = form_data(world.client(world.crc).get(reverse("observation:observe")))
    teachers = {t["id"] for school in data["schools"] for t in school["teachers"]}
    assert str(observation_world.teacher.pk) in teachers
    assert str(observation_world.teacher_b.pk) not in teachers  # cluster B
    assert str(world.school_b1.pk) not in {school["id"] for school in data["schools"]}
    # The outsider (cluster B's CRC) sees teacher B and not cluster A's teacher.
    data = form_data(world.client(world.outsider).get(reverse("observation:observe")))
    teachers = {t["id"] for school in data["schools"] for t in school["teachers"]}
    assert teachers == {str(observation_world.teacher_b.pk)}


def test_the_headteacher_is_not_offered_their_own_lesson(world, observation_world):
    data = form_data(world.client(world.head).get(reverse("observation:observe")))
    teachers = {t["id"] for school in data["schools"] for t in school["teachers"]}
    assert str(world.person(world.head).pk) not in teachers
    assert str(observation_world.teacher.pk) in teachers


def test_the_form_needs_an_observers_role(world, observation_world, client):
    for user in (world.teacher, world.district_officer):
        assert world.client(user).get(reverse("observation:observe")).status_code == 403
        assert world.client(user).get(reverse("observation:outbox")).status_code == 403
    for name in ("observation:observe", "observation:outbox"):
        response = client.get(reverse(name))
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_a_planned_visit_preselects_its_school_and_teacher(world, observation_world):
    visit = visit_plan_add(
        school=world.school_a1,
        teacher=observation_world.teacher,
        planned_on=timezone.localdate(),
        by=world.crc,
    )
    url = reverse("observation:observe")
    data = form_data(world.client(world.crc).get(url, {"visit": str(visit.pk)}))
    assert data["initial"] == {
        "teacher": str(observation_world.teacher.pk),
        "school": str(world.school_a1.pk),
        "visit": str(visit.pk),
    }
    # Someone else's visit, or nonsense, preselects nothing (and breaks nothing).
    other = world.client(world.coach).get(url, {"visit": str(visit.pk), "teacher": "x"})
    assert form_data(other)["initial"] == {"teacher": "", "school": "", "visit": ""}


def test_the_teachers_open_actions_come_with_the_form(world, observation_world):
    observation_sync(payload=observation_world.payload(world), by=world.crc)
    data = form_data(world.client(world.crc).get(reverse("observation:observe")))
    (action,) = data["open_actions"][str(observation_world.teacher.pk)]
    assert action["text"] == "Seat the back row in pairs with stronger counters"
    assert Observation.objects.count() == 1


def test_the_form_reads_a_bounded_number_of_queries(
    world, observation_world, django_assert_max_num_queries
):
    from clusterwise.org import services
    from clusterwise.org.models import Role

    client = world.client(world.crc)
    client.get(reverse("observation:observe"))  # warm caches (content types, sessions)
    for n in range(15):
        services.person_create(
            name=f"Teacher {n}",
            role=Role.TEACHER,
            org_unit=world.school_a2 if n % 2 else world.school_a1,
            start_date=datetime.date(2024, 6, 1),
            by=None,
        )
    for _ in range(3):
        observation_sync(payload=observation_world.payload(world), by=world.crc)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("observation:observe"))
    assert len([t for s in form_data(response)["schools"] for t in s["teachers"]]) == 17


def test_the_manifest_makes_the_pages_installable(client):
    response = client.get(reverse("observation:manifest"))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/manifest+json"
    manifest = json.loads(response.content)
    assert manifest["start_url"] == "/observation/observe/"
    assert manifest["scope"] == "/observation/"
    assert manifest["display"] == "standalone"
    assert {icon["sizes"] for icon in manifest["icons"]} == {"192x192", "512x512"}
    for icon in manifest["icons"]:
        assert client.get(icon["src"]).status_code == 200


def test_the_service_worker_is_served_from_the_observation_scope(client, monkeypatch, tmp_path):
    built = tmp_path / "sw.js"
    built.write_text(
        'precache([{url:"/static/core/app.js",revision:"abc"},'
        '{url:"/static/observation/observe.js",revision:"def"}]);',
        encoding="utf-8",
    )
    monkeypatch.setattr(views_observe, "_worker_path", lambda: Path(built))
    response = client.get("/observation/sw.js")  # anonymous: browsers update it unasked
    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert "no-cache" in response["Cache-Control"]
    assert 'url:"/static/core/app.js"' in response.content.decode()


def test_the_worker_names_the_static_files_as_the_storage_serves_them(
    client, monkeypatch, tmp_path
):
    built = tmp_path / "sw.js"
    built.write_text('precache([{url:"/static/core/app.js",revision:"abc"}]);', encoding="utf-8")
    monkeypatch.setattr(views_observe, "_worker_path", lambda: Path(built))
    monkeypatch.setattr(views_observe, "static", lambda name: f"/static/{name}?hashed")
    views_observe._worker_source.cache_clear()
    content = client.get("/observation/sw.js").content.decode()
    assert 'url:"/static/core/app.js?hashed"' in content
    views_observe._worker_source.cache_clear()


def test_a_missing_worker_build_is_a_404_not_an_error(client, monkeypatch):
    monkeypatch.setattr(views_observe, "_worker_path", lambda: None)
    assert client.get("/observation/sw.js").status_code == 404


def test_the_built_worker_precaches_the_observation_files(client):
    path = views_observe._worker_path()
    assert path is not None, "run `make assets` to build the service worker"
    content = client.get("/observation/sw.js").content.decode()
    for name in ("observation/observe.js", "observation/outbox.js", "vendor/dexie/dexie.min.js"):
        assert f'url:"/static/{name}"' in content
    assert "clients.claim" in content and "skipWaiting" in content
    assert "cdn" not in content.lower() or "importScripts" not in content
