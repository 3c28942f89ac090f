"""The analytics tables: incremental refresh after each import equals a full rebuild, and
the sums are right at every level."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from django.db.models import Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterwise.learning import analytics
from clusterwise.learning.models import Result, ResultCell, ResultImport, Round

from .conftest import run_import, write_csv

SCHOOLS = ("A1", "A2", "B1S")
ROWS = st.lists(
    st.tuples(
        st.sampled_from(SCHOOLS),
        st.sampled_from([3, 4]),
        st.integers(0, 30),  # student number
        st.sampled_from(["F", "M", ""]),
        st.sampled_from(
            [
                ("language", "read", None),
                ("mathematics", "place-value", 10),
                ("mathematics", "division", 5),
            ]
        ),
        st.integers(0, 10),
    ),
    max_size=40,
)


def _csv_rows(rows: list[tuple[Any, ...]]) -> list[list[Any]]:
    levels = ["beginner", "letter", "word", "story"]
    out = []
    for school, grade, number, gender, (subject, code, maximum), value in rows:
        grade = 4 if code == "division" else grade
        if maximum is None:
            out.append(
                [
                    school,
                    grade,
                    "A",
                    f"{school}-{number}",
                    gender,
                    subject,
                    code,
                    "",
                    levels[value % 4],
                ]
            )
        else:
            out.append(
                [
                    school,
                    grade,
                    "A",
                    f"{school}-{number}",
                    gender,
                    subject,
                    code,
                    value % (maximum + 1),
                    "",
                ]
            )
    return out


def _cells() -> list[tuple[Any, ...]]:
    return sorted(
        ResultCell.objects.values_list(
            "org_path",
            "depth",
            "competency_id",
            "grade",
            "gender",
            "students",
            "total",
            "squares",
            "below",
            "level_0",
            "level_1",
            "level_2",
            "level_3",
        )
    )


@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(batches=st.lists(ROWS, min_size=1, max_size=4))
def test_refreshing_after_each_import_equals_a_full_rebuild(
    baseline: Round, batches: list[list[tuple[Any, ...]]]
) -> None:
    Result.objects.all().delete()
    ResultCell.objects.all().delete()
    ResultImport.objects.all().delete()
    with tempfile.TemporaryDirectory() as folder:
        for n, rows in enumerate(batches):
            # Quarantine: duplicates across and within the random files are set aside and
            # everything else goes in, as imports really go.
            if rows:
                path = write_csv(Path(folder) / f"batch{n}.csv", _csv_rows(rows))
                run_import(baseline, path, mode=ResultImport.Mode.QUARANTINE)
    incremental = _cells()
    analytics.rebuild(baseline)
    assert _cells() == incremental
    # And the state's cells count every stored result once.
    state = ResultCell.objects.filter(depth=1).aggregate(n=Sum("students"))["n"] or 0
    assert state == Result.objects.count()


def test_a_refresh_touches_only_the_schools_imported_and_their_ancestors(
    baseline: Round, tmp_path: Path
) -> None:
    run_import(
        baseline,
        write_csv(
            tmp_path / "a.csv",
            [
                ["A1", 3, "A", "s1", "F", "mathematics", "place-value", 8, ""],
                ["B1S", 3, "A", "s2", "M", "mathematics", "place-value", 4, ""],
            ],
        ),
    )
    b1s = ResultCell.objects.get(org_unit__code="B1S")
    cluster_b = ResultCell.objects.get(org_unit__code="CB")
    run_import(
        baseline,
        write_csv(
            tmp_path / "b.csv", [["A2", 3, "A", "s3", "F", "mathematics", "place-value", 9, ""]]
        ),
    )

    # B's cells were not rewritten (same rows), A's cluster and everything above were.
    assert ResultCell.objects.get(org_unit__code="B1S").pk == b1s.pk
    assert ResultCell.objects.get(org_unit__code="CB").pk == cluster_b.pk
    block = ResultCell.objects.filter(org_unit__code="B1").aggregate(
        n=Sum("students"), t=Sum("total"), q=Sum("squares"), b=Sum("below")
    )
    assert block == {"n": 3, "t": 21.0, "q": 64 + 16 + 81, "b": 1}
