"""XLSForm export and import of observation instruments (pure: no database)."""

from __future__ import annotations

import copy
import json
import shutil
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from pyxform.xls2xform import convert

from clusterwise.observation.xlsform import (
    instrument_to_xlsform,
    normalise_instrument,
    xlsform_to_instrument,
)

INSTRUMENTS = Path(__file__).resolve().parent.parent / "instruments"
FILES = ("teach_classroom.json", "quick_visit.json")


def load(name: str) -> dict[str, Any]:
    return json.loads((INSTRUMENTS / name).read_text(encoding="utf-8"))


def messages(error: pytest.ExceptionInfo[ValidationError]) -> list[str]:
    return [str(message) for message in error.value.messages]


def workbook(sheets: dict[str, list[list[Any]]]) -> bytes:
    """An .xlsx with these sheets, each a list of rows (the first is the header)."""
    book = Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = BytesIO()
    book.save(out)
    return out.getvalue()


# --- export ---------------------------------------------------------------------------


def test_export_sheets_and_settings() -> None:
    data = load("teach_classroom.json")
    book = load_workbook(BytesIO(instrument_to_xlsform(data, version=7)))
    assert book.sheetnames == ["survey", "choices", "settings"]
    settings_rows = list(book["settings"].iter_rows(values_only=True))
    assert dict(zip(settings_rows[0], settings_rows[1], strict=True)) == {
        "form_title": data["name"]["en"],
        "form_id": "teach-classroom",
        "version": "7",
        "default_language": "English (en)",
    }
    header = next(book["survey"].iter_rows(values_only=True))
    assert {"label::English (en)", "label::Hindi (hi)", "label::Marathi (mr)"} <= set(header)
    assert {"hint::English (en)", "hint::Hindi (hi)", "hint::Marathi (mr)"} <= set(header)
    rows = [
        dict(zip(header, row, strict=True))
        for row in book["survey"].iter_rows(min_row=2, values_only=True)
    ]
    types = [(row["type"], row["name"]) for row in rows]
    assert types[:3] == [
        ("note", "about"),
        ("calculate", "kind"),
        ("calculate", "duration_minutes"),
    ]
    assert ("begin_group", "snapshot_15") in types
    assert ("select_one scale_instruction.feedback", "instruction.feedback") in types
    assert types[-1] == ("text", "evidence_notes")
    choices_header = next(book["choices"].iter_rows(values_only=True))
    choices = [
        dict(zip(choices_header, row, strict=True))
        for row in book["choices"].iter_rows(min_row=2, values_only=True)
    ]
    scale = [row for row in choices if row["list_name"] == "scale_culture.environment"]
    assert [row["name"] for row in scale] == ["1", "2", "3", "4", "5"]
    assert scale[1]["label::Hindi (hi)"] == "2"  # a point without a descriptor is its number
    assert scale[2]["label::Marathi (mr)"].startswith("3 — ")


@pytest.mark.parametrize("name", FILES)
def test_export_converts_with_pyxform_without_warnings(name: str, tmp_path: Path) -> None:
    data = load(name)
    path = tmp_path / f"{data['key']}.xlsx"
    path.write_bytes(instrument_to_xlsform(data))
    warnings: list[str] = []
    result = convert(xlsform=path, warnings=warnings, form_name="data")
    assert warnings == []
    assert "<h:title>" + data["name"]["en"] + "</h:title>" in result.xform
    for language in ("English (en)", "Hindi (hi)", "Marathi (mr)"):
        assert f'lang="{language}"' in result.xform
    item = data["sections"][0]["items"][0]
    assert f"/data/{data['sections'][0]['code']}/{item['code']}" in result.xform
    assert item["descriptors"]["5"]["mr"] in result.xform


def test_export_converts_from_bytes() -> None:
    warnings: list[str] = []
    convert(
        xlsform=instrument_to_xlsform(load("quick_visit.json")),
        warnings=warnings,
        file_type=".xlsx",
    )
    assert warnings == []


@pytest.mark.skipif(shutil.which("java") is None, reason="ODK Validate needs Java")
def test_export_passes_odk_validate() -> None:
    warnings: list[str] = []
    convert(
        xlsform=instrument_to_xlsform(load("quick_visit.json")),
        warnings=warnings,
        file_type=".xlsx",
        validate=True,
    )
    assert warnings == []


# --- round trip -----------------------------------------------------------------------


@pytest.mark.parametrize("name", FILES)
def test_round_trip(name: str) -> None:
    data = load(name)
    assert normalise_instrument(data) == data  # the bundled files are in normal form
    assert xlsform_to_instrument(instrument_to_xlsform(data)) == data


def test_import_from_path_and_file(tmp_path: Path) -> None:
    data = load("quick_visit.json")
    path = tmp_path / "quick.xlsx"
    path.write_bytes(instrument_to_xlsform(data))
    assert xlsform_to_instrument(path) == data
    assert xlsform_to_instrument(str(path)) == data
    with path.open("rb") as handle:
        assert xlsform_to_instrument(handle) == data


def test_round_trip_normalises() -> None:
    data = copy.deepcopy(load("quick_visit.json"))
    item = data["sections"][0]["items"][0]
    item["descriptors"]["4"] = {
        "en": "  Most students work; a few wait.  ",
        "hi": "",
        "mr": "=सूत्र नव्हे",
    }
    item["descriptors"]["2"] = {"en": "2 — starts like a label"}
    del item["guidance"]
    data["description"] = {}
    data["name"]["hi"] = "  "
    expected = normalise_instrument(data)
    assert expected["sections"][0]["items"][0]["descriptors"]["4"] == {
        "en": "Most students work; a few wait.",
        "mr": "=सूत्र नव्हे",
    }
    assert "hi" not in expected["name"]
    assert xlsform_to_instrument(instrument_to_xlsform(data)) == expected


_text = st.text(
    alphabet=st.sampled_from("abcxyz ABC 0123456789 .,;:'—-()?अआकखमराठीहिंदी"),
    min_size=1,
    max_size=30,
).filter(lambda text: text.strip() != "")
_texts = st.fixed_dictionaries({"en": _text}, optional={"hi": _text, "mr": _text})


@st.composite
def instruments(draw: st.DrawFn) -> dict[str, Any]:
    duration = draw(st.integers(min_value=5, max_value=180))
    minutes = sorted(draw(st.sets(st.integers(min_value=1, max_value=duration), max_size=4)))
    sections = []
    for s_index in range(draw(st.integers(min_value=1, max_value=3))):
        code = f"s{s_index}"
        items = []
        for i_index in range(draw(st.integers(min_value=1, max_value=3))):
            points = {"1", "3", "5"} | draw(st.sets(st.sampled_from(["2", "4"])))
            items.append(
                {
                    "code": f"{code}.i{i_index}",
                    "name": draw(_texts),
                    **({"guidance": draw(_texts)} if draw(st.booleans()) else {}),
                    "descriptors": {point: draw(_texts) for point in sorted(points)},
                }
            )
        sections.append({"code": code, "name": draw(_texts), "items": items})
    return {
        "key": draw(st.from_regex(r"[a-z][-a-z0-9]{0,20}", fullmatch=True)),
        "kind": draw(st.sampled_from(["full", "quick"])),
        "name": draw(_texts),
        "description": draw(st.one_of(st.just({}), _texts)),
        "duration_minutes": duration,
        "snapshot_minutes": minutes,
        "sections": sections,
    }


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instruments())
def test_round_trip_any_instrument(data: dict[str, Any]) -> None:
    assert xlsform_to_instrument(instrument_to_xlsform(data)) == normalise_instrument(data)


# --- import of hand-made forms ----------------------------------------------------------

SETTINGS = [["form_title", "form_id"], ["Hand-made", "hand-made"]]
CHOICES_HEADER = ["list_name", "name", "label::English (en)"]


def scale(list_name: str, labels: dict[str, str]) -> list[list[str]]:
    return [[list_name, point, labels.get(point, point)] for point in ("1", "2", "3", "4", "5")]


def test_bad_form_gives_row_specific_messages() -> None:
    survey_sheet = [
        ["type", "name", "label::English (en)", "calculation"],
        ["calculate", "kind", None, "'sometimes'"],  # row 2: not a kind
        ["calculate", "duration_minutes", None, 40],  # row 3
        ["begin_group", "snapshot_ten", "Snapshot", None],  # row 4: minute not a number
        ["end_group", "snapshot_ten", None, None],  # row 5
        ["begin_group", "culture", "Culture", None],  # row 6
        ["select_one scale_a", "culture.a", "Item A", None],  # row 7
        ["select_one scale_x", "culture.b", "Item B", None],  # row 8: unknown list
        ["select_one scale_a", "culture.a", "Item A again", None],  # row 9: duplicate code
        ["select_one scale_c", "culture.c", "Item C", None],  # row 10: no descriptor for 3
        ["end_group", "culture", None, None],  # row 11
    ]
    choices = [
        CHOICES_HEADER,
        *scale("scale_a", {"1": "1 — low", "3": "3 — mid", "5": "5 — high"}),
        *scale("scale_c", {"1": "1 — low", "5": "5 — high"}),  # choices rows 7-11; 3 is row 9
    ]
    with pytest.raises(ValidationError) as error:
        xlsform_to_instrument(
            workbook({"survey": survey_sheet, "choices": choices, "settings": SETTINGS})
        )
    found = messages(error)
    expected = [
        "survey row 2, column calculation: the kind must be 'full' or 'quick', not “sometimes”.",
        "survey row 4, column name: “snapshot_ten” does not give the snapshot minute as a whole number",
        "survey row 8, column type: “select_one scale_x” uses a choice list that the choices sheet does not have.",
        "survey row 9, column name: the item code “culture.a” is already used in row 7.",
        "choices row 9, column label::English (en): item “culture.c” has no descriptor for 3",
    ]
    for start in expected:
        assert any(message.startswith(start) for message in found), (start, found)
    assert len(found) == len(expected)


def test_missing_sheets() -> None:
    with pytest.raises(ValidationError) as error:
        xlsform_to_instrument(workbook({"survey": [["type", "name"]]}))
    assert messages(error) == [
        "The workbook has no “choices” sheet.",
        "The workbook has no “settings” sheet.",
    ]


def test_not_a_workbook() -> None:
    with pytest.raises(ValidationError) as error:
        xlsform_to_instrument(b"type,name\nnote,about\n")
    assert messages(error) == ["The file is not an Excel workbook (.xlsx)."]


def test_structure_errors() -> None:
    survey = [
        ["type", "name", "label::English (en)", "calculation"],
        ["calculate", "kind", None, "'quick'"],
        ["calculate", "duration_minutes", None, "15"],
        ["begin_group", "snapshot_20", "Too late", None],  # row 4: after the lesson
        ["end_group", None, None, None],
        ["begin_group", "snapshot_10", "Earlier", None],  # row 6: not ascending
        ["end_group", None, None, None],
        ["select_one scale_a", "loose", "Outside", None],  # row 8: outside a section
        ["begin_group", "empty", "Empty", None],  # row 9: no items
        ["end_group", None, None, None],
        ["begin_group", "open", "Never closed", None],  # row 11
        ["select_one scale_a", "open.a", None, None],  # row 12: no English label
    ]
    choices = [
        CHOICES_HEADER,
        *scale("scale_a", {"1": "1 — low", "3": "3 — mid", "5": "5 — high"}),
        ["scale_a", "6", "6 — off the scale"],  # row 7
    ]
    settings_sheet = [["form_id"], ["Not A Key"]]
    with pytest.raises(ValidationError) as error:
        xlsform_to_instrument(
            workbook({"survey": survey, "choices": choices, "settings": settings_sheet})
        )
    found = messages(error)
    expected = [
        "settings row 2, column form_id: “Not A Key” is not a valid key",
        "survey row 8, column type: question “loose” is outside any section group",
        "survey row 9: section “empty” has no items",
        "survey row 12, column label::English (en): item “open.a” has no English label.",
        "choices row 7, column name: “6” is not a point of the 1–5 scale",
        "survey row 11, column name: group “open” is never closed with end_group.",
        "survey row 4, column name: snapshot minute 20 is outside the lesson (1 to 15).",
        "survey row 6, column name: snapshot minute 10 does not come after the previous one (20).",
        "The form needs a name",
    ]
    for start in expected:
        assert any(message.startswith(start) for message in found), (start, found)
    assert len(found) == len(expected)


def test_team_authored_form_conventions() -> None:
    """A form written by hand: plain label for the default language, language names without
    codes, choice labels without their numbers, extra metadata and text questions."""
    survey = [
        ["type", "name", "label", "label::Hindi", "hint", "calculation"],
        ["start", "start", None, None, None, None],
        ["note", "about", "Reading corner visit", "पठन कोना भेंट", "Ten minutes.", None],
        ["calculate", "kind", None, None, None, '"quick"'],
        ["calculate", "duration_minutes", None, None, None, 10],
        ["begin group", "snapshot_3", "Snapshot", None, None, None],
        ["select_one yes_no", "snapshot_3_activity", "Activity?", None, None, None],
        ["end group", None, None, None, None, None],
        ["begin_group", "reading", "Reading", "पठन", None, None],
        [
            "select_one books",
            "reading.books",
            "Books in use",
            "पुस्तकों का उपयोग",
            "Count them.",
            None,
        ],
        ["text", "reading_notes", "Notes", None, None, None],
        ["end_group", None, None, None, None, None],
    ]
    choices = [
        ["list_name", "name", "label", "label::Hindi"],
        ["yes_no", "yes", "Yes", "हाँ"],
        ["yes_no", "no", "No", "नहीं"],
        ["books", 1, "No books are out", "कोई पुस्तक नहीं"],
        ["books", 2, "2", None],
        ["books", 3, "Some children read", None],
        ["books", 4, "4", None],
        ["books", 5, "5: Every child reads", "5: हर बच्चा पढ़ता है"],
    ]
    result = xlsform_to_instrument(
        workbook(
            {
                "survey": survey,
                "choices": choices,
                "settings": [["form_id", "form_title"], ["reading-corner", "Reading corner"]],
            }
        )
    )
    assert result == {
        "key": "reading-corner",
        "kind": "quick",
        "name": {"en": "Reading corner visit", "hi": "पठन कोना भेंट"},
        "description": {"en": "Ten minutes."},
        "duration_minutes": 10,
        "snapshot_minutes": [3],
        "sections": [
            {
                "code": "reading",
                "name": {"en": "Reading", "hi": "पठन"},
                "items": [
                    {
                        "code": "reading.books",
                        "name": {"en": "Books in use", "hi": "पुस्तकों का उपयोग"},
                        "guidance": {"en": "Count them."},
                        "descriptors": {
                            "1": {"en": "No books are out", "hi": "कोई पुस्तक नहीं"},
                            "3": {"en": "Some children read"},
                            "5": {"en": "Every child reads", "hi": "हर बच्चा पढ़ता है"},
                        },
                    }
                ],
            }
        ],
    }
