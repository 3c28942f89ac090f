"""The small demo carries learning data: a baseline and an endline whose numbers tell the
programme's story (the pilot's block is the weakest, the endline is better, most there)."""

from __future__ import annotations

import datetime
import io
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count, QuerySet, Sum

from clusterwise.demo.learning import ENDLINE, load_learning
from clusterwise.learning.models import Result, ResultCell, ResultImport, Round
from clusterwise.org.models import OrgUnit, School
from clusterwise.programme.models import CohortMember

STEP = OrgUnit.steplen


@pytest.fixture(scope="module")
def small_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The small demo, loaded once for this module and rolled back after it; its summary."""
    out = io.StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo", "--scale", "small", verbosity=0, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo(small_demo: str, db: None) -> str:
    return small_demo


def _round(key: str) -> Round:
    return Round.objects.get(key=key)


def _cells(key: str, code: str, **filters: Any) -> QuerySet[ResultCell]:
    return ResultCell.objects.filter(round__key=key, competency__code=code, **filters)


def _mean(cells: QuerySet[ResultCell]) -> float:
    sums = cells.aggregate(total=Sum("total"), students=Sum("students"))
    return sums["total"] / sums["students"]


def _block_means(key: str, code: str) -> dict[str, float]:
    """Each block's mean in the competency, by block path."""
    rows = (
        _cells(key, code, depth=3)
        .values("org_path")
        .annotate(total=Sum("total"), students=Sum("students"))
    )
    return {row["org_path"]: row["total"] / row["students"] for row in rows}


def _pilot_blocks() -> set[str]:
    paths = CohortMember.objects.filter(cohort__kind="pilot", role="crc").values_list(
        "org_path", flat=True
    )
    return {path[: 3 * STEP] for path in paths}


def test_the_baseline_and_the_endline_are_imported_through_the_real_pipeline(demo) -> None:
    baseline, endline = _round("2026-baseline"), _round("2027-endline")
    assert Round.objects.count() == 2
    assert baseline.name["en"] == "Foundational learning baseline 2026"
    assert endline.name == ENDLINE["name"]
    assert set(endline.name) == {"en", "mr", "hi"}
    assert (baseline.starts_on, baseline.ends_on) == (
        datetime.date(2026, 7, 1),
        datetime.date(2026, 7, 31),
    )
    assert (endline.starts_on, endline.ends_on) == (
        datetime.date(2027, 2, 1),
        datetime.date(2027, 2, 28),
    )
    for round_ in (baseline, endline):
        assert round_.grades == [2, 3, 4, 5]
        assert round_.levels.count() == 10
        assert list(round_.competencies.order_by("order").values_list("code", flat=True)) == [
            "read-level",
            "read-comprehension",
            "write-words",
            "arith-level",
            "place-value",
            "word-problems",
        ]
        (batch,) = ResultImport.objects.filter(round=round_)
        assert (batch.status, batch.errors, batch.rejected) == ("done", 0, 0)
        assert batch.added == batch.rows > 200_000
        assert Result.objects.filter(competency__round=round_).count() == batch.added
    assert "2 learning_rounds" in demo
    assert "learning_results" in demo and "learning_cells" in demo


def test_every_child_of_every_school_has_each_competency_of_the_grade(demo) -> None:
    schools = OrgUnit.objects.filter(level="school").count()
    for key in ("2026-baseline", "2027-endline"):
        round_ = _round(key)
        expected = Counter(g for c in round_.competencies.all() for g in c.grades)
        cells = ResultCell.objects.filter(round=round_, depth=5)
        assert cells.values("org_unit").distinct().count() == schools
        per_child = (
            Result.objects.filter(competency__round=round_)
            .values("school", "student", "grade")
            .annotate(n=Count("*"))
            .order_by()
        )
        assert {(row["grade"], row["n"]) for row in per_child} == {
            (grade, expected[grade]) for grade in (2, 3, 4, 5)
        }
        genders = dict(
            _cells(key, "read-level", depth=1)
            .values_list("gender")
            .annotate(n=Sum("students"))
            .order_by()
        )
        assert set(genders) == {"F", "M"}
        assert 0.45 < genders["F"] / sum(genders.values()) < 0.55


def test_children_keep_their_ids_grade_and_gender_from_baseline_to_endline(demo) -> None:
    def children(key: str) -> dict[tuple[Any, str], tuple[int, str]]:
        return {
            (school, student): (grade, gender)
            for school, student, grade, gender in Result.objects.filter(
                competency__round__key=key, competency__code="read-level"
            ).values_list("school", "student", "grade", "gender")
        }

    baseline, endline = children("2026-baseline"), children("2027-endline")
    both = baseline.keys() & endline.keys()
    assert len(both) > 0.9 * len(baseline) and len(both) > 0.9 * len(endline)
    assert len(both) < len(baseline) and len(both) < len(endline)  # absent, and joined
    assert all(baseline[child] == endline[child] for child in both)


def test_in_every_district_the_pilots_block_is_clearly_weakest_in_reading(demo) -> None:
    means = _block_means("2026-baseline", "read-level")
    by_district: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for path, mean in means.items():
        by_district[path[: 2 * STEP]].append((mean, path))
    assert len(by_district) == OrgUnit.objects.filter(level="district").count() == 3
    pilot = _pilot_blocks()
    for blocks in by_district.values():
        (lowest, weakest), (second, _path) = sorted(blocks)[:2]
        assert lowest < second - 0.3
        assert weakest in pilot


def test_the_endline_is_better_and_most_in_the_pilot_blocks(demo) -> None:
    for code in ("read-level", "arith-level", "write-words", "word-problems"):
        assert _mean(_cells("2027-endline", code, depth=1)) > _mean(
            _cells("2026-baseline", code, depth=1)
        )
    before = _block_means("2026-baseline", "read-level")
    after = _block_means("2027-endline", "read-level")
    gains = {path: after[path] - before[path] for path in before}
    pilot = _pilot_blocks()
    assert min(gains[p] for p in pilot) > max(g for p, g in gains.items() if p not in pilot)


def test_grades_tribal_schools_gender_and_weak_competencies_show(demo) -> None:
    key = "2026-baseline"
    by_grade = [_mean(_cells(key, "read-level", depth=1, grade=g)) for g in (2, 3, 4, 5)]
    assert by_grade == sorted(by_grade) and by_grade[-1] - by_grade[0] > 1
    tribal = School.objects.filter(tribal_area=True).values("org_unit")
    schools = _cells(key, "read-level", depth=5)
    assert _mean(schools.filter(org_unit__in=tribal)) < _mean(schools.exclude(org_unit__in=tribal))
    girls = _mean(_cells(key, "arith-level", depth=1, gender="F"))
    boys = _mean(_cells(key, "arith-level", depth=1, gender="M"))
    assert 0 < boys - girls < 0.3  # a modest gap
    proficient = {
        code: 1 - below / students
        for code, below, students in ResultCell.objects.filter(round__key=key, depth=1)
        .values_list("competency__code")
        .annotate(below=Sum("below"), students=Sum("students"))
        .order_by()
    }
    weakest = min(proficient, key=proficient.__getitem__)
    assert weakest == "word-problems" and proficient[weakest] < 0.25
    assert max(proficient.values()) > 0.35


def test_some_school_grades_have_fewer_than_ten_children(demo) -> None:
    sizes: Counter[tuple[Any, int]] = Counter()
    for school, grade, students in _cells("2026-baseline", "read-level", depth=5).values_list(
        "org_unit", "grade", "students"
    ):
        sizes[(school, grade)] += students
    assert sum(n < 10 for n in sizes.values()) > 0.03 * len(sizes)
    assert sum(8 <= n <= 30 for n in sizes.values()) > 0.8 * len(sizes)


def _learning_signature(seed: int) -> tuple[dict[str, int], list[tuple[Any, ...]], list[int]]:
    """Run the learning demo alone for one district, a school per cluster (its own rows
    removed first) in a savepoint; describe what it made; roll it back."""
    steps: list[int] = []
    with transaction.atomic():
        Result.objects.all()._raw_delete(Result.objects.db)
        ResultCell.objects.all()._raw_delete(ResultCell.objects.db)
        ResultImport.objects.all().delete()
        Round.objects.all().delete()
        counts = load_learning(
            random.Random(seed),
            lambda done, total: steps.append(total - done),
            districts=1,
            schools_per_cluster=1,
        )
        rows = list(
            Result.objects.order_by(
                "school__path", "student", "competency__round__key"
            ).values_list(
                "school__code", "student", "grade", "gender", "competency__code", "score", "level"
            )[:300]
        )
        transaction.set_rollback(True)
    return counts, rows, steps


def test_the_learning_demo_is_the_same_for_a_seed(demo) -> None:
    counts, rows, steps = _learning_signature(5)
    assert counts["learning_schools"] == 62  # one district: two blocks of 31 clusters
    assert counts["learning_rounds"] == 2 and counts["learning_results"] > 20_000
    assert steps[-1] == 0  # the progress reached its end
    assert _learning_signature(5)[:2] == (counts, rows)
