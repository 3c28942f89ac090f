"""The bundled observation instruments: complete in English, Hindi and Marathi, and in the
shape the loader expects."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

INSTRUMENTS = Path(__file__).resolve().parent.parent / "instruments"
FILES = {
    "teach_classroom.json": ("teach-classroom", "full"),
    "quick_visit.json": ("quick-visit", "quick"),
}
LANGUAGES = {"en", "hi", "mr"}
DEVANAGARI = re.compile(r"[\u0900-\u097F]")
LATIN = re.compile(r"[A-Za-z]")
CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,59}$")  # as services.instrument_load checks
SENTENCE_END = re.compile(r"[.!?](?=\s|$)")


def load(name: str) -> dict[str, Any]:
    return json.loads((INSTRUMENTS / name).read_text(encoding="utf-8"))


def texts(data: dict[str, Any]) -> Iterator[tuple[str, dict[str, str]]]:
    """Every multilingual text of an instrument, with where it is."""
    yield "name", data["name"]
    yield "description", data["description"]
    for section in data["sections"]:
        yield section["code"], section["name"]
        for item in section["items"]:
            yield item["code"], item["name"]
            if "guidance" in item:
                yield f"{item['code']} guidance", item["guidance"]
            for point, descriptor in item["descriptors"].items():
                yield f"{item['code']} {point}", descriptor


@pytest.fixture(params=sorted(FILES))
def instrument(request: pytest.FixtureRequest) -> tuple[str, dict[str, Any]]:
    return request.param, load(request.param)


def test_shape(instrument: tuple[str, dict[str, Any]]) -> None:
    name, data = instrument
    key, kind = FILES[name]
    assert set(data) == {
        "key",
        "kind",
        "name",
        "description",
        "duration_minutes",
        "snapshot_minutes",
        "sections",
    }
    assert (data["key"], data["kind"]) == (key, kind)
    assert isinstance(data["duration_minutes"], int)
    for section in data["sections"]:
        assert set(section) == {"code", "name", "items"}
        for item in section["items"]:
            assert set(item) <= {"code", "name", "guidance", "descriptors"}


def test_every_text_in_three_languages(instrument: tuple[str, dict[str, Any]]) -> None:
    _name, data = instrument
    for where, text in texts(data):
        assert set(text) == LANGUAGES, where
        for language, value in text.items():
            assert isinstance(value, str), (where, language)
            assert value.strip() == value != "", (where, language)


def test_hindi_and_marathi_are_devanagari(instrument: tuple[str, dict[str, Any]]) -> None:
    _name, data = instrument
    for where, text in texts(data):
        for language in ("hi", "mr"):
            assert DEVANAGARI.search(text[language]), (where, language)
            assert not LATIN.search(text[language]), (where, language, text[language])
        assert not DEVANAGARI.search(text["en"]), where


def test_codes_unique_and_prefixed(instrument: tuple[str, dict[str, Any]]) -> None:
    _name, data = instrument
    codes: list[str] = []
    for section in data["sections"]:
        assert CODE.match(section["code"])
        assert section["items"], section["code"]
        codes.append(section["code"])
        for item in section["items"]:
            assert CODE.match(item["code"]), item["code"]
            assert item["code"].startswith(section["code"] + "."), item["code"]
            codes.append(item["code"])
    # Sections and items share one namespace in the loader.
    assert len(codes) == len(set(codes))


def test_descriptors(instrument: tuple[str, dict[str, Any]]) -> None:
    _name, data = instrument
    for section in data["sections"]:
        for item in section["items"]:
            points = set(item["descriptors"])
            assert {"1", "3", "5"} <= points <= {"1", "2", "3", "4", "5"}, item["code"]
            for point, descriptor in item["descriptors"].items():
                # Descriptors are short enough to read while observing: one or two sentences.
                sentences = len(SENTENCE_END.findall(descriptor["en"]))
                assert 1 <= sentences <= 2, (item["code"], point)
            assert len(set(map(str, item["descriptors"].values()))) == len(points), item["code"]


def test_snapshots_within_lesson(instrument: tuple[str, dict[str, Any]]) -> None:
    _name, data = instrument
    minutes = data["snapshot_minutes"]
    assert minutes
    assert all(isinstance(minute, int) for minute in minutes)
    assert minutes == sorted(set(minutes))
    assert all(0 < minute <= data["duration_minutes"] for minute in minutes)


def test_teach_classroom_structure() -> None:
    data = load("teach_classroom.json")
    assert data["duration_minutes"] == 40
    assert data["snapshot_minutes"] == [5, 15, 25]
    assert [
        (section["code"], [item["code"].split(".", 1)[1] for item in section["items"]])
        for section in data["sections"]
    ] == [
        ("culture", ["environment", "behaviour"]),
        ("instruction", ["facilitation", "understanding", "feedback", "thinking"]),
        ("socioemotional", ["autonomy", "perseverance", "collaboration"]),
    ]


def test_quick_visit_structure() -> None:
    data = load("quick_visit.json")
    assert data["duration_minutes"] == 15
    assert data["snapshot_minutes"] == [5]
    assert len(data["sections"]) == 1
    assert len(data["sections"][0]["items"]) == 4
