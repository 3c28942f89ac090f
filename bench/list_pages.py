"""Benchmark: the people and schools lists for the demo logins, on an already loaded database.

    DATABASE_URL=sqlite:////tmp/state.sqlite3 .venv/bin/python manage.py demo --scale state
    DATABASE_URL=sqlite:////tmp/state.sqlite3 .venv/bin/python bench/list_pages.py [--requests 10]

Prints the median and p95 of each page through Django's test client (the whole request, no
HTTP server) and its query count. bench/home_pages.py builds databases itself; this one
reuses one, since the lists need no fresh load.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

URLS = [
    "/org/people/",
    "/org/people/?page=3",
    "/org/people/?q=Patil",
    "/org/people/?role=crc",
    "/org/schools/",
    "/org/schools/?page=50",
    "/org/schools/?q=Ashram",
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    print(f"database: {connection.vendor}; {args.requests} requests per page after 1 warm-up")
    print(f"{'login':<9} {'page':<24} {'median':>9} {'p95':>9} {'queries':>8}")
    for login in ("state", "district", "crc"):
        client = Client()
        if client.post("/login/", {"username": login, "password": "demo"}).status_code != 302:
            print(f"cannot log in as {login}: load the demo first", file=sys.stderr)
            return 1
        for url in URLS:
            client.get(url)
            times = []
            for _ in range(args.requests):
                with CaptureQueriesContext(connection) as ctx:
                    started = time.perf_counter()
                    response = client.get(url)
                    times.append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            p95 = sorted(times)[max(0, round(0.95 * len(times)) - 1)]
            print(
                f"{login:<9} {url:<24} {statistics.median(times):>7.1f}ms {p95:>7.1f}ms "
                f"{len(ctx.captured_queries):>8}"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
