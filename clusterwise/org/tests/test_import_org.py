"""import_org: every kind of bad row is reported precisely and nothing is written."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from clusterwise.org.models import Assignment, OrgUnit, School

HEADER = [
    "code",
    "name",
    "level",
    "parent_code",
    "management",
    "area",
    "tribal_area",
    "languages",
    "latitude",
    "longitude",
]
GOOD = [
    ["D2", "Satara", "district", "MH", "", "", "", "", "", ""],
    ["B2", "Wai", "block", "D2", "", "", "", "", "", ""],
    ["C2", "Bavdhan Kendra", "cluster", "B2", "", "", "", "", "", ""],
    [
        "S21",
        "ZP School Bavdhan",
        "school",
        "C2",
        "local_body",
        "rural",
        "no",
        "mr",
        "17.95",
        "73.82",
    ],
    [
        "S22",
        "Ashram School Wai",
        "school",
        "C2",
        "government",
        "rural",
        "yes",
        "mr; hi",
        "17.96",
        "73.88",
    ],
]


def write_csv(tmp_path: Path, rows: list[list[str]], header: list[str] = HEADER) -> Path:
    path = tmp_path / "units.csv"
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def write_xlsx(tmp_path: Path, rows: list[list[str]]) -> Path:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append([float(v) if v.replace(".", "").isdigit() and "." in v else v for v in row])
    path = tmp_path / "units.xlsx"
    workbook.save(path)
    return path


def run_import(path: Path, *args: str) -> str:
    out = io.StringIO()
    call_command("import_org", str(path), *args, stdout=out, stderr=out)
    return out.getvalue()


def import_errors(path: Path) -> str:
    out = io.StringIO()
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_org", str(path), stdout=out, stderr=out)
    return out.getvalue()


def test_it_creates_units_and_schools_under_existing_parents(world, tmp_path) -> None:
    run_import(write_csv(tmp_path, GOOD))
    school = School.objects.get(org_unit__code="S22")
    assert school.tribal_area is True
    assert school.languages == ["mr", "hi"]
    assert str(school.latitude) == "17.960000"
    cluster = OrgUnit.objects.get(code="C2")
    assert OrgUnit.objects.get_parent(cluster).code == "B2"
    assert cluster.numchild == 2
    assert OrgUnit.objects.get(code="MH").numchild == 2
    assert [u.code for u in OrgUnit.objects.get_descendants(OrgUnit.objects.get(code="D2"))] == [
        "B2",
        "C2",
        "S21",
        "S22",
    ]


def test_it_reads_excel_files_too(world, tmp_path) -> None:
    run_import(write_xlsx(tmp_path, GOOD))
    assert OrgUnit.objects.get(code="S21").school.area == "rural"


def test_reimporting_the_same_file_changes_nothing(world, tmp_path) -> None:
    path = write_csv(tmp_path, GOOD)
    run_import(path)
    history_before = OrgUnit.history.count() + School.history.count()
    output = run_import(path)
    assert "0 create, 0 update, 0 move, 5 unchanged" in output
    assert OrgUnit.history.count() + School.history.count() == history_before


def test_a_changed_row_updates_only_that_unit_and_is_audited(world, tmp_path) -> None:
    run_import(write_csv(tmp_path, GOOD))
    changed = [row[:] for row in GOOD]
    changed[3][1] = "ZP School Bavdhan Budruk"
    output = run_import(write_csv(tmp_path, changed))
    assert "1 update" in output
    record = OrgUnit.objects.get(code="S21").history.first()
    assert record.history_type == "~"
    assert record.name == "ZP School Bavdhan Budruk"


def test_a_new_parent_code_moves_the_subtree_and_its_people(world, tmp_path) -> None:
    run_import(write_csv(tmp_path, GOOD))
    moved = [["CA", "Chakan Kendra", "cluster", "B2", "", "", "", "", "", ""]]
    run_import(write_csv(tmp_path, moved))
    cluster = OrgUnit.objects.get(code="CA")
    assert OrgUnit.objects.get_parent(cluster).code == "B2"
    school = OrgUnit.objects.get(code="A1")
    assert school.path.startswith(cluster.path)
    for assignment in Assignment.objects.filter(org_unit=school):
        assert assignment.org_path == school.path
    assert OrgUnit.objects.get(code="B1").numchild == 1


def test_dry_run_writes_nothing(world, tmp_path) -> None:
    before = OrgUnit.objects.count()
    output = run_import(write_csv(tmp_path, GOOD), "--dry-run")
    assert "Would do: 5 create" in output
    assert OrgUnit.objects.count() == before


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        (
            [["X1", "Nowhere", "block", "ZZ", "", "", "", "", "", ""]],
            "row 2, parent_code: unknown parent 'ZZ'",
        ),
        (
            [GOOD[0], ["D2", "Satara again", "district", "MH", "", "", "", "", "", ""]],
            "row 3, code: duplicate code 'D2' (first on row 2)",
        ),
        (
            [GOOD[0], ["S9", "School", "school", "D2", "government", "rural", "no", "", "", ""]],
            "row 3, level: a school must be under a cluster, not a district",
        ),
        (
            [["B9", "Block", "block", "A1", "", "", "", "", "", ""]],
            "row 2, level: a block must be under a district, not a school",
        ),
        (
            [GOOD[0], GOOD[1], GOOD[2], GOOD[3][:8] + ["95.1", "73.8"]],
            "row 5, latitude: 95.1 is outside -90…90",
        ),
        (
            [GOOD[0], GOOD[1], GOOD[2], GOOD[3][:8] + ["north", "73.8"]],
            "row 5, latitude: 'north' is not a number",
        ),
        (
            [GOOD[0], GOOD[1], GOOD[2], GOOD[3][:8] + ["17.9", ""]],
            "row 5, longitude: give both latitude and longitude",
        ),
        (
            [
                ["K1", "Loop one", "cluster", "K2", "", "", "", "", "", ""],
                ["K2", "Loop two", "cluster", "K1", "", "", "", "", "", ""],
            ],
            "row 2, parent_code: 'K1' would be its own ancestor",
        ),
        (
            [["Q1", "Quarter", "quarter", "MH", "", "", "", "", "", ""]],
            "row 2, level: 'quarter' is not a level",
        ),
        (
            [["D3", "", "district", "MH", "", "", "", "", "", ""]],
            "row 2, name: a name is required",
        ),
        (
            [["D3", "Top", "district", "", "", "", "", "", "", ""]],
            "row 2, parent_code: a district needs a parent",
        ),
        (
            [["S9", "School", "school", "CA", "boarding", "rural", "no", "", "", ""]],
            "row 2, management: 'boarding' is not one of",
        ),
        (
            [["S9", "School", "school", "CA", "government", "rural", "maybe", "", "", ""]],
            "row 2, tribal_area: 'maybe' is not yes or no",
        ),
        (
            [["CA", "Chakan", "block", "B1", "", "", "", "", "", ""]],
            "row 2, level: CA is already a cluster",
        ),
        (
            [["bad code!", "X", "district", "MH", "", "", "", "", "", ""]],
            "row 2, code: 'bad code!' may use only",
        ),
    ],
    ids=[
        "unknown-parent",
        "duplicate-code",
        "level-skips-upward",
        "level-out-of-order",
        "latitude-out-of-range",
        "latitude-not-a-number",
        "half-a-coordinate",
        "cycle",
        "unknown-level",
        "missing-name",
        "missing-parent",
        "unknown-management",
        "bad-flag",
        "level-change",
        "bad-code",
    ],
)
def test_a_bad_row_is_reported_and_nothing_is_written(world, tmp_path, rows, expected) -> None:
    before = OrgUnit.objects.count(), School.objects.count(), OrgUnit.history.count()
    # A good row above the bad ones must not be written either; it shifts row numbers by one.
    path = write_csv(tmp_path, [["D9", "Good district", "district", "MH", *[""] * 6], *rows])
    output = import_errors(path)
    assert _shift(expected) in output
    assert (OrgUnit.objects.count(), School.objects.count(), OrgUnit.history.count()) == before


def _shift(message: str) -> str:
    """The expected messages count rows without the extra good row at the top."""
    return re.sub(r"row (\d+)", lambda m: f"row {int(m.group(1)) + 1}", message)


def test_a_missing_column_is_named(world, tmp_path) -> None:
    path = write_csv(tmp_path, [["D2", "Satara", "district"]], header=["code", "name", "level"])
    assert "row 1, parent_code: the column is missing" in import_errors(path)


def test_a_file_that_is_not_a_table_is_refused(tmp_path, db) -> None:
    path = tmp_path / "units.pdf"
    path.write_bytes(b"%PDF-1.4")
    with pytest.raises(CommandError, match=r"Upload a \.csv or \.xlsx file"):
        call_command("import_org", str(path))


def test_a_csv_that_is_not_utf8_says_how_to_save_it(tmp_path, db) -> None:
    path = tmp_path / "units.csv"
    path.write_bytes("code,name,level,parent_code\nD2,Sâtara,district,MH\n".encode("latin-1"))
    with pytest.raises(CommandError, match="CSV UTF-8"):
        call_command("import_org", str(path))


def test_kenya_levels_are_configurable(settings, tmp_path, db) -> None:
    settings.ORG_LEVELS = ["national", "county", "sub-county", "zone", "school"]
    settings.ORG_SCHOOL_LEVEL = "school"
    rows = [
        ["KE", "Kenya", "national", "", *[""] * 6],
        ["047", "Nairobi", "county", "KE", *[""] * 6],
        ["047-01", "Westlands", "sub-county", "047", *[""] * 6],
        ["047-01-Z1", "Kangemi zone", "zone", "047-01", *[""] * 6],
        [
            "KS1",
            "Kangemi Primary",
            "school",
            "047-01-Z1",
            "government",
            "urban",
            "no",
            "sw,en",
            "-1.26",
            "36.75",
        ],
    ]
    run_import(write_csv(tmp_path, rows))
    assert OrgUnit.objects.get_parent(OrgUnit.objects.get(code="KS1")).level == "zone"
