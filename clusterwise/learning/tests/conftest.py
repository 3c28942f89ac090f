"""A round over the shared test world, and helpers writing real results files."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook

from clusterwise.learning.imports import import_results
from clusterwise.learning.models import ResultImport, Round
from clusterwise.learning.services import round_load

HEADER = [
    "school_code",
    "grade",
    "section",
    "student_id",
    "gender",
    "subject",
    "competency",
    "score",
    "level",
]
# A clean file's rows: schools A1 and A2 (cluster A) and B1S (cluster B).
GOOD_ROWS: list[list[Any]] = [
    ["A1", 3, "A", "s1", "F", "language", "read", "", "word"],
    ["A1", 3, "A", "s1", "F", "mathematics", "place-value", 8, ""],
    ["A1", 4, "B", "s2", "M", "mathematics", "place-value", "6.5", ""],
    ["A1", 4, "B", "s2", "M", "mathematics", "division", 5, ""],
    ["A2", 3, "A", "s3", "girl", "language", "read", "", "letter"],
    ["B1S", 4, "A", "s4", "", "language", "read", "", "story"],
]


def round_data(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "key": "baseline",
        "name": {"en": "Baseline", "mr": "पायाभूत"},
        "run_by": "MH",
        "starts_on": "2026-07-01",
        "ends_on": "2026-07-31",
        "grades": [3, 4],
        "unit": "student",
        "levels": {
            "language": [
                {"code": "beginner", "name": "Beginner"},
                {"code": "letter", "name": "Letter"},
                {"code": "word", "name": "Word"},
                {"code": "story", "name": "Story"},
            ]
        },
        "competencies": [
            {
                "subject": "language",
                "code": "read",
                "name": "Reading level",
                "scale": "level",
                "proficient_from": "word",
            },
            {
                "subject": "mathematics",
                "code": "place-value",
                "name": "Place value",
                "scale": "score",
                "max_score": 10,
                "proficient_from": 7.5,
            },
            {
                "subject": "mathematics",
                "code": "division",
                "name": "Division",
                "scale": "score",
                "max_score": 5,
                "proficient_from": 4,
                "grades": [4],
            },
        ],
    }
    data.update(changes)
    return data


@pytest.fixture
def baseline(world: Any) -> Round:
    return round_load(data=round_data(), by=None)


def write_csv(
    path: Path, rows: list[list[Any]], *, delimiter: str = ",", bom: bool = False
) -> Path:
    with path.open("w", encoding="utf-8-sig" if bom else "utf-8", newline="") as fh:
        writer = csv.writer(fh, delimiter=delimiter)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list[Any]]) -> Path:
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def run_import(
    round_: Round, path: Path, by: Any = None, mode: str = ResultImport.Mode.ALL_OR_NOTHING
) -> ResultImport:
    return import_results(round_=round_, path=path, file_name=path.name, by=by, mode=mode)


def problems_of(batch: ResultImport) -> list[tuple[int, str, str, str]]:
    return [(p.line, p.column, p.value, p.reason) for p in batch.problems.order_by("line", "id")]


def definition_json(tmp_path: Path, **changes: Any) -> Path:
    path = tmp_path / "round.json"
    path.write_text(json.dumps(round_data(**changes)), encoding="utf-8")
    return path
