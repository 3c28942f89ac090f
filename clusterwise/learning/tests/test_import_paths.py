"""The two ways an import loads rows, and the refresh that updates cells in place.

A clean file of new results goes straight into the results table; at the first row with a
problem, or a student and competency stored already or twice in the file, that is undone
and the file goes through the staging table and the set-based checks, with the same
outcome and messages as if it had gone there first."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.db.models import ProtectedError, Sum
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clusterwise.core.tabular import TabularError
from clusterwise.learning import analytics, imports
from clusterwise.learning.imports import Checker, _Problems, import_results
from clusterwise.learning.models import QuarantinedRow, Result, ResultCell, ResultImport, Round
from clusterwise.org.models import OrgUnit

from .conftest import HEADER, problems_of, write_csv

GOOD = [
    ["A1", 3, "A", "s1", "F", "language", "read", "", "word"],
    ["A1", 3, "A", "s1", "F", "mathematics", "place-value", 8, ""],
    ["A1", 4, "B", "s2", "M", "mathematics", "place-value", "6.5", ""],
    ["A1", 4, "B", "s2", "M", "mathematics", "division", 5, ""],
    ["A2", 3, "A", "s3", "girl", "language", "read", "", "letter"],
    ["B1S", 4, "A", "s4", "", "language", "read", "", "story"],
]


def load(
    round_: Round, path: Path, mode: str = ResultImport.Mode.ALL_OR_NOTHING
) -> tuple[ResultImport, dict[str, float]]:
    timings: dict[str, float] = {}
    batch = import_results(
        round_=round_, path=path, file_name=path.name, by=None, mode=mode, timings=timings
    )
    return batch, timings


def test_a_clean_file_goes_straight_into_the_results(baseline: Round, tmp_path: Path) -> None:
    batch, timings = load(baseline, write_csv(tmp_path / "r.csv", GOOD))

    assert (batch.status, batch.rows, batch.added, batch.unchanged) == ("done", 6, 6, 0)
    assert "read, check, load" in timings and "read, check, stage" not in timings
    assert Result.objects.filter(batch=batch).count() == 6
    state = ResultCell.objects.filter(org_unit__code="MH").aggregate(n=Sum("students"))
    assert state["n"] == 6


def test_a_duplicate_in_the_file_sends_it_through_the_staging_checks(
    baseline: Round, tmp_path: Path
) -> None:
    batch, timings = load(baseline, write_csv(tmp_path / "r.csv", [*GOOD, GOOD[2]]))

    assert "read, check, load: given up" in timings and "read, check, stage" in timings
    assert batch.status == ResultImport.Status.REFUSED
    assert problems_of(batch) == [
        (8, "student_id", "s2", "Row 4 has the same student and competency.")
    ]
    assert "Nothing was imported: 1 of 7 rows" in batch.message
    assert not Result.objects.exists() and not ResultCell.objects.exists()


def test_a_bad_row_after_good_ones_is_set_aside_and_the_good_ones_go_in_once(
    baseline: Round, tmp_path: Path
) -> None:
    bad = ["A1", 3, "A", "s9", "F", "mathematics", "place-value", 12, ""]
    batch, timings = load(
        baseline, write_csv(tmp_path / "r.csv", [*GOOD, bad]), ResultImport.Mode.QUARANTINE
    )

    assert "read, check, load: given up" in timings
    assert (batch.status, batch.rows, batch.added, batch.rejected) == ("done", 7, 6, 1)
    assert list(QuarantinedRow.objects.values_list("line", flat=True)) == [8]
    assert Result.objects.count() == 6
    assert ResultCell.objects.filter(org_unit__code="MH").aggregate(n=Sum("students"))["n"] == 6


def test_results_stored_already_send_the_file_through_the_store_checks(
    baseline: Round, tmp_path: Path
) -> None:
    load(baseline, write_csv(tmp_path / "first.csv", GOOD[:3]))
    again, timings = load(baseline, write_csv(tmp_path / "second.csv", GOOD))

    assert "read, check, load: given up" in timings
    assert (again.status, again.added, again.unchanged) == ("done", 3, 3)
    assert Result.objects.count() == 6


def test_new_results_of_schools_with_results_go_straight_in(
    baseline: Round, tmp_path: Path
) -> None:
    load(baseline, write_csv(tmp_path / "first.csv", GOOD[:2]))
    later = [["A1", 3, "A", "s7", "M", "mathematics", "place-value", 3, ""]]
    batch, timings = load(baseline, write_csv(tmp_path / "later.csv", later))

    assert "read, check, load: given up" not in timings
    assert (batch.added, batch.unchanged) == (1, 0)
    place = ResultCell.objects.filter(
        org_unit__code="A1", competency__code="place-value", grade=3
    ).aggregate(n=Sum("students"), t=Sum("total"))
    assert place == {"n": 2, "t": 11.0}


def test_a_key_stored_in_a_later_copy_chunk_undoes_the_earlier_chunks(
    baseline: Round, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(imports, "COPY_ROWS", 2)  # PostgreSQL: three COPY statements
    monkeypatch.setattr(imports, "ANALYZE_FROM", 1)
    load(baseline, write_csv(tmp_path / "first.csv", GOOD[5:]))
    batch, timings = load(baseline, write_csv(tmp_path / "all.csv", GOOD))

    assert "read, check, load: given up" in timings
    assert (batch.status, batch.added, batch.unchanged) == ("done", 5, 1)
    assert Result.objects.count() == 6


def test_a_file_with_only_some_columns_is_checked_the_same(baseline: Round, tmp_path: Path) -> None:
    path = tmp_path / "r.csv"
    path.write_text(
        "school_code,grade,student_id,subject,competency,score\n"
        "A1,3,s1,mathematics,place-value,8\n"
        "A1,3,s2,mathematics,place-value,8\n"
        "A1,3,s3,mathematics,place-value,11\n",
        encoding="utf-8",
    )
    batch, _timings = load(baseline, path)

    assert problems_of(batch) == [(4, "score", "11", "The score must lie from 0 to 10.")]
    good = path.with_name("good.csv")
    good.write_text("\n".join(path.read_text().splitlines()[:3]) + "\n", encoding="utf-8")
    batch, _timings = load(baseline, good)
    assert batch.added == 2
    assert set(Result.objects.values_list("gender", "section")) == {("U", "")}


# Values as people type them: spaces, capitals, other words for the same thing, and wrong ones.
CELLS = st.fixed_dictionaries(
    {
        "school": st.sampled_from(["A1", " a1", "A2", "B1S", "b1s ", "ZZ", ""]),
        "grade": st.sampled_from(["3", "4", " 4", "7", "x", ""]),
        "section": st.sampled_from(["A", " B", "", "TOO-LONG-SECTION", "a\tb"]),
        "student": st.sampled_from(["s1", " s2 ", "", "x" * 41, "s\t3", "s4"]),
        "gender": st.sampled_from(["F", "f", "girl", "M", "Boy", "", "Q", " U "]),
        "subject": st.sampled_from(["language", "Mathematics", "science", ""]),
        "competency": st.sampled_from(["read", "place-value", "Division", "spell"]),
        "score": st.sampled_from(["", "8", "7,5", "6.5", "11", "-1", "nan", "x"]),
        "level": st.sampled_from(["", "word", "Story", "2", "sentence"]),
    }
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(CELLS, min_size=1, max_size=30), extra=st.sampled_from(["", " ", "x"]))
def test_a_row_typed_from_remembered_values_is_what_every_check_gives(
    baseline: Round, rows: list[dict[str, str]], extra: str
) -> None:
    header = [*HEADER, "note"]
    remembering = Checker(baseline, None, header)
    fresh = Checker(baseline, None, header)
    for line, values in enumerate(rows, start=2):
        cells = [values[column] for column in imports.COLUMNS] + [extra]
        if extra == "x":
            cells.append("more")  # a cell beyond the header
        seen, again = _Problems(), _Problems()
        typed = remembering.check(line, cells, seen)
        assert typed == fresh._check_every_column(line, cells, again)
        assert seen.kept == again.kept
    assert remembering.touched == fresh.touched


def test_a_rebuild_drops_the_cells_whose_results_are_gone(baseline: Round, tmp_path: Path) -> None:
    load(baseline, write_csv(tmp_path / "r.csv", GOOD))
    state = ResultCell.objects.get(org_unit__code="MH", competency__code="read", gender="U")
    Result.objects.filter(school__code="B1S").delete()
    analytics.rebuild(baseline)

    assert not ResultCell.objects.filter(org_unit__code="B1S").exists()
    assert not ResultCell.objects.filter(pk=state.pk).exists()  # B1S's child was its only one
    assert ResultCell.objects.filter(depth=1).aggregate(n=Sum("students"))["n"] == 5


def test_a_refresh_updates_the_ancestors_cells_in_place(baseline: Round, tmp_path: Path) -> None:
    load(baseline, write_csv(tmp_path / "a.csv", GOOD[:2]))
    state = ResultCell.objects.get(org_unit__code="MH", competency__code="place-value")
    more = [["A2", 3, "A", "s5", "F", "mathematics", "place-value", 4, ""]]
    load(baseline, write_csv(tmp_path / "b.csv", more))

    again = ResultCell.objects.get(pk=state.pk)
    assert (again.students, again.total, again.squares) == (2, 12.0, 80.0)
    before = sorted(ResultCell.objects.values_list("pk", "students", "total"))
    analytics.rebuild(baseline)
    assert sorted(ResultCell.objects.values_list("pk", "students", "total")) == before


def test_a_refresh_of_most_schools_recomputes_them_all_with_the_same_cells(
    baseline: Round, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(analytics, "FULL_CHECK_FROM", 1)
    _batch, first = load(baseline, write_csv(tmp_path / "a.csv", GOOD))
    # The round had no cells: its first file's schools are all of them.
    assert "analytics: full? yes" in first
    more = [["A2", 3, "A", "s5", "F", "mathematics", "place-value", 4, ""]]
    _batch, second = load(baseline, write_csv(tmp_path / "b.csv", more))
    assert "analytics: full? no" in second  # one school of three
    cells = sorted(ResultCell.objects.values_list("org_path", "competency", "gender", "total"))
    state = ResultCell.objects.filter(org_unit__code="MH", competency__code="place-value")
    assert sum(c.students for c in state) == 3  # s1, s2 and s5
    analytics.rebuild(baseline)
    assert sorted(ResultCell.objects.values_list("org_path", "competency", "gender", "total")) == (
        cells
    )


# --- what the foreign keys would have guarded (the results table has none in the database) --


def test_the_import_holds_what_its_results_refer_to(baseline: Round, tmp_path: Path) -> None:
    batch, timings = load(baseline, write_csv(tmp_path / "r.csv", GOOD))
    assert batch.status == "done" and "hold schools" in timings
    school = Result.objects.filter(batch=batch).values_list("school__path", flat=True).first()
    assert school is not None

    imports.hold_referenced(baseline, {school})  # present: held, no error
    with pytest.raises(TabularError, match="deleted while the file was imported"):
        imports.hold_referenced(baseline, {school, school + "ZZZZ"})


def test_a_school_with_results_cannot_be_deleted_and_a_round_takes_its_results(
    baseline: Round, tmp_path: Path
) -> None:
    batch, _timings = load(baseline, write_csv(tmp_path / "r.csv", GOOD))
    school = OrgUnit.objects.get(code="A1")
    with pytest.raises(ProtectedError):
        school.delete()
    assert Result.objects.filter(school=school).count() == 4

    with pytest.raises(ProtectedError):
        batch.delete()  # an import's record stays while its results do
    competency = Result.objects.filter(batch=batch).first().competency  # type: ignore[union-attr]
    Result.objects.filter(batch=batch).exclude(competency=competency).delete()
    competency.delete()
    assert not Result.objects.exists()
