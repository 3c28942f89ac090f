"""The one test world every test shares (see STYLE.md).

State MH → district D1 → block B1 → clusters CA and CB; schools A1, A2 in CA and B1S in CB.
People: a state officer, a district officer, a coach (block B1), a CRC of cluster A, the
headteacher of school A1, a teacher at A1, and an outsider: the CRC of cluster B.
Every login's password is `pw-<username>`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client
from django.utils import translation

from clusterwise.org import services
from clusterwise.org.models import OrgUnit, Person, Role, School, User


@dataclass
class World:
    state: OrgUnit
    district: OrgUnit
    block: OrgUnit
    cluster_a: OrgUnit
    cluster_b: OrgUnit
    school_a1: OrgUnit
    school_a2: OrgUnit
    school_b1: OrgUnit
    state_officer: User
    district_officer: User
    coach: User
    crc: User
    head: User
    teacher: User
    outsider: User

    def client(self, user: User) -> Client:
        client = Client()
        client.force_login(user)
        return client

    def person(self, user: User) -> Person:
        return Person.objects.get(user=user)


def _unit(parent: OrgUnit | None, code: str, name: str, level: str) -> OrgUnit:
    unit = OrgUnit(code=code, name=name, level=level)
    if parent is None:
        unit = OrgUnit.objects.add_root(instance=unit)
    else:
        unit = OrgUnit.objects.add_child(parent, instance=unit)
    if level == "school":
        School.objects.create(
            org_unit=unit, management="local_body", area="rural", languages=["mr"]
        )
    return unit


def _login(username: str, role: str, unit: OrgUnit) -> User:
    person = services.person_create(
        name=username.replace("_", " ").title(),
        role=role,
        org_unit=unit,
        start_date=datetime.date(2024, 6, 1),
        username=username,
        password=f"pw-{username}",
        by=None,
    )
    assert person.user is not None
    return person.user


@pytest.fixture
def world(db: None) -> World:
    state = _unit(None, "MH", "Maharashtra", "state")
    district = _unit(state, "D1", "Pune", "district")
    block = _unit(district, "B1", "Khed", "block")
    cluster_a = _unit(block, "CA", "Chakan Kendra", "cluster")
    cluster_b = _unit(block, "CB", "Rajgurunagar Kendra", "cluster")
    school_a1 = _unit(cluster_a, "A1", "ZP School Chakan", "school")
    school_a2 = _unit(cluster_a, "A2", "ZP School Medankarwadi", "school")
    school_b1 = _unit(cluster_b, "B1S", "ZP School Wada", "school")
    for unit in (state, district, block, cluster_a, cluster_b):
        unit.refresh_from_db()
    return World(
        state=state,
        district=district,
        block=block,
        cluster_a=cluster_a,
        cluster_b=cluster_b,
        school_a1=school_a1,
        school_a2=school_a2,
        school_b1=school_b1,
        state_officer=_login("state_officer", Role.STATE_ADMIN, state),
        district_officer=_login("district_officer", Role.DISTRICT_OFFICER, district),
        coach=_login("coach", Role.COACH, block),
        crc=_login("crc_a", Role.CRC, cluster_a),
        head=_login("head_a1", Role.HEADTEACHER, school_a1),
        teacher=_login("teacher_a1", Role.TEACHER, school_a1),
        outsider=_login("crc_b", Role.CRC, cluster_b),
    )


@pytest.fixture(autouse=True)
def _isolated_settings(settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Jobs run at once (a confirmed import has finished when the view returns); uploads
    go to a temporary folder."""
    translation.activate("en")  # a previous request may have left another language active
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    settings.CLUSTERWISE_MESSAGE_BACKEND = "clusterwise.core.messaging.LocmemBackend"


# --- the programme world: a small framework and a cohort on top of the org world -----------

TEST_FRAMEWORK = {
    "key": "test-crc",
    "name": {"en": "Test CRC skills", "mr": "चाचणी कौशल्ये"},
    "themes": [
        {
            "code": code,
            "name": {"en": theme_name},
            "skills": [
                {
                    "code": f"{code}.{n}",
                    "name": {"en": f"{theme_name} skill {n}", "hi": f"कौशल {n}"},
                    "descriptors": {
                        str(level): {"en": f"{theme_name} {n} at level {level}"}
                        for level in (1, 2, 3, 4)
                    },
                    "indicators": [{"en": f"Look for {code} {n}"}],
                }
                for n in (1, 2)
            ],
        }
        for code, theme_name in (("data", "Data"), ("feedback", "Feedback"))
    ],
}


@dataclass
class ProgrammeWorld:
    """A published framework (2 themes × 2 skills) and a pilot cohort run by the state:
    the coach supports crc_a (cluster A) and crc_b (cluster B, the outsider)."""

    framework: Any
    cohort: Any
    coach: Any  # CohortMember of world.coach
    crc: Any  # CohortMember of world.crc
    outsider: Any  # CohortMember of world.outsider
    skills: list[Any]


@pytest.fixture
def programme(world: World) -> ProgrammeWorld:
    from clusterwise.programme import services as programme_services
    from clusterwise.programme.models import CohortMember
    from clusterwise.skills.services import framework_load

    framework = framework_load(data=TEST_FRAMEWORK, by=None)
    cohort = programme_services.cohort_create(
        name="Pilot 2024",
        kind="pilot",
        framework=framework,
        org_unit=world.state,
        starts_on=datetime.date(2024, 7, 1),
        ends_on=datetime.date(2030, 3, 31),  # still running whenever the tests run
        by=world.state_officer,
    )
    coach = programme_services.member_add(
        cohort=cohort,
        person=world.person(world.coach),
        role=CohortMember.Role.COACH,
        joined_on=datetime.date(2024, 7, 1),
        by=world.state_officer,
    )

    def crc(user: User) -> Any:
        return programme_services.member_add(
            cohort=cohort,
            person=world.person(user),
            role=CohortMember.Role.CRC,
            supported_by=coach,
            joined_on=datetime.date(2024, 7, 1),
            by=world.state_officer,
        )

    return ProgrammeWorld(
        framework=framework,
        cohort=cohort,
        coach=coach,
        crc=crc(world.crc),
        outsider=crc(world.outsider),
        skills=list(framework.skills.order_by("theme__order", "order")),
    )


# --- the observation world: a small instrument on top of the org world ----------------------

TEST_INSTRUMENT = {
    "key": "test-lesson",
    "kind": "full",
    "name": {"en": "Test lesson observation", "mr": "चाचणी वर्ग निरीक्षण"},
    "duration_minutes": 30,
    "snapshot_minutes": [5, 15],
    "sections": [
        {
            "code": code,
            "name": {"en": section_name},
            "items": [
                {
                    "code": f"{code}.{n}",
                    "name": {"en": f"{section_name} item {n}"},
                    "descriptors": {
                        str(point): {"en": f"{section_name} {n} at {point}"} for point in (1, 3, 5)
                    },
                }
                for n in (1, 2)
            ],
        }
        for code, section_name in (("culture", "Culture"), ("instruction", "Instruction"))
    ],
}


@dataclass
class ObservationWorld:
    """A published instrument (2 sections × 2 items, snapshots at 5 and 15), the org world's
    teacher at school A1, and a teacher without a login at school B1S (the other cluster)."""

    instrument: Any
    teacher: Any  # Person of world.teacher
    teacher_b: Any  # Person at school B1S

    def payload(self, world: World, **changes: Any) -> dict[str, Any]:
        """A complete, submittable observation of world.teacher by world.crc (JSON form)."""
        import uuid

        from django.utils import timezone

        today = timezone.localdate()
        data: dict[str, Any] = {
            "id": str(uuid.uuid4()),
            "revision": 1,
            "status": "submitted",
            "instrument": str(self.instrument.pk),
            "school": str(world.school_a1.pk),
            "teacher": str(self.teacher.pk),
            "observed_on": today.isoformat(),
            "grade": "3",
            "subject": "Mathematics",
            "topic": "Place value",
            "students_present": 28,
            "notes": "Children counted bundles of sticks in pairs; six at the back waited.",
            "scores": [
                {"item": item.code, "score": 3, "evidence": f"Saw {item.code}"}
                for item in self.instrument.items.all()
            ],
            "snapshots": [
                {"minute": minute, "learning_activity": True, "on_task": "most"}
                for minute in self.instrument.snapshot_minutes
            ],
            "followups": [],
            "feedback": {
                "strengths": "Pairs counted bundles of ten sticks and explained their count.",
                "next_steps": ["Ask the six children at the back to show their bundles first."],
                "actions": [
                    {
                        "text": "Seat the back row in pairs with stronger counters",
                        "due_on": (today + datetime.timedelta(days=7)).isoformat(),
                    }
                ],
                "resources": "",
                "language": "mr",
            },
        }
        data.update(changes)
        return data


@pytest.fixture
def observation_world(world: World) -> ObservationWorld:
    from clusterwise.observation.services import instrument_load

    instrument = instrument_load(data=TEST_INSTRUMENT, by=None)
    teacher_b = services.person_create(
        name="Teacher B",
        role=Role.TEACHER,
        org_unit=world.school_b1,
        start_date=datetime.date(2024, 6, 1),
        by=None,
    )
    return ObservationWorld(
        instrument=instrument, teacher=world.person(world.teacher), teacher_b=teacher_b
    )
