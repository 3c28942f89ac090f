"""People, roles, transfers and the people import."""

from __future__ import annotations

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from clusterwise.org import services
from clusterwise.org.models import Assignment, Person, Role

PEOPLE_HEADER = [
    "name",
    "phone",
    "email",
    "languages",
    "role",
    "org_code",
    "start_date",
    "username",
]


def write_people(tmp_path, rows):
    path = tmp_path / "people.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(PEOPLE_HEADER)
        writer.writerows(rows)
    return path


def test_a_transfer_ends_one_assignment_and_starts_another(world) -> None:
    teacher = world.person(world.teacher)
    current = teacher.assignments.get()
    new = services.person_transfer(
        assignment=current,
        to_unit=world.school_b1,
        on=datetime.date(2025, 7, 1),
        by=world.district_officer,
    )
    current.refresh_from_db()
    assert current.end_date == datetime.date(2025, 6, 30)
    assert new.org_unit == world.school_b1 and new.role == Role.TEACHER
    assert new.org_path == world.school_b1.path
    assert teacher.assignments.count() == 2
    assert current.history.first().history_user == world.district_officer


def test_a_teacher_can_only_be_placed_at_a_school(world) -> None:
    person = world.person(world.crc)
    with pytest.raises(ValidationError, match="assigned to a school"):
        services.assignment_start(
            person=person, role=Role.TEACHER, org_unit=world.cluster_a, by=None
        )


def test_an_edit_based_on_a_stale_version_is_refused(world) -> None:
    person = world.person(world.teacher)
    services.person_update(person=person, version=person.version, by=None, name="New Name")
    stale = Person.objects.get(pk=person.pk)
    with pytest.raises(services.StaleEdit):
        services.person_update(person=stale, version=1, by=None, name="Other Name")
    assert Person.objects.get(pk=person.pk).name == "New Name"


def test_import_people_creates_people_with_roles_and_is_idempotent(world, tmp_path) -> None:
    rows = [
        [
            "Sunita Pawar",
            "+91 98220 11111",
            "sunita@example.org",
            "mr, hi",
            "teacher",
            "A2",
            "2024-06-15",
            "",
        ],
        ["Rahul More", "9822022222", "", "mr", "Headteacher", "A2", "15/06/2024", "rahul.more"],
    ]
    path = write_people(tmp_path, rows)
    call_command("import_people", str(path), stdout=io.StringIO(), stderr=io.StringIO())
    sunita = Person.objects.get(phone="+919822011111")
    assert sunita.languages == ["mr", "hi"]
    assert sunita.assignments.get().org_unit == world.school_a2
    rahul = Person.objects.get(phone="9822022222")
    assert rahul.user.username == "rahul.more"
    assert rahul.assignments.get().start_date == datetime.date(2024, 6, 15)
    out = io.StringIO()
    call_command("import_people", str(path), stdout=out, stderr=io.StringIO())
    assert "0 create, 0 update, 0 assign, 2 unchanged" in out.getvalue()


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        (
            ["X", "98220", "", "", "teacher", "A1", "", ""],
            "row 2, phone: '98220' is not a phone number",
        ),
        (
            ["X", "9822033333", "", "", "teacher", "ZZ", "", ""],
            "row 2, org_code: unknown org unit 'ZZ'",
        ),
        (
            ["X", "9822033333", "", "", "plumber", "A1", "", ""],
            "row 2, role: 'plumber' is not a role",
        ),
        (
            ["X", "9822033333", "", "", "teacher", "CA", "", ""],
            "row 2, org_code: a Teacher must be placed at a school",
        ),
        (
            ["X", "9822033333", "", "", "teacher", "A1", "31/31/2024", ""],
            "row 2, start_date: '31/31/2024' is not a date",
        ),
        (
            ["X", "9822033333", "not-mail", "", "teacher", "A1", "", ""],
            "row 2, email: 'not-mail' is not an email",
        ),
        (
            ["X", "9822033333", "", "", "teacher", "A1", "", "crc_a"],
            "row 2, username: the username 'crc_a' is taken",
        ),
        (["", "9822033333", "", "", "teacher", "A1", "", ""], "row 2, name: a name is required"),
    ],
)
def test_a_bad_people_row_is_reported_and_nothing_is_written(
    world, tmp_path, row, expected
) -> None:
    before = Person.objects.count(), Assignment.objects.count()
    path = write_people(
        tmp_path, [row, ["Good Person", "9822044444", "", "", "teacher", "A1", "", ""]]
    )
    err = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_people", str(path), stdout=io.StringIO(), stderr=err)
    assert expected in err.getvalue()
    assert (Person.objects.count(), Assignment.objects.count()) == before


def test_the_same_phone_twice_in_a_file_is_reported(world, tmp_path) -> None:
    path = write_people(
        tmp_path,
        [
            ["A", "9822055555", "", "", "teacher", "A1", "", ""],
            ["B", "9822055555", "", "", "teacher", "A2", "", ""],
        ],
    )
    err = io.StringIO()
    with pytest.raises(CommandError):
        call_command("import_people", str(path), stdout=io.StringIO(), stderr=err)
    assert "row 3, phone: '9822055555' is already on row 2" in err.getvalue()
