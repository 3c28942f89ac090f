"""What every benchmark here shares: percentiles, the clock it prints, and its databases.

Each benchmark puts this folder on `sys.path` and imports from here; a database is a context
manager yielding a DATABASE_URL (a temporary SQLite file, or a throwaway PostgreSQL server
from `_pg`), deleted afterwards unless `keep`.
"""

from __future__ import annotations

import contextlib
import math
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path


def percentile(values: list[float], share: float) -> float:
    """Nearest rank: the value `share` of the samples do not exceed (NaN without samples)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def p95(values: list[float]) -> float:
    return percentile(values, 0.95)


def ratio(ours: float, reference: float) -> str:
    """How many times the reference's time ours is: whole from 10x, one decimal below."""
    return f"{ours / reference:.0f}x" if ours >= 10 * reference else f"{ours / reference:.1f}x"


def say(message: str) -> None:
    # UTC: Django sets TZ to TIME_ZONE in a child, and both should print the same clock.
    print(f"[{time.strftime('%H:%M:%SZ', time.gmtime())}] {message}", flush=True)


@contextlib.contextmanager
def sqlite_database(keep: bool) -> Iterator[str]:
    folder = Path(tempfile.mkdtemp(prefix="clusterwise-bench-"))
    try:
        say(f"SQLite database in {folder}")
        yield f"sqlite:///{folder / 'bench.sqlite3'}"
    finally:
        if keep:
            print(f"Kept {folder}", flush=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)


def postgres_database(keep: bool) -> contextlib.AbstractContextManager[str]:
    from _pg import throwaway_database

    return throwaway_database(keep=keep)


DATABASES: dict[str, Callable[[bool], contextlib.AbstractContextManager[str]]] = {
    "sqlite": sqlite_database,
    "postgres": postgres_database,
}
