"""Benchmark: build the demo state and time the role home pages on SQLite and PostgreSQL.

    .venv/bin/python bench/home_pages.py [--db sqlite|postgres|both] [--scale state]
                                         [--requests 50] [--warmup 5] [--explain] [--json FILE]

For each database: a fresh one (a temp SQLite file, or a throwaway PostgreSQL server, see
bench/_pg.py), `migrate`, `demo --scale SCALE` (timed), then the home page `/` for the demo
logins state, district and crc through Django's test client (in process, no HTTP): a few
warm-up requests, then N timed ones, each with its SQL query count. As a reference the same
counts are computed by DuckDB (in memory, column store) over an export of the two tables
the home counts read, and the ratio ours / DuckDB is printed. Django runs in a subprocess
per database so that its settings pick up that database's DATABASE_URL.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATABASES, p95, ratio, say  # noqa: E402

ROLES = ("state", "district", "crc")  # demo logins, password "demo"
TARGET_P95_MS = 300.0


# --- the parent: one database after another ------------------------------------------------


def run_one(db: str, args: argparse.Namespace) -> dict[str, Any]:
    say(f"=== {db}: fresh database, migrate, demo --scale {args.scale}, measure")
    with DATABASES[db](args.keep) as url, tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "result.json"
        env = dict(os.environ)
        env.update(
            DATABASE_URL=url,
            DJANGO_SETTINGS_MODULE="config.settings",
            CLUSTERWISE_DEBUG="false",
            PYTHONUNBUFFERED="1",
        )
        cmd = [sys.executable, str(Path(__file__).resolve()), "--child", "--out", str(out)]
        cmd += ["--db", db, "--scale", args.scale, "--requests", str(args.requests)]
        cmd += ["--warmup", str(args.warmup), "--workdir", tmp]
        if args.explain:
            cmd.append("--explain")
        subprocess.run(cmd, cwd=ROOT, env=env, check=True)
        return json.loads(out.read_text())


def print_report(results: list[dict[str, Any]], args: argparse.Namespace) -> None:
    print()
    print(
        f"Clusterwise home pages at scale '{args.scale}': {args.requests} requests per login "
        f"after {args.warmup} warm-up; target p95 < {TARGET_P95_MS:.0f} ms"
    )
    print()
    print(f"{'database':<10} {'migrate':>9} {'demo':>9} {'size':>9} {'memory':>9}  rows")
    for r in results:
        rows = ", ".join(f"{n:,} {k}" for k, n in sorted(r["generated"].items()) if k != "people")
        print(
            f"{r['db']:<10} {r['migrate_s']:>7.1f} s {r['generate_s']:>7.1f} s "
            f"{r['size_mb']:>6.0f} MB {r['peak_rss_mb']:>6.0f} MB  "
            f"{r['generated'].get('people', 0):,} people; {rows}"
        )
    print("size: the database after loading; memory: the Django process's peak RSS.")
    print()
    head = (
        f"{'database':<10} {'login':<9} {'median':>8} {'p95':>8} {'queries':>8} "
        f"{'ready':>5} {'counts':>8} {'duckdb':>8} {'page/dk':>8} {'counts/dk':>9} "
        f"{'recount':>8} {'load':>5}  ok"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        for login, m in r["pages"].items():
            ok = "yes" if m["p95_ms"] < TARGET_P95_MS else "NO"
            if not m["counts_match_duckdb"]:
                ok += " (counts differ from DuckDB!)"
            queries = "/".join(str(q) for q in sorted(set(m["queries"])))
            recount = f"{m['recount_ms']:.0f}ms" if m["recount_ms"] else "-"
            print(
                f"{r['db']:<10} {login:<9} {m['median_ms']:>6.1f}ms {m['p95_ms']:>6.1f}ms "
                f"{queries:>8} {'yes' if m['ready_figures'] else 'no':>5} "
                f"{m['counts_median_ms']:>6.1f}ms {m['duckdb_median_ms']:>6.2f}ms "
                f"{ratio(m['median_ms'], m['duckdb_median_ms']):>8} "
                f"{ratio(m['counts_median_ms'], m['duckdb_median_ms']):>9} "
                f"{recount:>8} "
                f"{max(m['load']):>5.1f}  {ok}"
            )
    print()
    print(
        "median/p95: whole request through the test client; queries: SQL statements per "
        "request;\nready: the page showed ready-made figures (org.figures); counts: counting "
        "live, as small scopes always do (median);\nduckdb: the same counts in DuckDB "
        "(median); recount: one refresh of the ready figures (the job after a change);\npage/dk and counts/dk: our median / DuckDB's median; load: the highest "
        f"1-minute load average seen while timing ({os.cpu_count()} CPUs)."
    )


def parent(args: argparse.Namespace) -> int:
    # Ctrl-C and SIGTERM unwind through the context managers, which stop and delete servers.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    dbs = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    results = []
    started = time.perf_counter()
    for db in dbs:
        results.append(run_one(db, args))
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2) + "\n")
        say(f"Results written to {args.json}")
    print_report(results, args)
    say(f"Done in {time.perf_counter() - started:.0f} s")
    return 0


# --- the child: Django against one database -----------------------------------------------


def child(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    result: dict[str, Any] = {"db": args.db, "scale": args.scale}
    say(f"{connection.vendor}: migrate")
    t0 = time.perf_counter()
    call_command("migrate", verbosity=0)
    result["migrate_s"] = time.perf_counter() - t0

    say(f"{connection.vendor}: demo --scale {args.scale} (progress below)")
    t0 = time.perf_counter()
    call_command("demo", scale=args.scale, verbosity=1)
    result["generate_s"] = time.perf_counter() - t0
    say(f"{connection.vendor}: demo generated in {result['generate_s']:.1f} s")
    result["generated"] = generated_counts()
    result["size_mb"] = database_size_mb()

    duck = DuckReference(Path(args.workdir))
    result["pages"] = {}
    for login in ROLES:
        result["pages"][login] = measure_login(login, args, duck)
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    Path(args.out).write_text(json.dumps(result))
    return 0


def generated_counts() -> dict[str, int]:
    from django.db.models import Count

    from clusterwise.org.models import Assignment, OrgUnit, Person

    counts = {"people": Person.objects.count()}
    counts.update(dict(OrgUnit.objects.values_list("level").annotate(n=Count("pk")).order_by()))
    counts["assignments"] = Assignment.objects.count()
    return counts


def database_size_mb() -> float:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT pg_database_size(current_database())")
            return cursor.fetchone()[0] / 1e6
        cursor.execute("PRAGMA page_count")
        pages = cursor.fetchone()[0]
        cursor.execute("PRAGMA page_size")
        return pages * cursor.fetchone()[0] / 1e6


def measure_login(login: str, args: argparse.Namespace, duck: DuckReference) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from clusterwise.core.scope import scope_paths
    from clusterwise.org.figures import counts_under, figures_refresh
    from clusterwise.org.models import User

    say(f"{connection.vendor}: {login}: log in, {args.warmup} warm-up, {args.requests} requests")
    load = [os.getloadavg()[0]]
    client = Client()
    response = client.post(reverse("login"), {"username": login, "password": "demo"})
    if response.status_code != 302:
        raise RuntimeError(f"Login as {login} failed ({response.status_code})")
    for _ in range(args.warmup):
        client.get("/")
    times, queries, ready = [], [], []
    for _ in range(args.requests):
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            response = client.get("/")
            times.append((time.perf_counter() - t0) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"GET / as {login} answered {response.status_code}")
        queries.append(len(ctx.captured_queries))
        ready.append(b"Figures counted at" in response.content)

    # Counting live (what a page does for small scopes, or before a recount has run), with the per-request scope cache cleared each time.
    user = User.objects.get(username=login)
    counts_times = []
    for i in range(args.warmup + args.requests):
        for attr in ("_scope_paths", "_roles"):
            user.__dict__.pop(attr, None)
        with CaptureQueriesContext(connection) as ctx:
            t0 = time.perf_counter()
            counts = counts_under(scope_paths(user))
            elapsed = (time.perf_counter() - t0) * 1000
        if i >= args.warmup:
            counts_times.append(elapsed)
    count_sql = [q["sql"] for q in ctx.captured_queries]

    load.append(os.getloadavg()[0])
    paths = list(scope_paths(user))
    # What one recount of this scope's ready figures costs (the job after each change).
    t0 = time.perf_counter()
    recounted = figures_refresh(paths=paths)
    recount_ms = (time.perf_counter() - t0) * 1000 if recounted else None
    duck_counts, duck_times = duck.counts(paths, args.warmup, args.requests)
    m = {
        "scope": paths,
        "median_ms": statistics.median(times),
        "p95_ms": p95(times),
        "max_ms": max(times),
        "queries": queries,
        "ready_figures": all(ready),
        "recount_ms": recount_ms,
        "counts": counts,
        "counts_median_ms": statistics.median(counts_times),
        "counts_p95_ms": p95(counts_times),
        "counts_queries": len(count_sql),
        "duckdb_median_ms": statistics.median(duck_times),
        "duckdb_counts": duck_counts,
        "counts_match_duckdb": duck_counts == counts,
        # The machine's 1-minute load average before and after: other work on it shows here.
        "load": load,
    }
    say(
        f"{connection.vendor}: {login}: median {m['median_ms']:.1f} ms, p95 {m['p95_ms']:.1f} ms, "
        f"{sorted(set(queries))} queries; home_counts {m['counts_median_ms']:.1f} ms; "
        f"DuckDB {m['duckdb_median_ms']:.2f} ms; load {load[0]:.1f}-{load[1]:.1f}; "
        f"counts {counts}"
    )
    if not m["counts_match_duckdb"]:
        say(f"!!! counts differ: ours {counts}, DuckDB {duck_counts}")
    if args.explain:
        m["plans"] = explain(count_sql)
        for sql, plan in m["plans"]:
            print(f"\n-- {login}: {sql}\n{plan}", flush=True)
        print(flush=True)
    return m


def explain(statements: list[str]) -> list[tuple[str, str]]:
    """The plan of each statement (run, with timings, on PostgreSQL)."""
    from django.db import connection

    plans = []
    with connection.cursor() as cursor:
        for sql in statements:
            if connection.vendor == "postgresql":
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                plan = "\n".join(row[0] for row in cursor.fetchall())
            else:
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plan = "\n".join(f"{row[0]:>3} {row[1]:>3} {row[3]}" for row in cursor.fetchall())
            plans.append((sql, plan))
    return plans


class DuckReference:
    """The home counts computed by DuckDB over an export of org units and assignments."""

    def __init__(self, workdir: Path) -> None:
        import duckdb
        from django.db import connection
        from django.utils import timezone

        from clusterwise.org.models import Assignment, OrgUnit

        say(f"{connection.vendor}: export org units and assignments for DuckDB")
        t0 = time.perf_counter()
        units, posts = workdir / "units.csv", workdir / "assignments.csv"
        self._export(OrgUnit._meta.db_table, ["path", "level"], units)
        self._export(
            Assignment._meta.db_table,
            ["org_path", "role", "person_id", "start_date", "end_date"],
            posts,
        )
        self.db = duckdb.connect()
        # The file names are our own temporary files.
        self.db.execute(
            f"CREATE TABLE unit AS SELECT * FROM read_csv('{units}', header=false, "  # noqa: S608
            "columns={'path': 'VARCHAR', 'level': 'VARCHAR'})"
        )
        self.db.execute(
            f"CREATE TABLE post AS SELECT * FROM read_csv('{posts}', header=false, "  # noqa: S608
            "columns={'org_path': 'VARCHAR', 'role': 'VARCHAR', 'person_id': 'VARCHAR', "
            "'start_date': 'DATE', 'end_date': 'DATE'})"
        )
        self.today = timezone.localdate()
        say(f"{connection.vendor}: DuckDB loaded in {time.perf_counter() - t0:.1f} s")

    @staticmethod
    def _export(table: str, columns: list[str], target: Path) -> None:
        from django.db import connection

        select = f"SELECT {', '.join(columns)} FROM {table}"  # noqa: S608 - our own names
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                with (
                    target.open("wb") as f,
                    cursor.cursor.copy(f"COPY ({select}) TO STDOUT WITH (FORMAT csv)") as copy,
                ):
                    for block in copy:
                        f.write(block)
                return
            cursor.execute(select)
            with target.open("w", newline="") as f:
                writer = csv.writer(f)
                while rows := cursor.fetchmany(50_000):
                    writer.writerows(rows)

    def counts(
        self, paths: list[str], warmup: int, repeat: int
    ) -> tuple[dict[str, int], list[float]]:
        from clusterwise.org.models import Role

        scope = " OR ".join(["starts_with(path, ?)"] * len(paths)) or "false"
        post_scope = scope.replace("path", "org_path")
        active = "start_date <= ? AND (end_date IS NULL OR end_date >= ?)"
        times = []
        for i in range(warmup + repeat):
            t0 = time.perf_counter()
            (schools,) = self.db.execute(
                f"SELECT count(*) FROM unit WHERE level = 'school' AND ({scope})",  # noqa: S608
                paths,
            ).fetchone()
            by_role = dict(
                self.db.execute(
                    f"SELECT role, count(*) FROM post WHERE {active} AND ({post_scope}) "  # noqa: S608
                    "GROUP BY role",
                    [self.today, self.today, *paths],
                ).fetchall()
            )
            (people,) = self.db.execute(
                f"SELECT count(DISTINCT person_id) FROM post WHERE {active} AND ({post_scope})",  # noqa: S608
                [self.today, self.today, *paths],
            ).fetchone()
            if i >= warmup:
                times.append((time.perf_counter() - t0) * 1000)
        counts = {"schools": schools}
        counts.update({role: by_role.get(role, 0) for role in Role.values})
        counts["people"] = people
        return counts, times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--scale", default="state", help="demo scale (small, district, state)")
    parser.add_argument("--requests", type=int, default=50, help="timed requests per login")
    parser.add_argument("--warmup", type=int, default=5, help="untimed requests first")
    parser.add_argument("--explain", action="store_true", help="print the count queries' plans")
    parser.add_argument("--json", help="also write the raw results to this file")
    parser.add_argument(
        "--keep", action="store_true", help="keep the databases afterwards (for inspection)"
    )
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--workdir", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.requests < 1 or args.warmup < 0:
        parser.error("--requests must be at least 1 and --warmup not negative")
    return child(args) if args.child else parent(args)


if __name__ == "__main__":
    sys.exit(main())
