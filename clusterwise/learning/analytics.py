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

from django.conf import settings
from django.db import connection, transaction

from clusterwise.org.models import OrgUnit

from .models import MAX_LEVELS, Competency, Result, ResultCell, Round

CELL = ResultCell._meta.db_table
RESULT = Result._meta.db_table
COMPETENCY = Competency._meta.db_table
ORG = OrgUnit._meta.db_table
TOUCHED = "learning_touched"
MEASURES = ["students", "total", "squares", "below"] + [f"level_{n}" for n in range(MAX_LEVELS)]


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
    with transaction.atomic(), connection.cursor() as cursor:
        round_id = _param(round_.pk)
        if full:
            cursor.execute(f"DELETE FROM {CELL} WHERE round_id = %s", [round_id])  # noqa: S608
            deepest = (
                OrgUnit.objects.filter(level=settings.ORG_SCHOOL_LEVEL)
                .order_by("-depth")
                .values_list("depth", flat=True)
                .first()
                or 1
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
            cursor.execute(
                f"DELETE FROM {CELL} WHERE round_id = %s "  # noqa: S608
                f"AND org_path IN (SELECT path FROM {TOUCHED})",
                [round_id],
            )
            deepest = max(len(p) for p in paths) // step
        timings["delete"] = time.perf_counter() - clock

        # The schools: from the raw results.
        clock = time.perf_counter()
        levels = ", ".join(
            f"SUM(CASE WHEN r.level = {n} THEN 1 ELSE 0 END)" for n in range(MAX_LEVELS)
        )
        where = "" if full else f"AND o.path IN (SELECT path FROM {TOUCHED})"  # noqa: S608
        cursor.execute(
            f"INSERT INTO {CELL} (org_unit_id, org_path, depth, round_id, competency_id, grade, "  # noqa: S608
            f"gender, {', '.join(MEASURES)}) "
            "SELECT r.school_id, o.path, o.depth, c.round_id, r.competency_id, r.grade, r.gender, "
            "COUNT(*), SUM(r.score), SUM(r.score * r.score), "
            f"SUM(CASE WHEN r.score < c.threshold THEN 1 ELSE 0 END), {levels} "
            f"FROM {RESULT} r JOIN {COMPETENCY} c ON c.id = r.competency_id "
            f"JOIN {ORG} o ON o.id = r.school_id "
            f"WHERE c.round_id = %s {where} "
            "GROUP BY r.school_id, o.path, o.depth, c.round_id, r.competency_id, r.grade, r.gender",
            [round_id],
        )
        timings["schools"] = time.perf_counter() - clock
        if progress:
            progress("schools")

        # Every level above: the sums of the direct children's cells.
        sums = ", ".join(f"SUM(ch.{m})" for m in MEASURES)
        for depth in range(deepest - 1, 0, -1):
            clock = time.perf_counter()
            width = depth * step
            where = (
                ""
                if full
                else f"AND substr(ch.org_path, 1, {width}) IN (SELECT path FROM {TOUCHED})"  # noqa: S608
            )
            cursor.execute(
                f"INSERT INTO {CELL} (org_unit_id, org_path, depth, round_id, competency_id, "  # noqa: S608
                f"grade, gender, {', '.join(MEASURES)}) "
                "SELECT p.id, p.path, p.depth, ch.round_id, ch.competency_id, ch.grade, ch.gender, "
                f"{sums} FROM {CELL} ch JOIN {ORG} p ON p.path = substr(ch.org_path, 1, {width}) "
                f"WHERE ch.round_id = %s AND ch.depth = %s {where} "
                "GROUP BY p.id, p.path, p.depth, ch.round_id, ch.competency_id, ch.grade, ch.gender",
                [round_id, depth + 1],
            )
            timings[f"depth {depth}"] = time.perf_counter() - clock
            if progress:
                progress(f"depth {depth}")
        if not full:
            cursor.execute(f"DROP TABLE {TOUCHED}")
    return timings


def rebuild(round_: Round, *, progress: Callable[[str], None] | None = None) -> dict[str, float]:
    """Recompute every cell of the round from its raw results."""
    return refresh(round_, schools=None, progress=progress)
