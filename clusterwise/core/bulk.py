"""Fast bulk loading of plain rows: COPY on PostgreSQL, batched executemany elsewhere.

For generated or imported data measured in hundreds of thousands of rows, where the ORM's
per-object work would dominate. Rows are tuples of database-ready values in `columns` order.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.db import connection
from django.db.models import Model

BATCH = 20_000


def bulk_insert(
    model: type[Model],
    columns: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Insert rows into the model's table; returns how many. Call inside a transaction."""
    table = connection.ops.quote_name(model._meta.db_table)
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    count = 0
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            raw = cursor.cursor  # psycopg 3 cursor beneath Django's wrapper
            with raw.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
                    count += 1
                    if progress and count % BATCH == 0:
                        progress(count)
        else:
            # Table and column names come from the model, quoted; values are parameters.
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({cols}) VALUES ({placeholders})"  # noqa: S608
            batch: list[Sequence[Any]] = []
            for row in rows:
                batch.append(row)
                if len(batch) == BATCH:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
                    if progress:
                        progress(count)
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
    if progress:
        progress(count)
    return count
