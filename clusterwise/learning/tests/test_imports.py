"""Importing results: every check, all or nothing, quarantine, re-import, real CSV and XLSX."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Sum

from clusterwise.learning.imports import problems_csv, quarantine_csv
from clusterwise.learning.models import QuarantinedRow, Result, ResultCell, ResultImport, Round

from .conftest import GOOD_ROWS, problems_of, run_import, write_csv, write_xlsx

GOOD = GOOD_ROWS


def test_a_clean_file_is_imported_and_summed_at_every_level(
    baseline: Round, tmp_path: Path
) -> None:
    batch = run_import(baseline, write_csv(tmp_path / "r.csv", GOOD, delimiter=";", bom=True))

    assert (batch.status, batch.rows, batch.added, batch.errors) == ("done", 6, 6, 0)
    assert Result.objects.count() == 6
    stored = Result.objects.get(student="s3")
    assert (stored.gender, stored.level, stored.score) == ("F", 1, 1.0)
    read = baseline.competencies.get(code="read")
    state = ResultCell.objects.filter(org_unit__code="MH", competency=read)
    assert state.aggregate(n=Sum("students"))["n"] == 3
    # Levels: word (2), letter (1), story (3); proficient from "word": one below.
    totals = state.aggregate(
        below=Sum("below"), l1=Sum("level_1"), l2=Sum("level_2"), l3=Sum("level_3")
    )
    assert totals == {"below": 1, "l1": 1, "l2": 1, "l3": 1}
    place = baseline.competencies.get(code="place-value")
    cluster = ResultCell.objects.filter(org_unit__code="CA", competency=place)
    assert cluster.aggregate(t=Sum("total"), q=Sum("squares"), b=Sum("below")) == {
        "t": 14.5,
        "q": 64 + 42.25,
        "b": 1,
    }
    assert set(ResultCell.objects.values_list("depth", flat=True)) == {1, 2, 3, 4, 5}


@pytest.mark.parametrize(
    ("row", "column", "reason"),
    [
        (
            ["ZZ9", 3, "A", "x", "F", "language", "read", "", "word"],
            "school_code",
            "No school has this code.",
        ),
        (
            ["", 3, "A", "x", "F", "language", "read", "", "word"],
            "school_code",
            "The school code is missing.",
        ),
        (
            ["A1", 7, "A", "x", "F", "language", "read", "", "word"],
            "grade",
            "The round does not assess grade 7.",
        ),
        (
            ["A1", "3rd", "A", "x", "F", "language", "read", "", "word"],
            "grade",
            "The grade must be a whole number.",
        ),
        (
            ["A1", 3, "A", "x", "F", "mathematics", "division", 2, ""],
            "grade",
            "This competency is not assessed in grade 3.",
        ),
        (
            ["A1", 3, "A", "", "F", "language", "read", "", "word"],
            "student_id",
            "The student ID is missing.",
        ),
        (
            ["A1", 3, "A", "x" * 41, "F", "language", "read", "", "word"],
            "student_id",
            "The student ID is longer than 40 characters.",
        ),
        (
            ["A1", 3, "A", "x", "Q", "language", "read", "", "word"],
            "gender",
            "The gender is F (girl), M (boy), O (other) or empty.",
        ),
        (
            ["A1", 3, "A", "x", "F", "science", "read", "", "word"],
            "subject",
            "The round does not assess this subject.",
        ),
        (
            ["A1", 3, "A", "x", "F", "language", "spell", "", "word"],
            "competency",
            "The round has no competency with this code in this subject.",
        ),
        (
            ["A1", 3, "A", "x", "F", "mathematics", "place-value", 11, ""],
            "score",
            "The score must lie from 0 to 10.",
        ),
        (
            ["A1", 3, "A", "x", "F", "mathematics", "place-value", -1, ""],
            "score",
            "The score must lie from 0 to 10.",
        ),
        (
            ["A1", 3, "A", "x", "F", "mathematics", "place-value", "7a", ""],
            "score",
            "The score is not a number.",
        ),
        (
            ["A1", 3, "A", "x", "F", "mathematics", "place-value", "nan", ""],
            "score",
            "The score is not a number.",
        ),
        (
            ["A1", 3, "A", "x", "F", "mathematics", "place-value", "", ""],
            "score",
            "The score is missing.",
        ),
        (
            ["A1", 3, "A", "x", "F", "language", "read", "", "sentence"],
            "level",
            "Not a level of this subject: beginner, letter, word, story.",
        ),
        (["A1", 3, "A", "x", "F", "language", "read", "", ""], "level", "The level is missing."),
    ],
)
def test_each_bad_row_is_named_and_nothing_is_imported(
    baseline: Round, tmp_path: Path, row: list[Any], column: str, reason: str
) -> None:
    batch = run_import(baseline, write_csv(tmp_path / "r.csv", [*GOOD, row]))

    assert batch.status == ResultImport.Status.REFUSED
    assert problems_of(batch) == [(8, column, str(row[HEADER_INDEX[column]]), reason)]
    assert "Nothing was imported: 1 of 7 rows" in batch.message
    assert not Result.objects.exists() and not ResultCell.objects.exists()


HEADER_INDEX = {
    "school_code": 0,
    "grade": 1,
    "student_id": 3,
    "gender": 4,
    "subject": 5,
    "competency": 6,
    "score": 7,
    "level": 8,
}


def test_a_school_outside_the_uploaders_area(baseline: Round, tmp_path: Path, world: Any) -> None:
    batch = run_import(baseline, write_csv(tmp_path / "r.csv", GOOD), by=world.outsider)

    assert [(line, value, reason) for line, _c, value, reason in problems_of(batch)] == [
        (2, "A1", "This school is outside your area."),
        (3, "A1", "This school is outside your area."),
        (4, "A1", "This school is outside your area."),
        (5, "A1", "This school is outside your area."),
        (6, "A2", "This school is outside your area."),
    ]


def test_a_school_outside_the_rounds_area(world: Any, tmp_path: Path) -> None:
    from clusterwise.learning.services import round_load

    from .conftest import round_data

    cluster_round = round_load(data=round_data(key="cb-only", run_by="CB"), by=None)
    batch = run_import(cluster_round, write_csv(tmp_path / "r.csv", GOOD[-1:] + GOOD[:1]))

    assert problems_of(batch) == [
        (3, "school_code", "A1", "This school is outside the round's area.")
    ]


def test_duplicates_in_the_file_and_differences_with_stored_results(
    baseline: Round, tmp_path: Path
) -> None:
    run_import(baseline, write_csv(tmp_path / "first.csv", GOOD[:2]))
    rows = [
        GOOD[0],  # already stored as it is: fine
        ["A1", 3, "A", "s1", "F", "mathematics", "place-value", 9, ""],  # stored as 8
        GOOD[2],
        GOOD[2],  # twice in the file
    ]
    batch = run_import(baseline, write_csv(tmp_path / "second.csv", rows))

    assert batch.status == ResultImport.Status.REFUSED
    assert problems_of(batch) == [
        (
            3,
            "score",
            "9",
            "This student already has a different stored result for this competency "
            "(score 8); it is not replaced.",
        ),
        (5, "student_id", "s2", "Row 4 has the same student and competency."),
    ]
    assert Result.objects.count() == 2


def test_quarantine_imports_the_good_rows_and_keeps_the_bad_ones_for_correction(
    baseline: Round, tmp_path: Path
) -> None:
    bad = ["A1", 3, "A", "s9", "F", "mathematics", "place-value", 12, ""]
    twice = GOOD[1]
    path = write_csv(tmp_path / "r.csv", [*GOOD, bad, twice])
    batch = run_import(baseline, path, mode=ResultImport.Mode.QUARANTINE)

    assert (batch.status, batch.added, batch.rejected, batch.errors) == ("done", 6, 2, 2)
    assert "6 rows imported; 2 rows set aside" in batch.message
    assert list(QuarantinedRow.objects.values_list("line", flat=True)) == [8, 9]
    report = "".join(quarantine_csv(batch)).splitlines()
    assert (
        report[0]
        == "row,school_code,grade,section,student_id,gender,subject,competency,score,level"
    )
    assert report[1] == "8,A1,3,A,s9,F,mathematics,place-value,12,"
    assert report[2] == "9,A1,3,A,s1,F,mathematics,place-value,8,"
    errors = "".join(problems_csv(batch)).splitlines()
    assert errors[1] == "8,score,12,The score must lie from 0 to 10."

    # The corrected row goes in on its own; the duplicate was already there.
    fixed = write_csv(tmp_path / "fixed.csv", [bad[:7] + [9, ""], GOOD[1]])
    again = run_import(baseline, fixed)
    assert (again.status, again.added, again.unchanged) == ("done", 1, 1)
    assert Result.objects.count() == 7


def test_re_importing_adds_nothing(baseline: Round, tmp_path: Path) -> None:
    path = write_csv(tmp_path / "r.csv", GOOD)
    first = run_import(baseline, path)
    cells = sorted(ResultCell.objects.values_list("org_path", "competency", "gender", "students"))
    same = run_import(baseline, path)
    overlapping = run_import(
        baseline,
        write_csv(
            tmp_path / "more.csv",
            [*GOOD, ["A2", 4, "A", "s5", "M", "language", "read", "", "beginner"]],
        ),
    )

    assert (first.added, same.added, same.unchanged) == (6, 0, 6)
    assert "nothing was added" in same.message
    assert (overlapping.added, overlapping.unchanged) == (1, 6)
    assert Result.objects.count() == 7
    assert len(ResultCell.objects.all()) > len(cells)


def test_excel_and_other_delimiters(baseline: Round, tmp_path: Path) -> None:
    xlsx = run_import(baseline, write_xlsx(tmp_path / "r.xlsx", GOOD[:3]))
    tabs = run_import(baseline, write_csv(tmp_path / "t.csv", GOOD[3:], delimiter="\t"))

    assert (xlsx.status, xlsx.added, tabs.status, tabs.added) == ("done", 3, "done", 3)
    assert Result.objects.get(student="s2", competency__code="place-value").score == 6.5


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The first row must name the columns"),
        (
            b"school_code,grade,student_id,subject,competency,score\n",
            "The file has a header but no rows.",
        ),
        (
            b"school_code,grade,subject,competency,score\nA1,3,language,read,2\n",
            "The file lacks the columns student_id.",
        ),
        (
            b"school_code,grade,student_id,subject,competency\nA1,3,s,language,read\n",
            "The file lacks the columns score.",
        ),
        (
            "school_code,grade,student_id,subject,competency,score\nA1,3,é,language,read,2\n".encode(
                "latin-1"
            ),
            "not UTF-8",
        ),
    ],
)
def test_files_that_cannot_be_read_are_refused_with_the_reason(
    baseline: Round, tmp_path: Path, content: bytes, message: str
) -> None:
    path = tmp_path / "r.csv"
    path.write_bytes(content)
    batch = run_import(baseline, path)

    assert batch.status == ResultImport.Status.REFUSED
    assert message in batch.message
    assert not Result.objects.exists()


def test_a_closed_round_takes_no_results(baseline: Round, tmp_path: Path) -> None:
    Round.objects.filter(pk=baseline.pk).update(status=Round.Status.CLOSED)
    baseline.refresh_from_db()
    batch = run_import(baseline, write_csv(tmp_path / "r.csv", GOOD))

    assert (batch.status, batch.message) == (
        "refused",
        "The round is closed: it takes no more results.",
    )


def test_the_command_imports_and_reports(baseline: Round, tmp_path: Path, capsys: Any) -> None:
    good = write_csv(tmp_path / "good.csv", GOOD)
    call_command("import_results", str(good), round="baseline", verbosity=0)
    assert "6 added" in capsys.readouterr().out

    errors = tmp_path / "errors.csv"
    bad = write_csv(
        tmp_path / "bad.csv", [["A1", 9, "A", "z", "F", "language", "read", "", "word"]]
    )
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_results", str(bad), round="baseline", errors=str(errors), verbosity=0)
    assert "row 2, grade = '9': The round does not assess grade 9." in capsys.readouterr().err
    assert errors.read_text().splitlines()[1] == "2,grade,9,The round does not assess grade 9."
