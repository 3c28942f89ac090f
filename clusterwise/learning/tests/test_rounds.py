"""Defining assessment rounds: every problem named by where it is; frozen once results exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from clusterwise.learning.models import Competency, Round
from clusterwise.learning.services import round_load

from .conftest import GOOD_ROWS, definition_json, round_data, run_import, write_csv

BUNDLED = Path(__file__).resolve().parents[1] / "rounds" / "foundational_baseline.json"


def test_a_round_is_defined_with_its_levels_and_competencies(world: Any) -> None:
    round_ = round_load(data=round_data(), by=world.state_officer)

    read = round_.competencies.get(code="read")
    assert (read.scale, read.max_score, read.threshold) == ("level", 3.0, 2.0)
    place = round_.competencies.get(code="place-value")
    assert (place.max_score, place.threshold, place.grades) == (10.0, 7.5, [3, 4])
    assert round_.competencies.get(code="division").grades == [4]
    assert [lv.code for lv in round_.levels.order_by("order")] == [
        "beginner",
        "letter",
        "word",
        "story",
    ]
    assert round_.org_path == world.state.path
    assert round_.history.count() == 1


def test_the_bundled_definition_loads(world: Any) -> None:
    call_command("load_round", str(BUNDLED), verbosity=0)
    round_ = Round.objects.get(key="2026-baseline")
    assert round_.competencies.count() == 6
    assert round_.competencies.get(code="read-level").threshold == 3.0  # "paragraph"


@pytest.mark.parametrize(
    ("changes", "where", "message"),
    [
        ({"key": "Bad Key"}, "key", "A key of lowercase letters"),
        ({"run_by": "XX"}, "run_by", "No org unit has this code."),
        ({"run_by": "A1"}, "run_by", "not a school"),
        ({"starts_on": "2026-13-01"}, "starts_on", "Write the date as YYYY-MM-DD."),
        ({"ends_on": "2026-06-01"}, "ends_on", "The round ends before it starts."),
        ({"grades": [3, 14]}, "grades", "“14” is not a grade from 1 to 12."),
        ({"unit": "class"}, "unit", "Per-class results cannot be imported yet"),
        ({"competencies": []}, "competencies", "A round assesses at least one competency."),
        (
            {"levels": {"language": [{"code": "only", "name": "Only"}]}},
            "levels.language",
            "A scale has 2 to 6 levels",
        ),
    ],
)
def test_each_problem_is_named_by_where_it_is(
    world: Any, changes: dict[str, Any], where: str, message: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        round_load(data=round_data(**changes), by=None)
    assert any(message in m for m in caught.value.message_dict[where])
    assert not Round.objects.exists()


def test_problems_inside_competencies_are_all_reported_at_once(world: Any) -> None:
    data = round_data()
    data["competencies"][1].update(max_score=0, proficient_from=12)
    data["competencies"][2].update(code="place-value", grades=[5])
    data["competencies"].append(
        {
            "subject": "language",
            "code": "x",
            "name": "X",
            "scale": "level",
            "proficient_from": "poem",
        }
    )

    with pytest.raises(ValidationError) as caught:
        round_load(data=data, by=None)
    found = caught.value.message_dict
    assert found["competencies.1.max_score"] == ["The maximum score must be above 0."]
    assert found["competencies.1.proficient_from"] == [
        "The proficiency score lies from 0 to the maximum."
    ]
    assert found["competencies.2.code"] == ["“place-value” is used twice."]
    assert found["competencies.2.grades"] == ["Grade 5 is not one of the round's."]
    assert found["competencies.3.proficient_from"] == [
        "Name the level from which a child is proficient."
    ]


def test_a_round_outside_the_users_area_is_refused(world: Any) -> None:
    with pytest.raises(ValidationError) as caught:
        round_load(data=round_data(run_by="CB"), by=world.crc)
    assert caught.value.message_dict["run_by"] == ["This org unit is outside your area."]


def test_redefining_is_possible_until_results_exist(baseline: Round, tmp_path: Path) -> None:
    again = round_load(data=round_data(grades=[3, 4, 5]), by=None)
    assert again.pk == baseline.pk and again.grades == [3, 4, 5] and again.version == 2
    assert Competency.objects.filter(round=baseline).count() == 3

    run_import(again, write_csv(tmp_path / "r.csv", GOOD_ROWS[:1]))
    with pytest.raises(ValidationError) as caught:
        round_load(data=round_data(), by=None)
    assert caught.value.message_dict["key"] == [
        "This round has results; its definition can no longer change."
    ]


def test_the_command_lists_every_problem(world: Any, tmp_path: Path) -> None:
    path = definition_json(tmp_path, run_by="XX", grades=[])
    with pytest.raises(CommandError) as caught:
        call_command("load_round", str(path), verbosity=0)
    assert "run_by: No org unit has this code." in str(caught.value)
    assert "grades: List the grades as whole numbers" in str(caught.value)
