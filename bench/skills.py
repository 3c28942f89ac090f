"""Benchmark: the skill matrix and the growth report of a 5,000-CRC cohort with 3 rounds.

    .venv/bin/python bench/skills.py [--db sqlite|postgres|both] [--crcs 5000] [--requests 10]

For each database (a temporary SQLite file, or a throwaway PostgreSQL server, bench/_pg.py):
`migrate`, the small demo state, then a cohort of N extra CRCs (posted across the demo's
clusters, each supported by one of the demo's coaches) on the bundled 12-skill framework,
with coach assessments in the baseline, midline and endline rounds (N × 12 × 3 ratings),
all bulk-inserted. Then, through Django's test client (in process, no HTTP) as the demo's
state officer and district officer: the skill-matrix page, the growth-report page and its
chart, `--requests` times each after one warm-up, printing median and p95 and the query
count; and the selectors behind them alone. As a reference, the same ratings are loaded
into DuckDB (in memory) and the equivalent aggregates timed there: the level distribution
per skill (what the matrix counts) and the per-CRC before/after means and per-skill
changes (what the growth report pairs); the ratio ours / DuckDB is printed.
Target (issue #3): each page under 1 s.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATABASES, p95, say  # noqa: E402

TARGET_MS = 1000.0


def parent(args: argparse.Namespace) -> int:
    results = []
    for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
        say(f"=== {db}")
        with DATABASES[db](args.keep) as url, tempfile.TemporaryDirectory() as tmp:
            out = Path(tmp) / "result.json"
            env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings")
            env.update(CLUSTERWISE_DEBUG="false", PYTHONUNBUFFERED="1")
            cmd = [sys.executable, __file__, "--child", "--out", str(out), "--db", db]
            cmd += ["--crcs", str(args.crcs), "--requests", str(args.requests)]
            subprocess.run(cmd, cwd=ROOT, env=env, check=True)
            results.append(json.loads(out.read_text()))
    print()
    print(
        f"{'db':<9} {'login':<9} {'what':<28} {'median':>9} {'p95':>9} {'queries':>8} {'vs DuckDB':>10}"
    )
    for result in results:
        for row in result["rows"]:
            print(
                f"{result['db']:<9} {row['login']:<9} {row['what']:<28} {row['median_ms']:>7.0f}ms "
                f"{row['p95_ms']:>7.0f}ms {row['queries']:>8} {row['ratio']:>10}"
            )
        print(
            f"{result['db']:<9} (cohort: {result['crcs']} CRCs, {result['ratings']} ratings, built in "
            f"{result['build_s']:.0f} s; DuckDB: distribution {result['duck_matrix_ms']:.1f} ms, "
            f"pairing {result['duck_growth_ms']:.1f} ms; 1-minute load average at the end "
            f"{result['load']:.1f})"
        )
    worst = max(r["p95_ms"] for result in results for r in result["rows"] if r["page"])
    print(f"\nslowest page p95: {worst:.0f} ms (target < {TARGET_MS:.0f} ms)")
    return 0 if worst < TARGET_MS else 1


# --- the child: Django against one database -------------------------------------------------


def build(n_crcs: int) -> tuple[Any, int]:
    import datetime

    from django.core.management import call_command
    from django.db import transaction

    from clusterwise.org.models import Assignment, OrgUnit, Person, Role
    from clusterwise.programme.models import Cohort, CohortMember
    from clusterwise.skills.models import Assessment, Framework, Rating

    call_command("demo", scale="small", verbosity=0)
    rng = random.Random(5000)
    today = datetime.date.today()
    framework = Framework.objects.get(key="kpalp-crc", status="published")
    skills = list(framework.skills.all())
    state = OrgUnit.objects.get(level="state")
    clusters = list(OrgUnit.objects.filter(level="cluster").order_by("path"))
    with transaction.atomic():
        cohort = Cohort.objects.create(
            name=f"Bench {n_crcs}",
            kind="basic",
            framework=framework,
            org_unit=state,
            org_path=state.path,
            starts_on=today - datetime.timedelta(days=300),
            ends_on=today,
        )
        coaches = [
            CohortMember.objects.create(
                cohort=cohort,
                person_id=a.person_id,
                role="coach",
                org_unit=a.org_unit,
                org_path=a.org_path,
                joined_on=cohort.starts_on,
            )
            for a in Assignment.objects.filter(role=Role.COACH).select_related("org_unit")
        ]
        people = Person.objects.bulk_create(
            [Person(name=f"Bench CRC {i:05d}") for i in range(n_crcs)], batch_size=2000
        )
        posts, members = [], []
        for i, person in enumerate(people):
            cluster = clusters[i % len(clusters)]
            posts.append(
                Assignment(
                    person=person,
                    role=Role.CRC,
                    org_unit=cluster,
                    org_path=cluster.path,
                    start_date=cohort.starts_on,
                )
            )
            block_coaches = [c for c in coaches if cluster.path.startswith(c.org_path)] or coaches
            members.append(
                CohortMember(
                    cohort=cohort,
                    person=person,
                    role="crc",
                    org_unit=cluster,
                    org_path=cluster.path,
                    joined_on=cohort.starts_on,
                    supported_by=rng.choice(block_coaches),
                )
            )
        Assignment.objects.bulk_create(posts, batch_size=2000)
        CohortMember.objects.bulk_create(members, batch_size=2000)
        assessor = coaches[0].person_id
        n_ratings = 0
        for r_index, round_ in enumerate(("baseline", "midline", "endline")):
            assessments = Assessment.objects.bulk_create(
                [
                    Assessment(
                        cohort=cohort,
                        member=m,
                        round=round_,
                        kind="coach",
                        assessor_id=assessor,
                        assessed_on=today,
                    )
                    for m in members
                ],
                batch_size=2000,
            )
            ratings = [
                Rating(
                    assessment=a,
                    skill=s,
                    level=min(
                        4, max(1, rng.randint(1, 3) + (r_index and rng.random() < 0.3 * r_index))
                    ),
                    cohort=cohort,
                    member_id=a.member_id,
                    round=round_,
                    kind="coach",
                )
                for a in assessments
                for s in skills
            ]
            Rating.objects.bulk_create(ratings, batch_size=5000)
            n_ratings += len(ratings)
    with contextlib.suppress(Exception):
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    return cohort, n_ratings


class Duck:
    """The same ratings in DuckDB, and the aggregates the two pages need."""

    @classmethod
    def load(cls, cohort: Any) -> Duck:
        import duckdb

        from clusterwise.skills.models import Rating

        self = cls.__new__(cls)
        self.db = duckdb.connect()
        with tempfile.NamedTemporaryFile("w", suffix=".csv", delete=False) as f:
            f.write("member,skill,round,level\n")
            for m, s, r, lv in (
                Rating.objects.filter(cohort=cohort, kind="coach")
                .values_list("member_id", "skill_id", "round", "level")
                .iterator(chunk_size=20000)
            ):
                f.write(f"{m},{s},{r},{lv}\n")
        self.db.execute("CREATE TABLE rating AS SELECT * FROM read_csv_auto(?)", [f.name])
        os.unlink(f.name)
        return self

    def matrix(self) -> float:
        started = time.perf_counter()
        self.db.execute(
            "SELECT skill, level, count(*) FROM rating WHERE round = 'endline' GROUP BY skill, level"
        ).fetchall()
        return (time.perf_counter() - started) * 1000

    def growth(self) -> float:
        started = time.perf_counter()
        self.db.execute(
            """
            WITH pairs AS (
              SELECT member, skill,
                     max(level) FILTER (WHERE round = 'baseline') AS b,
                     max(level) FILTER (WHERE round = 'endline') AS a
              FROM rating WHERE round IN ('baseline', 'endline') GROUP BY member, skill
            )
            SELECT (SELECT count(*) FROM (SELECT member FROM pairs GROUP BY member
                      HAVING round(avg(a) + 1e-9) > round(avg(b) + 1e-9))),
                   (SELECT list(skill) FROM (SELECT skill, sum(CASE WHEN a > b THEN 1 ELSE 0 END) AS up
                      FROM pairs GROUP BY skill))
            """
        ).fetchall()
        return (time.perf_counter() - started) * 1000


def child(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from clusterwise.org.models import OrgUnit, User
    from clusterwise.programme.selectors import crcs_for
    from clusterwise.skills.selectors import growth_for, skill_matrix

    say(f"{connection.vendor}: migrate, small demo, a {args.crcs}-CRC cohort with 3 rounds")
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    cohort, n_ratings = build(args.crcs)
    build_s = time.perf_counter() - started
    say(f"{connection.vendor}: built in {build_s:.0f} s ({n_ratings} ratings); DuckDB reference")
    duck = Duck.load(cohort)
    duck_matrix = statistics.median(duck.matrix() for _ in range(args.requests))
    duck_growth = statistics.median(duck.growth() for _ in range(args.requests))

    def timed(fn: Callable[[], Any]) -> tuple[float, float, int]:
        fn()
        times, queries = [], 0
        for _ in range(args.requests):
            with CaptureQueriesContext(connection) as ctx:
                t0 = time.perf_counter()
                fn()
                times.append((time.perf_counter() - t0) * 1000)
            queries = len(ctx.captured_queries)
        return statistics.median(times), p95(times), queries

    rows = []
    district = OrgUnit.objects.filter(level="district").order_by("path").first()
    matrix_url = reverse("skills:matrix", args=[cohort.pk])
    growth_url = reverse("skills:growth", args=[cohort.pk])
    chart_url = reverse("skills:growth_chart", args=[cohort.pk])
    for login in ("state", "district"):
        client = Client()
        assert client.post("/login/", {"username": login, "password": "demo"}).status_code == 302
        user = User.objects.get(username=login)

        def page(url: str, client: Client = client) -> None:
            response = client.get(url)
            assert response.status_code == 200, (url, response.status_code)

        checks: list[tuple[str, Callable[[], Any], float, bool]] = [
            (
                "matrix page (endline)",
                lambda: page(f"{matrix_url}?round=endline"),
                duck_matrix,
                True,
            ),
            (
                "matrix page, one district",
                lambda: page(f"{matrix_url}?round=endline&district={district.pk}"),
                duck_matrix,
                True,
            ),
            (
                "growth page",
                lambda: page(f"{growth_url}?before=baseline&after=endline"),
                duck_growth,
                True,
            ),
            (
                "growth chart (SVG)",
                lambda: page(f"{chart_url}?before=baseline&after=endline"),
                duck_growth,
                True,
            ),
            (
                "skill_matrix() selector",
                lambda u=user: skill_matrix(crcs_for(u, cohort), cohort, round="endline"),
                duck_matrix,
                False,
            ),
            (
                "growth_for() selector",
                lambda u=user: growth_for(
                    crcs_for(u, cohort), cohort, before="baseline", after="endline"
                ),
                duck_growth,
                False,
            ),
        ]
        for what, fn, reference, is_page in checks:
            median, p95_ms, queries = timed(fn)
            rows.append(
                {
                    "login": login,
                    "what": what,
                    "median_ms": median,
                    "p95_ms": p95_ms,
                    "queries": queries,
                    "ratio": f"{median / reference:.0f}x",
                    "page": is_page,
                }
            )
            say(f"{login} {what}: median {median:.0f} ms, p95 {p95_ms:.0f} ms, {queries} queries")
    Path(args.out).write_text(
        json.dumps(
            {
                "db": args.db,
                "crcs": args.crcs,
                "ratings": n_ratings,
                "build_s": build_s,
                "duck_matrix_ms": duck_matrix,
                "duck_growth_ms": duck_growth,
                "load": os.getloadavg()[0],
                "rows": rows,
            }
        )
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--crcs", type=int, default=5000)
    parser.add_argument("--requests", type=int, default=10)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    return child(args) if args.child else parent(args)


if __name__ == "__main__":
    sys.exit(main())
