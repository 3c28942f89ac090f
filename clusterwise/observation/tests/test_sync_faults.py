"""Offline sync under faults: many devices, lost answers, replays, late and reordered copies.

32 simulated devices (four per observer, eight observers: CRCs, the coach and a headteacher)
create observations, edit drafts (revision 2, 3, …) and sync them through the real API
(`PUT /api/v1/sync/observations/{id}` and the batch `POST`) with Django's test client and
bearer tokens, while a seeded random network

- loses a request before it reaches the server (nothing committed, the device retries),
- loses the answer after the server committed (the device retries what is already there),
- holds a request and delivers it much later (the device gave up on it; by then it may have
  sent newer revisions, so a draft can arrive after its own submitted revision),
- and re-delivers stale copies of earlier revisions, alone or in shuffled batches;

and devices replay records they already had acknowledged. Each device behaves like the real
outbox: it keeps only the latest revision of a record and drops it only after a 200/201 for
that very revision.

At the end, after the network has delivered everything and each device has synced without
faults: no record lost, none duplicated (one Observation per id, child rows as sent), none
silently overwritten (each server record is field for field the device's last revision; every
refused payload is a stored SyncConflict, none of them applied), every outbox empty, and each
record was written exactly as often as the server said it created or updated it.
"""

from __future__ import annotations

import datetime
import json
import random
import threading
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from clusterwise.api.observation_api import MAX_BATCH, ObservationIn
from clusterwise.api.services import token_issue
from clusterwise.observation.models import (
    Feedback,
    FeedbackAction,
    Observation,
    Score,
    Snapshot,
    SyncConflict,
)
from clusterwise.observation.services import payload_digest
from clusterwise.org import services as org_services
from clusterwise.org.models import Person, Role

pytestmark = pytest.mark.django_db

SEED = 20261126
DEVICES_PER_OBSERVER = 4
STEPS = 5400  # device actions; with retries and late deliveries about 2,200 HTTP requests
MIN_REQUESTS = 2000
# What the network does to one HTTP request (cumulative thresholds of one draw).
LOST_BEFORE = 0.14  # never reaches the server
LOST_AFTER = 0.28  # the server commits; the answer never reaches the device
HELD = 0.36  # delivered much later; the device has given up on it

SUBJECTS = ["Mathematics", "Marathi", "English", "EVS"]
TOPICS = ["Place value", "Fractions", "Reading aloud", "Water cycle", "Story retelling"]
STRENGTHS = [
    "Children explained their counting to a partner.",
    "The teacher used local objects for every example.",
    "Every group had a task and a time limit on the board.",
]
STEPS_NEXT = [
    "Ask the quiet row to answer first.",
    "Check understanding before moving on.",
    "Give groups a written task card.",
]
ACTIONS = ["Seat the back row in pairs", "Prepare bundles of sticks", "Try a reading corner"]


def wire(payload: dict[str, Any]) -> dict[str, Any]:
    """The payload in the server's canonical form (what the API hands observation_sync)."""
    return ObservationIn(**payload).model_dump(mode="json")


def digest_of(payload: dict[str, Any]) -> str:
    return payload_digest(wire(payload))


@dataclass
class Device:
    name: str
    user: Any
    client: Client
    targets: list[tuple[str, str]]  # (school id, teacher id) in the observer's area
    records: dict[str, dict[str, Any]] = field(default_factory=dict)  # latest local revision
    outbox: dict[str, dict[str, Any]] = field(default_factory=dict)  # not yet acknowledged
    acked: dict[str, dict[str, Any]] = field(default_factory=dict)  # last acknowledged revision
    sent: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # every copy on the wire

    def answer(self, payload: dict[str, Any], status: int) -> None:
        """The device reads the server's answer to one of its records."""
        record_id = payload["id"]
        if status == 409 and payload["revision"] < self.records[record_id]["revision"]:
            return  # an old copy (a replay of an earlier revision) refused: as it should be
        assert status in (200, 201), (self.name, record_id, status)
        if record_id not in self.acked or payload["revision"] >= self.acked[record_id]["revision"]:
            self.acked[record_id] = payload
        pending = self.outbox.get(record_id)
        if pending is not None and pending["revision"] == payload["revision"]:
            del self.outbox[record_id]


@dataclass
class Entry:
    """One record as the server answered it (whether or not the device saw the answer)."""

    device: str
    record_id: str
    digest: str
    revision: int
    sent_status: str
    status: int
    body: dict[str, Any]
    stale: bool  # the device already had a newer revision when the server got this one


class Network:
    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.requests = 0
        self.log: list[Entry] = []
        self.held: list[tuple[Device, list[dict[str, Any]], bool]] = []
        self.faults: Counter[str] = Counter()

    # --- the server side -----------------------------------------------------------------

    def _deliver(self, device: Device, payloads: list[dict[str, Any]], batch: bool) -> list[int]:
        self.requests += 1
        if batch:
            response = device.client.post(
                "/api/v1/sync/observations",
                data=json.dumps({"observations": payloads}),
                content_type="application/json",
                headers={"X-Device-Id": device.name},
            )
            assert response.status_code == 200, response.content
            answers = [(item["status"], item["body"]) for item in response.json()]
            assert [item["id"] for item in response.json()] == [p["id"] for p in payloads]
        else:
            (payload,) = payloads
            response = device.client.put(
                f"/api/v1/sync/observations/{payload['id']}",
                data=json.dumps(payload),
                content_type="application/json",
                headers={"X-Device-Id": device.name},
            )
            answers = [(response.status_code, response.json())]
        for payload, (status, body) in zip(payloads, answers, strict=True):
            latest = device.records[payload["id"]]
            self.log.append(
                Entry(
                    device=device.name,
                    record_id=payload["id"],
                    digest=digest_of(payload),
                    revision=payload["revision"],
                    sent_status=payload["status"],
                    status=status,
                    body=body,
                    stale=payload["revision"] < latest["revision"],
                )
            )
        return [status for status, _body in answers]

    # --- the device side -----------------------------------------------------------------

    def send(
        self, device: Device, payloads: list[dict[str, Any]], *, batch: bool, faults: bool
    ) -> None:
        """One HTTP request from a device; it reads the answers it receives."""
        for payload in payloads:
            device.sent.setdefault(payload["id"], []).append(payload)
        draw = self.rng.random() if faults else 1.0
        if draw < LOST_BEFORE:
            self.faults["lost before the server"] += 1
            return
        if draw < LOST_AFTER:
            self._deliver(device, payloads, batch)
            self.faults["answer lost after the commit"] += 1
            return
        if draw < HELD:
            self.held.append((device, payloads, batch))
            self.faults["held, delivered late"] += 1
            return
        for payload, status in zip(payloads, self._deliver(device, payloads, batch), strict=True):
            device.answer(payload, status)

    def deliver_held(self, count: int) -> None:
        """Late requests reach the server in any order; nobody waits for their answers."""
        self.rng.shuffle(self.held)
        for device, payloads, batch in self.held[:count]:
            self._deliver(device, payloads, batch)
        del self.held[:count]

    def stale_copies(self, device: Device) -> None:
        """Copies of revisions the device has since replaced arrive late, shuffled together."""
        old = [
            copy
            for record_id, copies in device.sent.items()
            for copy in copies
            if copy["revision"] < device.records[record_id]["revision"]
        ]
        if not old:
            return
        picked = self.rng.sample(old, min(len(old), self.rng.randint(1, 3)))
        self.faults["stale copies delivered"] += len(picked)
        if len(picked) > 1 or self.rng.random() < 0.5:
            self._deliver(device, picked, batch=True)
        else:
            self._deliver(device, picked, batch=False)


# --- the devices' records ----------------------------------------------------------------------


def new_record(rng: random.Random, device: Device, instrument: Any) -> dict[str, Any]:
    school, teacher = rng.choice(device.targets)
    observed_on = timezone.localdate() - datetime.timedelta(days=rng.randint(0, 90))
    payload: dict[str, Any] = {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "revision": 1,
        "status": "draft",
        "instrument": str(instrument.pk),
        "school": school,
        "teacher": teacher,
        "observed_on": observed_on.isoformat(),
        "started_at": None,
        "grade": str(rng.randint(1, 8)),
        "subject": rng.choice(SUBJECTS),
        "topic": rng.choice(TOPICS),
        "students_present": rng.randint(10, 45),
        "notes": f"Draft notes by {device.name}",
        "scores": [],
        "snapshots": [],
        "followups": [],
        "feedback": None,
    }
    if rng.random() < 0.6:
        return complete(rng, payload, instrument)
    return partial(rng, payload, instrument)


def partial(rng: random.Random, payload: dict[str, Any], instrument: Any) -> dict[str, Any]:
    """A draft: some items scored (some still blank), maybe a snapshot and half a feedback."""
    items = [item.code for item in instrument.items.all()]
    payload = dict(payload, status="draft")
    payload["scores"] = [
        {"item": code, "score": rng.choice([None, 1, 2, 3, 4, 5]), "evidence": f"Seen {n}"}
        for n, code in enumerate(rng.sample(items, rng.randint(0, len(items))))
    ]
    minutes = list(instrument.snapshot_minutes)
    payload["snapshots"] = [
        {"minute": minute, "learning_activity": rng.choice([None, True]), "on_task": None}
        for minute in rng.sample(minutes, rng.randint(0, len(minutes)))
    ]
    if rng.random() < 0.5:
        payload["feedback"] = {"strengths": rng.choice(STRENGTHS), "language": "mr"}
    else:
        payload["feedback"] = None
    payload["notes"] = f"{payload['notes']} / revision {payload['revision']}"
    return payload


def complete(rng: random.Random, payload: dict[str, Any], instrument: Any) -> dict[str, Any]:
    """A submitted record: every item scored, every snapshot answered, full feedback."""
    observed_on = datetime.date.fromisoformat(payload["observed_on"])
    payload = dict(payload, status="submitted")
    payload["scores"] = [
        {
            "item": item.code,
            "score": rng.randint(1, 5),
            "evidence": f"Evidence {rng.randint(1, 99)}",
        }
        for item in instrument.items.all()
    ]
    payload["snapshots"] = [
        {
            "minute": minute,
            "learning_activity": rng.random() < 0.8,
            "on_task": rng.choice(["few", "some", "most"]),
        }
        for minute in instrument.snapshot_minutes
    ]
    payload["started_at"] = (
        f"{observed_on.isoformat()}T{rng.randint(8, 14):02d}:{rng.choice([0, 15, 30, 45]):02d}:00+05:30"
    )
    payload["feedback"] = {
        "strengths": rng.choice(STRENGTHS),
        "next_steps": rng.sample(STEPS_NEXT, rng.randint(1, 2)),
        "actions": [
            {
                "text": text,
                "due_on": (observed_on + datetime.timedelta(days=rng.randint(1, 30))).isoformat(),
            }
            for text in rng.sample(ACTIONS, rng.randint(1, 3))
        ],
        "resources": rng.choice(["", "Counting cards, unit 2"]),
        "language": rng.choice(["mr", "en"]),
    }
    payload["notes"] = f"Final notes {rng.randint(1, 10_000)}"
    return payload


def edit(rng: random.Random, payload: dict[str, Any], instrument: Any) -> dict[str, Any]:
    """The next revision of a draft: more of it filled in, or finished and submitted."""
    payload = dict(payload, revision=payload["revision"] + 1, topic=rng.choice(TOPICS))
    if rng.random() < 0.4:
        return complete(rng, payload, instrument)
    return partial(rng, payload, instrument)


# --- the world ---------------------------------------------------------------------------------


def build_devices(world: Any, observation_world: Any) -> list[Device]:
    start = datetime.date(2024, 6, 1)
    schools = [world.school_a1, world.school_a2, world.school_b1]
    for school in schools:
        for n in range(1, 5):
            org_services.person_create(
                name=f"Teacher {school.code}-{n}",
                role=Role.TEACHER,
                org_unit=school,
                start_date=start,
                by=None,
            )
    observers = [world.crc, world.outsider, world.coach, world.head]
    for cluster in (world.cluster_a, world.cluster_b):
        for n in (2, 3):
            person = org_services.person_create(
                name=f"CRC {cluster.code}{n}",
                role=Role.CRC,
                org_unit=cluster,
                start_date=start,
                username=f"crc_{cluster.code.lower()}{n}",
                password="pw",
                by=None,
            )
            observers.append(person.user)
    teachers = {
        school.pk: list(
            Person.objects.filter(
                assignments__org_unit=school, assignments__role__in=[Role.TEACHER, Role.HEADTEACHER]
            ).distinct()
        )
        for school in schools
    }
    devices = []
    for user in observers:
        me = world.person(user)
        area = [
            (str(school.pk), str(teacher.pk))
            for school in schools
            if school.path.startswith(
                tuple(a.org_unit.path for a in me.assignments.select_related("org_unit"))
            )
            for teacher in teachers[school.pk]
            if teacher.pk != me.pk
        ]
        assert area, user
        for n in range(DEVICES_PER_OBSERVER):
            client = Client(headers={"Authorization": f"Bearer {token_issue(user=user)}"})
            devices.append(Device(f"{user.username}-phone{n}", user, client, area))
    return devices


# --- the test ----------------------------------------------------------------------------------


def test_no_record_is_lost_duplicated_or_silently_overwritten_under_faults(
    world, observation_world
):
    rng = random.Random(SEED)
    instrument = observation_world.instrument
    devices = build_devices(world, observation_world)
    net = Network(rng)
    replays = 0

    def sync(device: Device, faults: bool) -> None:
        pending = list(device.outbox.values())
        rng.shuffle(pending)  # the outbox's order is not the order of creation
        if rng.random() < 0.3:
            for start in range(0, len(pending), MAX_BATCH):
                net.send(device, pending[start : start + MAX_BATCH], batch=True, faults=faults)
        else:
            for payload in pending:
                net.send(device, [payload], batch=False, faults=faults)

    for _step in range(STEPS):
        device = rng.choice(devices)
        action = rng.random()
        drafts = [p for p in device.records.values() if p["status"] == "draft"]
        if action < 0.14:
            payload = new_record(rng, device, instrument)
            device.records[payload["id"]] = device.outbox[payload["id"]] = payload
        elif action < 0.26 and drafts:
            payload = edit(rng, rng.choice(drafts), instrument)
            device.records[payload["id"]] = device.outbox[payload["id"]] = payload
        elif action < 0.75:
            sync(device, faults=True)
        elif action < 0.85 and device.acked:
            # The device replays a record it already had acknowledged (its ack was lost
            # locally, or the user pressed "sync again").
            acked = rng.sample(
                list(device.acked.values()), min(rng.randint(1, 3), len(device.acked))
            )
            replays += len(acked)
            net.send(device, acked, batch=len(acked) > 1, faults=True)
        elif action < 0.93:
            net.stale_copies(device)
        else:
            net.deliver_held(rng.randint(1, 5))

    # Everything in flight arrives; then each device syncs on a good connection.
    net.deliver_held(len(net.held))
    for _round in range(3):
        for device in devices:
            if device.outbox:
                sync(device, faults=False)
    for device in devices:
        assert device.outbox == {}, device.name

    # --- the record of what happened -------------------------------------------------------
    statuses = Counter(entry.status for entry in net.log)
    print(  # shown with -s, and on failure
        f"{net.requests} requests, {len(net.log)} records answered {dict(statuses)}, "
        f"{sum(len(d.records) for d in devices)} records, faults {dict(net.faults)}, "
        f"{replays} replays"
    )
    assert statuses[422] == 0, [e.body for e in net.log if e.status == 422][:3]
    assert set(statuses) <= {200, 201, 409}, statuses
    # A device's current revision is never refused: only stale copies are.
    assert all(entry.stale for entry in net.log if entry.status == 409)

    # --- 0 lost, 0 duplicated ----------------------------------------------------------------
    expected: dict[str, tuple[Device, dict[str, Any]]] = {
        record_id: (device, payload)
        for device in devices
        for record_id, payload in device.records.items()
    }
    assert len(expected) == sum(len(d.records) for d in devices)  # no id made twice
    observations = {
        str(o.pk): o
        for o in Observation.objects.select_related("observer__user").prefetch_related(
            "scores__item", "snapshots", "feedback__actions"
        )
    }
    assert set(observations) == set(expected)  # nothing lost, nothing extra
    assert Observation.objects.count() == len(expected)
    assert Score.objects.count() == sum(len(p["scores"]) for _d, p in expected.values())
    assert Snapshot.objects.count() == sum(len(p["snapshots"]) for _d, p in expected.values())
    assert Feedback.objects.count() == len(expected)  # one per observation, drafts too
    assert FeedbackAction.objects.count() == sum(
        len((p["feedback"] or {}).get("actions") or []) for _d, p in expected.values()
    )

    # --- 0 silently overwritten -----------------------------------------------------------------
    for record_id, (device, payload) in expected.items():
        observation = observations[record_id]
        assert device.acked[record_id] == payload  # the device saw its last revision acknowledged
        assert observation.observer.user == device.user
        assert_same_content(observation, payload)

    applied: dict[str, list[Entry]] = defaultdict(list)
    for entry in net.log:
        if entry.status == 201 or (entry.status == 200 and entry.body["result"] == "updated"):
            applied[entry.record_id].append(entry)
    for record_id, observation in observations.items():
        writes = applied[record_id]
        assert [e.status for e in writes].count(201) == 1, record_id  # created exactly once
        # Replays wrote nothing: one history row per create or update, the version counts updates.
        assert observation.history.count() == len(writes), record_id
        assert observation.version == len(writes), record_id

    refused = {(e.record_id, e.digest): e for e in net.log if e.status == 409}
    conflicts = {(str(c.record_id), c.payload_digest): c for c in SyncConflict.objects.all()}
    assert set(conflicts) == set(refused)  # every refusal stored once, no other conflict
    # A refused payload is never applied afterwards (before its refusal it may have been: a
    # late copy of a revision the server already replaced is refused like any other).
    first_refusal = {}
    for position, entry in enumerate(net.log):
        if entry.status == 409:
            first_refusal.setdefault((entry.record_id, entry.digest), position)
    for position, entry in enumerate(net.log):
        if entry.status == 201 or (entry.status == 200 and entry.body["result"] == "updated"):
            assert position < first_refusal.get((entry.record_id, entry.digest), position + 1)
    for entry in net.log:
        if entry.status == 409:  # a refusal sent again is the same stored conflict
            assert entry.body["conflict"] == str(conflicts[entry.record_id, entry.digest].pk)
    for key, conflict in conflicts.items():
        entry = refused[key]
        assert conflict.status == SyncConflict.Status.OPEN
        assert conflict.submitted_by.username == entry.device.rsplit("-phone", 1)[0]
        assert conflict.device == entry.device
        assert payload_digest(conflict.payload) == conflict.payload_digest
        assert observations[key[0]].payload_digest != conflict.payload_digest

    # --- the faults really happened, often enough ----------------------------------------------
    assert net.requests >= MIN_REQUESTS, net.requests
    assert len(expected) >= 300
    for name in (
        "lost before the server",
        "answer lost after the commit",
        "held, delivered late",
        "stale copies delivered",
    ):
        assert net.faults[name] >= 50, net.faults
    assert replays >= 100
    # A draft arrived after the same record's submitted revision, and was refused.
    late_drafts = [
        e
        for e in net.log
        if e.status == 409 and e.sent_status == "draft" and e.body["server_status"] == "submitted"
    ]
    assert len(late_drafts) >= 20


def assert_same_content(observation: Observation, payload: dict[str, Any]) -> None:
    """The server's record is, field by field, what the device sent last."""
    sent = wire(payload)
    where = sent["id"]
    assert observation.payload_digest == payload_digest(sent), where
    assert observation.status == sent["status"], where
    assert observation.revision == sent["revision"], where
    assert (observation.submitted_at is not None) == (sent["status"] == "submitted"), where
    for name in ("instrument", "school", "teacher", "planned_visit"):
        assert str(getattr(observation, f"{name}_id") or "") == str(sent[name] or ""), (where, name)
    assert observation.observed_on.isoformat() == sent["observed_on"], where
    started = sent["started_at"] and datetime.datetime.fromisoformat(sent["started_at"])
    assert observation.started_at == (started or None), where
    for name in ("grade", "subject", "topic", "students_present", "notes"):
        assert getattr(observation, name) == sent[name], (where, name)
    assert sorted((s.item.code, s.score, s.evidence) for s in observation.scores.all()) == sorted(
        (s["item"], s["score"], s["evidence"]) for s in sent["scores"]
    ), where
    assert sorted(
        (s.minute, s.learning_activity, s.on_task) for s in observation.snapshots.all()
    ) == sorted(
        (s["minute"], s["learning_activity"], s["on_task"] or "") for s in sent["snapshots"]
    ), where
    feedback = observation.feedback
    data = sent["feedback"] or {}
    assert feedback.strengths == data.get("strengths", ""), where
    assert feedback.next_steps == data.get("next_steps", []), where
    assert feedback.resources == data.get("resources", ""), where
    if data.get("language"):
        assert feedback.language == data["language"], where
    assert [(a.order, a.text, a.due_on.isoformat()) for a in feedback.actions.all()] == [
        (n, a["text"], a["due_on"]) for n, a in enumerate(data.get("actions") or [])
    ], where


# --- the same record sent at once -------------------------------------------------------------


def _at_once(token: str, payloads: list[dict[str, Any]]) -> list[tuple[int, dict[str, Any]]]:
    """Each payload PUT from its own thread (its own connection), all released together."""
    from django.db import connection

    barrier = threading.Barrier(len(payloads))
    answers: list[tuple[int, dict[str, Any]]] = []

    def send(payload: dict[str, Any]) -> None:
        try:
            client = Client(headers={"Authorization": f"Bearer {token}"})
            barrier.wait()
            response = client.put(
                f"/api/v1/sync/observations/{payload['id']}",
                data=json.dumps(payload),
                content_type="application/json",
            )
            answers.append((response.status_code, response.json()))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(payload,)) for payload in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return answers


@pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="SQLite runs one writer at a time; the race needs concurrent transactions",
)
@pytest.mark.django_db(transaction=True)
def test_the_same_record_sent_at_once_is_created_once_and_the_newest_revision_wins(
    world, observation_world
):
    token = token_issue(user=world.crc)

    payload = observation_world.payload(world)
    answers = _at_once(token, [payload] * 8)
    assert sorted(status for status, _body in answers) == [200] * 7 + [201], answers
    assert Observation.objects.count() == 1
    assert Observation.history.count() == 1
    assert Score.objects.count() == 4 and FeedbackAction.objects.count() == 1

    draft = observation_world.payload(world, status="draft", feedback=None)
    revisions = [dict(draft, revision=n, notes=f"revision {n}") for n in range(1, 9)]
    answers = _at_once(token, revisions)
    assert {status for status, _body in answers} <= {200, 201, 409}, answers
    assert [status for status, _body in answers].count(201) == 1
    stored = Observation.objects.get(pk=draft["id"])
    assert stored.revision == 8 and stored.notes == "revision 8"
    assert stored.scores.count() == len(draft["scores"])
    refused = [body for status, body in answers if status == 409]
    assert SyncConflict.objects.filter(record_id=draft["id"]).count() == len(refused)
