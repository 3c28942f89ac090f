"""Ranking a district's blocks, and the programme's "lowest-performing block" hook."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clusterwise.learning import ranking
from clusterwise.learning.models import Round
from clusterwise.programme.selection import lowest_blocks

from .conftest import run_import, write_csv


def _unit(parent: Any, code: str, level: str) -> Any:
    from conftest import _unit as make

    return make(parent, code, code, level)


def _rows(school: str, n: int, level: str, score: int) -> list[list[Any]]:
    rows = []
    for i in range(n):
        rows.append([school, 3, "A", f"{school}-{i}", "F", "language", "read", "", level])
        rows.append([school, 3, "A", f"{school}-{i}", "F", "mathematics", "place-value", score, ""])
    return rows


def test_blocks_rank_lowest_first_and_feed_the_programme(
    world: Any, baseline: Round, tmp_path: Path
) -> None:
    world.district.refresh_from_db()
    block2 = _unit(world.district, "B2", "block")
    cluster = _unit(block2, "C2", "cluster")
    _unit(cluster, "S2", "school")
    tiny = _unit(world.district, "B3", "block")
    _unit(_unit(tiny, "C3", "cluster"), "S3", "school")
    world.district.refresh_from_db()
    rows = (
        _rows("A1", 15, "story", 9) + _rows("S2", 15, "letter", 3) + _rows("S3", 4, "beginner", 0)
    )
    run_import(baseline, write_csv(tmp_path / "r.csv", rows))

    ranked = ranking.rank_blocks(baseline, world.district, subject="language")
    assert [(r.block.code, r.value, r.lowest) for r in ranked] == [
        ("B2", 0.0, True),
        ("B1", 100.0, False),
        ("B3", None, False),  # 4 children: too few to rank
    ]
    by_mean = ranking.rank_blocks(baseline, world.district, subject="mathematics", metric="mean")
    assert [(r.block.code, r.value) for r in by_mean] == [("B2", 30.0), ("B1", 90.0), ("B3", None)]

    # The programme's hook: the latest round, language, ranked blocks only.
    assert [b.code for b in ranking.blocks_lowest_first(world.district)] == ["B2", "B1"]
    assert [b.code for b in lowest_blocks([world.district])] == ["B2"]


def test_no_results_no_ranking(world: Any, baseline: Round) -> None:
    assert ranking.blocks_lowest_first(world.district) == []
    assert lowest_blocks([world.district]) == []
