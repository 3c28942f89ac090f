"""The analytics tables: a round's results summed per org unit, at every level of the tree.

A school's cells (grade × competency × gender: students, sum, sum of squares, below the
proficiency score, count per level) are summed from its raw results; every other unit's
cells are the sums of its direct children's cells, level by level up to the state. After
an import only the touched schools and their ancestors are recomputed, and each ancestor
from its children's cells, so a refresh reads the new schools' results and a few thousand
cells, never the whole round. Portable SQL: the same statements run on SQLite and PostgreSQL.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from clusterwise.org.models import OrgUnit

from .models import MAX_LEVELS, Competency, Result, ResultCell, Round

CELL = ResultCell._meta.db_table
RESULT = Result._meta.db_table
COMPETENCY = Competency._meta.db_table
ORG = OrgUnit._meta.db_table
TOUCHED = "learning_touched"
FRESH = "learning_fresh"  # one level's cells as computed now, before they are stored
MEASURES = ["students", "total", "squares", "below"] + [f"level_{n}" for n in range(MAX_LEVELS)]
STORED = ["org_path", "depth", *MEASURES]  # what a refresh may change in a cell (a unit moved)
WORK_MEM = "256MB"  # per sort or hash of a refresh, on PostgreSQL
ANALYZE_FROM = 50_000  # cells written from which a refresh renews the planner's statistics
FULL_FROM = 0.5  # share of a round's schools from which a refresh recomputes them all
FULL_CHECK_FROM = 1_000  # schools from which a refresh asks whether that share is reached


def _param(value: object) -> object:
    """A UUID as the database stores it (SQLite keeps 32 hex digits)."""
    return value.hex if connection.vendor == "sqlite" and hasattr(value, "hex") else value


def refresh(
    round_: Round,
    *,
    schools: Collection[str] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict[str, float]:
    """Recompute the round's cells of these schools (paths) and their ancestors; all of the
    round's cells when `schools` is None. Returns seconds per step."""
    timings: dict[str, float] = {}
    step = OrgUnit.steplen
    full = schools is None
    if not full and not schools:
        return timings
    clock = time.perf_counter()
    postgres = connection.vendor == "postgresql"
    with transaction.atomic(), connection.cursor() as cursor:
        round_id = _param(round_.pk)
        if schools is not None and len(schools) >= FULL_CHECK_FROM:
            # Most of the round's schools (the first file of a state, say): recomputing all
            # of them reads the results once, in order, rather than school by school.
            cursor.execute(
                f"SELECT COUNT(DISTINCT org_unit_id) FROM {CELL} "  # noqa: S608
                f"WHERE round_id = %s AND depth = %s",
                [round_id, max(len(p) for p in schools) // step],
            )
            stored = cursor.fetchone()[0]
            full = len(schools) >= FULL_FROM * max(stored, len(schools))
            timings["full? yes" if full else "full? no"] = time.perf_counter() - clock
        if postgres:
            # A state's round sums millions of results into a million school cells: let the
            # aggregate hash in memory rather than sort on disk, and spare the JIT compiling
            # plans that run once (a second or more each).
            # The planner, left to itself, does not split an aggregate with a million
            # groups over both cores; split, it takes a third less time.
            cursor.execute(
                "SELECT set_config('work_mem', %s, true), set_config('jit', 'off', true), "
                "set_config('parallel_setup_cost', '0', true), "
                "set_config('parallel_tuple_cost', '0.0001', true)",
                [WORK_MEM],
            )
        if full:
            deepest = (
                OrgUnit.objects.filter(level=settings.ORG_SCHOOL_LEVEL)
                .order_by("-depth")
                .values_list("depth", flat=True)
                .first()
                or 1
            )
            cursor.execute(
                f"DELETE FROM {CELL} WHERE round_id = %s AND depth > %s",  # noqa: S608
                [round_id, deepest],
            )
        else:
            assert schools is not None
            paths = set(schools)
            ancestors = {p[:n] for p in paths for n in range(step, len(p), step)}
            cursor.execute(f"DROP TABLE IF EXISTS {TOUCHED}")
            cursor.execute(f"CREATE TEMPORARY TABLE {TOUCHED} (path varchar(255) PRIMARY KEY)")
            rows = [(p,) for p in sorted(paths | ancestors)]
            for start in range(0, len(rows), 5000):
                cursor.executemany(
                    f"INSERT INTO {TOUCHED} (path) VALUES (%s)",  # noqa: S608
                    rows[start : start + 5000],
                )
            # Temporary tables are never analysed on their own: without counts the planner
            # guesses, and reads a whole round to refresh three schools, or the reverse.
            cursor.execute(f"ANALYZE {TOUCHED}")
            deepest = max(len(p) for p in paths) // step
        _new_fresh(cursor, postgres)
        timings["prepare"] = time.perf_counter() - clock

        # The schools: from the raw results, summed per school first and named (path,
        # depth) afterwards, which groups narrow rows. The round's competencies are listed
        # and their thresholds written into the query: joined instead, they lead the planner
        # to walk the results' whole primary key in order, a random read per result.
        clock = time.perf_counter()
        thresholds = list(Competency.objects.filter(round=round_).values_list("id", "threshold"))
        if thresholds:
            ids = ", ".join(str(int(pk)) for pk, _t in thresholds)
            threshold = " ".join(f"WHEN {int(pk)} THEN %s" for pk, _t in thresholds)
            params: list[object] = [t for _pk, t in thresholds]
            if full:
                where = ""
            elif postgres:
                # The schools' ids as one array rather than a join with the temporary table:
                # a query that reads a temporary table cannot run in parallel.
                where = "AND r.school_id = ANY(%s::uuid[])"
                params.append(
                    list(OrgUnit.objects.filter(path__in=paths).values_list("id", flat=True))
                )
            else:
                where = (
                    f"AND r.school_id IN (SELECT o.id FROM {ORG} o JOIN {TOUCHED} t "  # noqa: S608
                    "ON t.path = o.path)"
                )
            if postgres:
                # CREATE TABLE AS, unlike INSERT … SELECT, may read the results with both
                # cores (a parallel scan and partial aggregates).
                cursor.execute(f"DROP TABLE {FRESH}")
                into = f"CREATE TEMPORARY TABLE {FRESH} AS"
            else:
                into = f"INSERT INTO {FRESH}"
            cursor.execute(
                f"{into} SELECT s.school_id AS org_unit_id, o.path AS org_path, o.depth, "  # noqa: S608
                "s.competency_id, s.grade, s.gender, "
                + ", ".join(f"s.m{n} AS {m}" for n, m in enumerate(MEASURES))
                + " FROM ("
                "SELECT r.school_id, r.competency_id, r.grade, r.gender, COUNT(*) AS m0, "
                "SUM(r.score) AS m1, SUM(r.score * r.score) AS m2, "
                f"SUM(CASE WHEN r.score < CASE r.competency_id {threshold} END THEN 1 ELSE 0 END) "
                "AS m3, "
                + ", ".join(
                    f"SUM(CASE WHEN r.level = {n} THEN 1 ELSE 0 END) AS m{n + 4}"
                    for n in range(MAX_LEVELS)
                )
                + f" FROM {RESULT} r WHERE r.competency_id IN ({ids}) {where} "
                "GROUP BY r.school_id, r.competency_id, r.grade, r.gender) s "
                f"JOIN {ORG} o ON o.id = s.school_id",
                params,
            )
        changed = _store(cursor, round_id, deepest, full)
        unanalysed = changed
        timings["schools"] = time.perf_counter() - clock
        if progress:
            progress("schools")

        # Every level above: the sums of the direct children's cells.
        sums = ", ".join(f"SUM(ch.{m})" for m in MEASURES)
        for depth in range(deepest - 1, 0, -1):
            clock = time.perf_counter()
            if postgres and unanalysed >= ANALYZE_FROM:
                # Fresh statistics once many cells were written, here and for the readers
                # after: believing the round has no cells, the planner reads every cell of
                # it for each level above (2 s a level at 10M results) and for each
                # drill-down (160 ms instead of 10).
                cursor.execute(f"ANALYZE {CELL}")
                unanalysed = 0
            width = depth * step
            where = (
                ""
                if full
                else f"AND substr(ch.org_path, 1, {width}) IN (SELECT path FROM {TOUCHED})"  # noqa: S608
            )
            _new_fresh(cursor, postgres)  # empty (deleted rows would still be read)
            cursor.execute(
                f"INSERT INTO {FRESH} SELECT p.id, p.path, p.depth, ch.competency_id, ch.grade, "  # noqa: S608
                f"ch.gender, {sums} FROM {CELL} ch JOIN {ORG} p "
                f"ON p.path = substr(ch.org_path, 1, {width}) "
                f"WHERE ch.round_id = %s AND ch.depth = %s {where} "
                "GROUP BY p.id, p.path, p.depth, ch.competency_id, ch.grade, ch.gender",
                [round_id, depth + 1],
            )
            stored = _store(cursor, round_id, depth, full)
            changed += stored
            unanalysed += stored
            timings[f"depth {depth}"] = time.perf_counter() - clock
            if progress:
                progress(f"depth {depth}")
        cursor.execute(f"DROP TABLE {FRESH}")
        if not full:
            cursor.execute(f"DROP TABLE {TOUCHED}")
        if postgres:
            for name in ("work_mem", "jit", "parallel_setup_cost", "parallel_tuple_cost"):
                cursor.execute(f"RESET {name}")
            if unanalysed >= ANALYZE_FROM:
                clock = time.perf_counter()
                cursor.execute(f"ANALYZE {CELL}")
                timings["analyze"] = time.perf_counter() - clock
    return timings


def _new_fresh(cursor: Any, postgres: bool) -> None:
    cursor.execute(f"DROP TABLE IF EXISTS {FRESH}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {FRESH} (org_unit_id {'uuid' if postgres else 'char(32)'} "
        "NOT NULL, org_path varchar(255) NOT NULL, depth smallint NOT NULL, "
        "competency_id bigint NOT NULL, grade smallint NOT NULL, gender varchar(1) NOT NULL, "
        "students integer NOT NULL, total double precision NOT NULL, "
        "squares double precision NOT NULL, below integer NOT NULL, "
        + ", ".join(f"level_{n} integer NOT NULL" for n in range(MAX_LEVELS))
        + ")"
    )


def _store(cursor: Any, round_id: object, depth: int, full: bool) -> int:
    """Make the round's cells at this depth (of the touched units) those of the fresh table.

    Cells are updated in place, and only where a figure changed, rather than deleted and
    inserted again: a cell rewritten costs an entry in each of the table's six indexes and
    three foreign-key checks at commit, and most cells of a refresh (the ancestors', every
    cell of a rebuild) come out as they were."""
    cursor.execute(f"ANALYZE {FRESH}")
    columns = ["org_unit_id", "org_path", "depth", "competency_id", "grade", "gender", *MEASURES]
    # Only the new and the changed cells reach the upsert: the join finds them in one pass,
    # where the upsert would look up every cell in the unique index. `WHERE` comes anyway:
    # SQLite reads ON CONFLICT after a bare SELECT … FROM … JOIN as the join's ON.
    cursor.execute(
        f"INSERT INTO {CELL} AS c (round_id, {', '.join(columns)}) "  # noqa: S608
        f"SELECT %s, {', '.join(f'f.{c}' for c in columns)} FROM {FRESH} f "
        f"LEFT JOIN {CELL} x ON x.round_id = %s AND x.depth = %s "
        "AND x.org_unit_id = f.org_unit_id AND x.competency_id = f.competency_id "
        "AND x.grade = f.grade AND x.gender = f.gender "
        f"WHERE x.id IS NULL OR {' OR '.join(f'x.{m} <> f.{m}' for m in STORED)} "
        "ON CONFLICT (round_id, org_unit_id, competency_id, grade, gender) "
        f"DO UPDATE SET {', '.join(f'{m} = excluded.{m}' for m in STORED)}",
        [round_id, round_id, depth],
    )
    changed = max(cursor.rowcount, 0)
    # Every fresh cell is stored now; more stored cells than fresh ones means some have no
    # results left (deleted results), which only then are looked for.
    where = "" if full else f"AND org_path IN (SELECT path FROM {TOUCHED})"  # noqa: S608
    cursor.execute(
        f"SELECT (SELECT COUNT(*) FROM {CELL} WHERE round_id = %s AND depth = %s {where}) "  # noqa: S608
        f"- (SELECT COUNT(*) FROM {FRESH})",
        [round_id, depth],
    )
    if cursor.fetchone()[0]:
        cursor.execute(
            f"DELETE FROM {CELL} WHERE round_id = %s AND depth = %s {where} "  # noqa: S608
            f"AND NOT EXISTS (SELECT 1 FROM {FRESH} f WHERE f.org_unit_id = {CELL}.org_unit_id "
            f"AND f.competency_id = {CELL}.competency_id AND f.grade = {CELL}.grade "
            f"AND f.gender = {CELL}.gender)",
            [round_id, depth],
        )
        changed += max(cursor.rowcount, 0)
    return changed


def rebuild(round_: Round, *, progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """Recompute every cell of the round from its raw results."""
    return refresh(round_, schools=None, progress=progress)
