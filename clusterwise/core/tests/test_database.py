import os

from django.db import connection


def test_the_suite_runs_on_the_database_it_was_given(db) -> None:
    """CI runs the suite twice; this fails if DATABASE_URL was silently ignored."""
    url = os.environ.get("DATABASE_URL", "sqlite")
    expected = "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"
    assert connection.vendor == expected
