"""The one test world every test shares (see STYLE.md).

State MH → district D1 → block B1 → clusters CA and CB; schools A1, A2 in CA and B1S in CB.
People: a state officer, a district officer, a coach (block B1), a CRC of cluster A, the
headteacher of school A1, a teacher at A1, and an outsider: the CRC of cluster B.
Every login's password is `pw-<username>`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

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
