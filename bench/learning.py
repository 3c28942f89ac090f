"""Benchmark: importing, aggregating and reading students' results at scale (issue #5).

    .venv/bin/python bench/learning.py [--db sqlite|postgres|both] [--rows 1000000] [--big]
                                       [--scale state] [--requests 30] [--units 20]
                                       [--keep] [--json FILE]

1. The results files, once for every database, into a temporary folder (deterministic for
   `--seed`): `--rows` results (1,000,000; `--big`: 10,000,000) of a round defined with
   `round_load` from the bundled rounds/foundational_baseline.json (key `bench-baseline`:
   grades 2 to 5, six competencies, two on a level scale), over the schools of the tree
   `demo --scale state` builds (36 districts, 394 blocks, 4,954 clusters, 109,367 schools).
   Whole clusters, drawn at random across the state, are assessed (a cluster sample, as
   state surveys draw them) until the rows are used up: every child of grades 2 to 5 in
   every competency of their grade, 10 to 38 children per grade (about 530 results per
   school: 1M results cover about 1,900 schools, 10M about 19,000). Rows come school by
   school, as an export lists them. The schools of 5% of the rows, drawn at random, are
   held back in a second file: the late uploads of the incremental step.
2. For each database (a temporary SQLite file, or a throwaway PostgreSQL server,
   bench/_pg.py), each step in its own child process running Django against it:
   a. `migrate`, `demo --scale state`, the round; a bearer token for the demo login
      `state`;
   b. the import of the main file (`import_results`, all or nothing, as the command runs it):
      wall time, rows/s, the child's peak RSS (VmHWM), its CPU (`wait4`) and the
      PostgreSQL server's (postmaster and backends, /proc);
   c. a full analytics rebuild (`analytics.rebuild`), timed;
   d. the import of the late file (its refresh of the touched schools is part of it, and
      its time is shown on its own), then `analytics.refresh` of those schools again,
      timed alone; the cells the incremental path left are kept aside and a full rebuild
      must give exactly the same cells (else the benchmark fails);
   e. the drill-down: `GET /api/v1/learning/rounds/{key}/units/{id}/results?grade=&subject=`
      through Django's test client (in process, no HTTP server) as the `state` login, for
      the state, every district with results, and `--units` blocks and clusters with
      results drawn at random: a few untimed warm-up calls, then `--requests` timed calls
      per level (units taken in turn, grade and subject at random). Median and p95 (nearest
      rank) per level and overall, and the SQL queries of one call.
3. A reference: DuckDB reads the same CSV files straight (`read_csv`) and computes the same
   cells (school cells from the rows: count, sum, sum of squares, below the proficiency
   score, count per level, per org unit × grade × competency × gender; then every level
   above from its children's cells). Its time on the main file is compared with our import
   + rebuild and with our rebuild alone; on both files its state cells and its cell counts
   per level must equal ours.

Targets (issue #5, 2 cores, PostgreSQL): 10M rows imported and validated in at most 60 s,
peak memory at most 1 GB, drill-down p95 at most 300 ms. At 1M rows the import target is
shown as its rate (166,667 rows/s). The `state` demo takes about two minutes per database.
"""

from __future__ import annotations

import argparse
import contextlib
import csv
import json
import math
import os
import random
import shutil
import signal
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
from _common import DATABASES, percentile, ratio, say  # noqa: E402

ROUND_FILE = ROOT / "clusterwise" / "learning" / "rounds" / "foundational_baseline.json"
ROUND_KEY = "bench-baseline"
TARGET_ROWS = 10_000_000
TARGET_IMPORT_S = 60.0
TARGET_RSS_MB = 1024.0
TARGET_P95_MS = 300.0
LATE_SHARE = 0.05
CHILDREN_PER_GRADE = (10, 38)
HEADER = "school_code,grade,section,student_id,gender,subject,competency,score,level\n"
LEVELS = ("state", "district", "block", "cluster")
MEASURES = ["students", "total", "squares", "below"] + [f"level_{n}" for n in range(6)]


# --- databases and child processes ----------------------------------------------------------


def _stat(pid: int) -> list[str]:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def server_cpu(url: str) -> float:
    """CPU seconds the PostgreSQL server has used so far: the postmaster, its live children,
    and the children it has already reaped (a child's backend ends with the child)."""
    if not url.startswith("postgres"):
        return 0.0
    port = url.rsplit(":", 1)[1].split("/")[0]
    tick = os.sysconf("SC_CLK_TCK")
    postmaster = None
    live: dict[int, list[str]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        with contextlib.suppress(OSError, IndexError):
            fields = _stat(int(entry.name))
            live[int(entry.name)] = fields
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            if f"-p {port} " in cmdline and "postgres" in cmdline and int(fields[1]) == 1:
                postmaster = int(entry.name)
    if postmaster is None:
        return math.nan
    total = sum(int(f) for f in live[postmaster][11:15])  # utime, stime, cutime, cstime
    total += sum(
        int(fields[11]) + int(fields[12])
        for fields in live.values()
        if int(fields[1]) == postmaster
    )
    return total / tick


def django_env(url: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings")
    env.update(CLUSTERWISE_DEBUG="false", PYTHONUNBUFFERED="1", CLUSTERWISE_LOG_LEVEL="ERROR")
    return env


def run_child(url: str, *arguments: str) -> dict[str, Any]:
    """Run this script as a child step against the database; its own figures (the JSON it
    writes) plus wall time, peak RSS and CPU of the child, and the server's CPU."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as fh:
        out = Path(fh.name)
    try:
        server_before = server_cpu(url)
        began = time.perf_counter()
        child = subprocess.Popen(
            [sys.executable, __file__, *arguments, "--out", str(out)],
            cwd=ROOT,
            env=django_env(url),
        )
        _pid, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - began
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode:
            raise SystemExit(f"The step {arguments[0]} failed (exit code {child.returncode}).")
        time.sleep(0.5)  # the postmaster reaps the child's backend
        figures = json.loads(out.read_text())
    finally:
        out.unlink(missing_ok=True)
    figures.update(
        wall_s=wall,
        cpu_s=usage.ru_utime + usage.ru_stime,
        server_cpu_s=server_cpu(url) - server_before if url.startswith("postgres") else None,
    )
    return figures


# --- the results files -------------------------------------------------------------------------


def competencies_by_grade(definition: dict[str, Any]) -> dict[int, list[dict[str, Any]]]:
    by_grade: dict[int, list[dict[str, Any]]] = {}
    for comp in definition["competencies"]:
        for grade in comp.get("grades", definition["grades"]):
            by_grade.setdefault(grade, []).append(comp)
    return by_grade


def generate(
    folder: Path, schools: list[list[str]], step: int, rows: int, seed: int
) -> dict[str, Any]:
    """Write main.csv and late.csv (see the module's docstring); what was written."""
    definition = json.loads(ROUND_FILE.read_text(encoding="utf-8"))
    levels = {
        subject: [s["code"] for s in steps] for subject, steps in definition["levels"].items()
    }
    by_grade = competencies_by_grade(definition)
    grades = sorted(by_grade)
    rng = random.Random(seed)

    clusters: dict[str, list[str]] = {}
    for code, path in schools:
        clusters.setdefault(path[:-step], []).append(code)
    order = sorted(clusters)
    rng.shuffle(order)
    per_child = statistics.mean(len(by_grade[g]) for g in grades)
    per_school = statistics.mean(CHILDREN_PER_GRADE) * len(grades) * per_child
    # A tree too small for the rows at that density gets bigger schools.
    factor = max(1.0, rows / (per_school * len(schools)))

    # Which schools, with how many children per grade, until the rows are used up.
    plan: list[tuple[str, list[int]]] = []
    planned = 0
    for cluster in order:
        for code in clusters[cluster]:
            counts = [round(rng.randint(*CHILDREN_PER_GRADE) * factor) for _ in grades]
            plan.append((code, counts))
            planned += sum(n * len(by_grade[g]) for g, n in zip(grades, counts, strict=True))
            if planned >= rows:
                break
        if planned >= rows:
            break
    late: set[str] = set()
    held = 0
    for index in rng.sample(range(len(plan)), len(plan)):
        if held >= LATE_SHARE * rows:
            break
        code, counts = plan[index]
        late.add(code)
        held += sum(n * len(by_grade[g]) for g, n in zip(grades, counts, strict=True))

    written = {"main": 0, "late": 0}
    files = {name: (folder / f"{name}.csv").open("w", encoding="utf-8") for name in written}
    for fh in files.values():
        fh.write(HEADER)
    left = rows
    random_ = rng.random
    for code, counts in plan:
        name = "late" if code in late else "main"
        out: list[str] = []
        school_effect = rng.gauss(0, 0.4)
        taken: set[str] = set()
        for grade, children in zip(grades, counts, strict=True):
            comps = by_grade[grade]
            sections = 1 + children // 36
            for n in range(children):
                while True:
                    student = f"{rng.getrandbits(40):010X}"
                    if student not in taken:
                        taken.add(student)
                        break
                section = "ABCDEFGH"[n * sections // children]
                draw = random_()
                gender = "F" if draw < 0.49 else ("M" if draw < 0.99 else "")
                ability = school_effect + (grade - 3) * 0.5 + rng.gauss(0, 1)
                for comp in comps:
                    if left == 0:
                        break
                    left -= 1
                    # A value on the competency's scale around the child's ability.
                    share = 1 / (1 + math.exp(-(ability + random_() - 0.5)))
                    subject = comp["subject"]
                    if comp["scale"] == "level":
                        steps = levels[subject]
                        score, level = "", steps[min(len(steps) - 1, int(share * len(steps)))]
                    else:
                        top = comp["max_score"]
                        score, level = str(min(top, int(share * (top + 1)))), ""
                    out.append(
                        f"{code},{grade},{section},{student},{gender},{subject},"
                        f"{comp['code']},{score},{level}\n"
                    )
        files[name].write("".join(out))
        written[name] += len(out)
    for fh in files.values():
        fh.close()
    assert written["main"] + written["late"] == rows, written
    return {
        "rows": rows,
        "main": written["main"],
        "late": written["late"],
        "schools": len(plan),
        "late_schools": sorted(late),
        "clusters": len({code[: code.rindex("S")] for code, _c in plan}),
        "children_factor": factor,
        "rows_per_school": rows / len(plan),
    }


# --- the reference: DuckDB on the CSV files ------------------------------------------------------


def duckdb_cells(files: list[Path], world: dict[str, Any], org_csv: Path) -> dict[str, Any]:
    """The round's cells at every level computed by DuckDB from the files; seconds."""
    import duckdb

    con = duckdb.connect()
    con.execute(f"SET threads = {os.cpu_count() or 1}")
    con.execute(
        "CREATE TABLE org AS SELECT * FROM read_csv(?, header = true, columns = "
        "{'id': 'VARCHAR', 'code': 'VARCHAR', 'path': 'VARCHAR', 'depth': 'INTEGER'})",
        [str(org_csv)],
    )
    con.execute(
        "CREATE TABLE comp (id BIGINT, subject VARCHAR, code VARCHAR, scale VARCHAR, "
        "threshold DOUBLE)"
    )
    con.executemany(
        "INSERT INTO comp VALUES (?, ?, ?, ?, ?)",
        [
            (c["id"], c["subject"], c["code"], c["scale"], c["threshold"])
            for c in world["competencies"]
        ],
    )
    con.execute("CREATE TABLE lvl (subject VARCHAR, code VARCHAR, ord INTEGER)")
    con.executemany(
        "INSERT INTO lvl VALUES (?, ?, ?)",
        [(s, code, n) for s, codes in world["levels"].items() for n, code in enumerate(codes)],
    )
    step = world["steplen"]
    sums = ", ".join(f"SUM(ch.{m})" for m in MEASURES)
    columns = (
        "{'school_code': 'VARCHAR', 'grade': 'INTEGER', 'section': 'VARCHAR', "
        "'student_id': 'VARCHAR', 'gender': 'VARCHAR', 'subject': 'VARCHAR', "
        "'competency': 'VARCHAR', 'score': 'DOUBLE', 'level': 'VARCHAR'}"
    )
    began = time.perf_counter()
    con.execute(
        f"CREATE TABLE cells AS WITH v AS (SELECT o.id, o.path, o.depth, c.id AS competency_id, "  # noqa: S608
        "r.grade, COALESCE(r.gender, 'U') AS gender, c.threshold, "
        "CASE WHEN c.scale = 'level' THEN l.ord ELSE r.score END AS score, "
        "CASE WHEN c.scale = 'level' THEN l.ord END AS level "
        f"FROM read_csv(?, header = true, columns = {columns}) r "
        "JOIN org o ON o.code = r.school_code "
        "JOIN comp c ON c.subject = r.subject AND c.code = r.competency "
        "LEFT JOIN lvl l ON l.subject = r.subject AND l.code = r.level) "
        "SELECT id, path, depth, competency_id, grade, gender, COUNT(*) AS students, "
        "SUM(score) AS total, SUM(score * score) AS squares, "
        "SUM(CASE WHEN score < threshold THEN 1 ELSE 0 END) AS below, "
        + ", ".join(
            f"SUM(CASE WHEN v.level = {n} THEN 1 ELSE 0 END) AS level_{n}" for n in range(6)
        )
        + " FROM v GROUP BY id, path, depth, competency_id, grade, gender",
        [[str(f) for f in files]],
    )
    deepest = con.execute("SELECT MAX(depth) FROM cells").fetchone()[0]
    for depth in range(deepest - 1, 0, -1):
        con.execute(
            f"INSERT INTO cells SELECT p.id, p.path, p.depth, ch.competency_id, ch.grade, "  # noqa: S608
            f"ch.gender, {sums} FROM cells ch JOIN org p ON p.path = "
            f"substr(ch.path, 1, {depth * step}) WHERE ch.depth = {depth + 1} "
            "GROUP BY p.id, p.path, p.depth, ch.competency_id, ch.grade, ch.gender"
        )
    seconds = time.perf_counter() - began
    codes = {c["id"]: c["code"] for c in world["competencies"]}
    state = {
        f"{codes[comp]}|{grade}|{gender}": [float(v) for v in values]
        for comp, grade, gender, *values in con.execute(
            f"SELECT competency_id, grade, gender, {', '.join(MEASURES)} FROM cells "  # noqa: S608
            "WHERE depth = 1"
        ).fetchall()
    }
    per_depth = dict(con.execute("SELECT depth, COUNT(*) FROM cells GROUP BY depth").fetchall())
    con.close()
    return {
        "seconds": seconds,
        "state": state,
        "per_depth": {str(k): v for k, v in per_depth.items()},
    }


def same_cells(ours: dict[str, list[float]], theirs: dict[str, list[float]]) -> list[str]:
    """The keys whose measures differ (sums of squares compared to 1e-9 relative)."""
    differ = sorted(set(ours) ^ set(theirs))
    for key in set(ours) & set(theirs):
        if any(
            not math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-9)
            for a, b in zip(ours[key], theirs[key], strict=True)
        ):
            differ.append(key)
    return differ


# --- the parent --------------------------------------------------------------------------------


def run_one(db: str, args: argparse.Namespace, data: dict[str, Any]) -> dict[str, Any]:
    folder: Path = data["folder"]
    say(f"=== {db}: fresh database, migrate, demo --scale {args.scale}, the round")
    with DATABASES[db](args.keep) as url:
        setup = run_child(url, "--step", "setup", "--scale", args.scale, "--folder", str(folder))
        say(
            f"{db}: migrate {setup['migrate_s']:.0f} s, demo {setup['demo_s']:.0f} s "
            f"({setup['schools']:,} schools)"
        )
        if "generated" not in data:
            world = json.loads((folder / "world.json").read_text())
            say(f"generating {args.rows:,} results into {folder} (seed {args.seed})")
            began = time.perf_counter()
            data["generated"] = generate(
                folder, world["schools"], world["steplen"], args.rows, args.seed
            )
            data["generated"]["seconds"] = time.perf_counter() - began
            data["world"] = world
            g = data["generated"]
            say(
                f"generated in {g['seconds']:.0f} s: {g['main']:,} + {g['late']:,} rows (late "
                f"file: {len(g['late_schools'])} schools), {g['schools']:,} schools in "
                f"{g['clusters']:,} clusters, {g['rows_per_school']:.0f} rows per school"
            )
            (folder / "late_schools.json").write_text(json.dumps(g["late_schools"]))
            say("DuckDB: the same cells from the main file, then from both files")
            data["duckdb_main"] = min(
                (duckdb_cells([folder / "main.csv"], world, folder / "org.csv") for _ in range(2)),
                key=lambda d: d["seconds"],
            )
            data["duckdb_all"] = duckdb_cells(
                [folder / "main.csv", folder / "late.csv"], world, folder / "org.csv"
            )
            say(
                f"DuckDB: {data['duckdb_main']['seconds']:.1f} s on the main file, "
                f"{data['duckdb_all']['seconds']:.1f} s on both"
            )
        else:
            same = json.loads((folder / "world.json").read_text())["schools"]
            if same != data["world"]["schools"]:
                raise SystemExit("The demo built another tree on this database.")

        say(f"{db}: import of main.csv ({data['generated']['main']:,} rows)")
        main = run_child(url, "--step", "import", "--file", str(folder / "main.csv"))
        say(
            f"{db}: imported {main['added']:,} rows in {main['wall_s']:.1f} s "
            f"({main['added'] / main['wall_s']:,.0f} rows/s), peak RSS "
            f"{main['peak_rss_mb']:.0f} MB; steps: {_steps(main['timings'])}"
        )
        say(f"{db}: full analytics rebuild")
        rebuild = run_child(url, "--step", "rebuild")
        say(f"{db}: rebuilt {rebuild['cells']:,} cells in {rebuild['seconds']:.1f} s")
        say(f"{db}: import of late.csv ({data['generated']['late']:,} rows)")
        late = run_child(url, "--step", "import", "--file", str(folder / "late.csv"))
        say(
            f"{db}: imported {late['added']:,} rows in {late['wall_s']:.1f} s, "
            f"its refresh {late['timings'].get('analytics', math.nan):.2f} s"
        )
        say(f"{db}: refresh of the late schools alone, then a full rebuild to compare")
        check = run_child(url, "--step", "check", "--folder", str(folder))
        if check["differ"]:
            raise SystemExit(
                f"{db}: the cells after the incremental import differ from a full rebuild "
                f"({check['differ']} rows differ, e.g. {check['examples']})"
            )
        say(
            f"{db}: refresh {check['refresh_s']:.2f} s; the incremental cells equal a full "
            f"rebuild ({check['cells']:,} cells, rebuilt in {check['rebuild_s']:.1f} s)"
        )
        say(f"{db}: drill-down through the API")
        drill = run_child(
            url,
            "--step",
            "drill",
            "--requests",
            str(args.requests),
            "--units",
            str(args.units),
            "--seed",
            str(args.seed),
        )
        say(f"{db}: drill-down p95 {drill['overall']['p95_ms']:.0f} ms")
        differ = same_cells(check["state"], data["duckdb_all"]["state"])
        return {
            "db": db,
            "setup": setup,
            "main": main,
            "rebuild": rebuild,
            "late": late,
            "check": check,
            "drill": drill,
            "duckdb_state_differs": differ,
            "duckdb_depths_equal": check["per_depth"] == data["duckdb_all"]["per_depth"],
        }


def _steps(timings: dict[str, float]) -> str:
    return ", ".join(f"{k} {v:.1f} s" for k, v in timings.items())


def report(results: list[dict[str, Any]], data: dict[str, Any], args: argparse.Namespace) -> bool:
    g = data["generated"]
    duck = data["duckdb_main"]["seconds"]
    print()
    print(
        f"Learning data: {g['rows']:,} results ({g['main']:,} + {g['late']:,} late) of round "
        f"{ROUND_KEY}, {g['schools']:,} schools in {g['clusters']:,} clusters of the "
        f"'{args.scale}' demo, {g['rows_per_school']:.0f} results per school; "
        f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    head = (
        f"{'db':<9} {'import':>8} {'rows/s':>9} {'RSS':>7} {'cpu':>7} {'server':>7} "
        f"{'rebuild':>8} {'late':>7} {'its ref':>8} {'refresh':>8} {'DuckDB':>7} "
        f"{'imp+reb/dk':>10} {'reb/dk':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        m = r["main"]
        server = f"{r['main']['server_cpu_s']:.0f} s" if r["main"]["server_cpu_s"] else "-"
        print(
            f"{r['db']:<9} {m['wall_s']:>6.1f} s {m['added'] / m['wall_s']:>9,.0f} "
            f"{m['peak_rss_mb']:>4.0f} MB {m['cpu_s']:>5.0f} s {server:>7} "
            f"{r['rebuild']['seconds']:>6.1f} s {r['late']['wall_s']:>5.1f} s "
            f"{r['late']['timings'].get('analytics', math.nan):>6.2f} s "
            f"{r['check']['refresh_s']:>6.2f} s {duck:>5.1f} s "
            f"{ratio(m['wall_s'] + r['rebuild']['seconds'], duck):>10} "
            f"{ratio(r['rebuild']['seconds'], duck):>7}"
        )
    print(
        "import: the child process importing main.csv (checks, staging, SQL checks, insert, "
        "its analytics refresh);\nRSS: its peak; cpu: its CPU; server: PostgreSQL's CPU "
        "meanwhile; rebuild: analytics.rebuild afterwards;\nlate: importing late.csv; its ref: "
        "that import's own refresh; refresh: analytics.refresh of those schools alone;\n"
        "DuckDB: the same cells from main.csv with read_csv; imp+reb/dk and reb/dk: ours over "
        "DuckDB's."
    )
    for r in results:
        print(f"{r['db']:<9} import steps: {_steps(r['main']['timings'])}")
    print()
    head = (
        f"{'db':<9} {'level':<9} {'units':>5} {'calls':>5} {'median':>8} {'p95':>8} {'queries':>7}"
    )
    print(head)
    print("-" * len(head))
    for r in results:
        for level in (*LEVELS, "overall"):
            d = r["drill"]["overall" if level == "overall" else "levels"]
            d = d if level == "overall" else d[level]
            print(
                f"{r['db']:<9} {level:<9} {d['units']:>5} {d['calls']:>5} "
                f"{d['median_ms']:>6.0f}ms {d['p95_ms']:>6.0f}ms {d.get('queries', ''):>7}"
            )
    print()
    ok = True
    for r in results:
        checks = [
            ("incremental cells = full rebuild", not r["check"]["differ"]),
            ("state cells = DuckDB's", not r["duckdb_state_differs"]),
            ("cells per level = DuckDB's", r["duckdb_depths_equal"]),
        ]
        print(f"{r['db']:<9} " + "; ".join(f"{n}: {'yes' if v else 'NO'}" for n, v in checks))
        ok = ok and all(v for _n, v in checks)
    print()
    rate = TARGET_ROWS / TARGET_IMPORT_S
    print(
        f"Targets (2 cores, PostgreSQL): {TARGET_ROWS:,} rows imported and validated in <= "
        f"{TARGET_IMPORT_S:.0f} s ({rate:,.0f} rows/s), peak memory <= {TARGET_RSS_MB:.0f} MB, "
        f"drill-down p95 <= {TARGET_P95_MS:.0f} ms"
    )
    for r in results:
        m = r["main"]
        rows_s = m["added"] / m["wall_s"]
        at_scale = g["main"] >= TARGET_ROWS * 0.95
        lines = [
            (
                f"import {rows_s:,.0f} rows/s"
                + (
                    f" ({m['wall_s']:.0f} s for {m['added']:,})"
                    if at_scale
                    else f" (10M rows would take {TARGET_ROWS / rows_s:.0f} s at that rate)"
                ),
                rows_s >= rate,
            ),
            (
                f"peak memory {m['peak_rss_mb']:.0f} MB" + ("" if at_scale else " (at this size)"),
                m["peak_rss_mb"] <= TARGET_RSS_MB,
            ),
            (
                f"drill-down p95 {r['drill']['overall']['p95_ms']:.0f} ms",
                r["drill"]["overall"]["p95_ms"] <= TARGET_P95_MS,
            ),
        ]
        print(
            f"{r['db']:<9} "
            + "; ".join(f"{text}: {'met' if met else 'NOT met'}" for text, met in lines)
        )
    return ok


def parent(args: argparse.Namespace) -> int:
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    folder = Path(tempfile.mkdtemp(prefix="clusterwise-learning-files-"))
    data: dict[str, Any] = {"folder": folder}
    results = []
    started = time.perf_counter()
    try:
        for db in ["sqlite", "postgres"] if args.db == "both" else [args.db]:
            results.append(run_one(db, args, data))
    finally:
        if args.keep:
            print(f"Kept the results files in {folder}", flush=True)
        else:
            shutil.rmtree(folder, ignore_errors=True)
    ok = report(results, data, args)
    if args.json:
        data.pop("folder")
        Path(args.json).write_text(
            json.dumps({"args": vars(args), "data": data, "results": results}, default=str)
        )
    say(f"Done in {time.perf_counter() - started:.0f} s")
    return 0 if ok else 1


# --- the children: Django against one database --------------------------------------------


def child_setup(args: argparse.Namespace, out: dict[str, Any]) -> None:
    from django.core.management import call_command
    from django.db import connection

    from clusterwise.learning.models import Level
    from clusterwise.learning.services import round_load
    from clusterwise.org.models import OrgUnit

    began = time.perf_counter()
    call_command("migrate", verbosity=0)
    out["migrate_s"] = time.perf_counter() - began
    say(f"{connection.vendor}: demo --scale {args.scale}")
    began = time.perf_counter()
    call_command("demo", scale=args.scale, verbosity=0)
    out["demo_s"] = time.perf_counter() - began
    definition = json.loads(ROUND_FILE.read_text(encoding="utf-8"))
    round_ = round_load(data={**definition, "key": ROUND_KEY}, by=None)
    if Level.objects.filter(round=round_, min_score__isnull=False).exists():
        raise SystemExit(
            "The DuckDB reference places no scores on levels: use levels without min_score."
        )
    folder = Path(args.folder)
    schools = []
    with (folder / "org.csv").open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["id", "code", "path", "depth"])
        for pk, code, path, depth, level in OrgUnit.objects.order_by("path").values_list(
            "id", "code", "path", "depth", "level"
        ):
            writer.writerow(
                [pk.hex if connection.vendor == "sqlite" else str(pk), code, path, depth]
            )
            if level == "school":
                schools.append([code, path])
    world = {
        "steplen": OrgUnit.steplen,
        "schools": schools,
        "competencies": [
            {
                "id": c.pk,
                "subject": c.subject,
                "code": c.code,
                "scale": c.scale,
                "threshold": c.threshold,
            }
            for c in round_.competencies.all()
        ],
        "levels": {
            subject: [s["code"] for s in steps] for subject, steps in definition["levels"].items()
        },
    }
    (folder / "world.json").write_text(json.dumps(world))
    out["schools"] = len(schools)


def child_import(args: argparse.Namespace, out: dict[str, Any]) -> None:
    from clusterwise.learning.imports import import_results
    from clusterwise.learning.models import Round

    round_ = Round.objects.get(key=ROUND_KEY)
    path = Path(args.file)
    shown = [0.0]

    def progress(done: int, total: int) -> None:
        if done >= shown[0] + 0.2 * total or done == total:
            shown[0] = done
            say(f"  {done:,} of about {total:,} rows checked")

    timings: dict[str, float] = {}
    batch = import_results(
        round_=round_, path=path, file_name=path.name, by=None, progress=progress, timings=timings
    )
    if batch.status != "done" or batch.errors:
        raise SystemExit(f"The import did not succeed: {batch.status}: {batch.message}")
    out.update(
        rows=batch.rows,
        added=batch.added,
        unchanged=batch.unchanged,
        seconds=batch.seconds,
        timings=timings,
    )


def child_rebuild(args: argparse.Namespace, out: dict[str, Any]) -> None:
    from clusterwise.learning import analytics
    from clusterwise.learning.models import ResultCell, Round

    round_ = Round.objects.get(key=ROUND_KEY)
    began = time.perf_counter()
    out["timings"] = analytics.rebuild(round_)
    out["seconds"] = time.perf_counter() - began
    out["cells"] = ResultCell.objects.filter(round=round_).count()


def child_check(args: argparse.Namespace, out: dict[str, Any]) -> None:
    from django.db import connection
    from django.db.models import Count

    from clusterwise.learning import analytics
    from clusterwise.learning.models import ResultCell, Round
    from clusterwise.org.models import OrgUnit

    round_ = Round.objects.get(key=ROUND_KEY)
    codes = json.loads((Path(args.folder) / "late_schools.json").read_text())
    paths = set(OrgUnit.objects.filter(code__in=codes).values_list("path", flat=True))
    table = ResultCell._meta.db_table
    columns = f"org_path, depth, competency_id, grade, gender, {', '.join(MEASURES)}"
    round_id = round_.pk.hex if connection.vendor == "sqlite" else round_.pk
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_incremental")
        cursor.execute(
            f"CREATE TABLE bench_incremental AS SELECT {columns} FROM {table} "  # noqa: S608
            "WHERE round_id = %s",
            [round_id],
        )
    began = time.perf_counter()
    analytics.refresh(round_, schools=paths)
    out["refresh_s"] = time.perf_counter() - began
    began = time.perf_counter()
    analytics.rebuild(round_)
    out["rebuild_s"] = time.perf_counter() - began
    with connection.cursor() as cursor:
        mine = f"SELECT {columns} FROM {table} WHERE round_id = %s"  # noqa: S608
        cursor.execute(
            f"SELECT COUNT(*) FROM ({mine} EXCEPT SELECT {columns} FROM bench_incremental) x",  # noqa: S608
            [round_id],
        )
        missing = int(cursor.fetchone()[0])
        cursor.execute(
            f"SELECT {columns} FROM bench_incremental EXCEPT {mine}",  # noqa: S608
            [round_id],
        )
        extra = cursor.fetchall()
        cursor.execute("DROP TABLE bench_incremental")
    out["differ"] = missing + len(extra)
    out["examples"] = [list(map(str, row)) for row in extra[:3]]
    cells = ResultCell.objects.filter(round=round_)
    out["cells"] = cells.count()
    out["per_depth"] = {
        str(depth): n
        for depth, n in cells.values_list("depth").annotate(n=Count("*")).order_by("depth")
    }
    comp_codes = dict(round_.competencies.values_list("id", "code"))
    out["state"] = {
        f"{comp_codes[row['competency_id']]}|{row['grade']}|{row['gender']}": [
            float(row[m]) for m in MEASURES
        ]
        for row in cells.filter(depth=1).values("competency_id", "grade", "gender", *MEASURES)
    }


def child_drill(args: argparse.Namespace, out: dict[str, Any]) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from clusterwise.api.services import token_issue
    from clusterwise.learning.models import ResultCell, Round
    from clusterwise.org.models import User

    round_ = Round.objects.get(key=ROUND_KEY)
    rng = random.Random(args.seed)
    units: dict[str, list[str]] = {}
    for depth, level in enumerate(LEVELS, start=1):
        found = sorted(
            str(pk)
            for pk in ResultCell.objects.filter(round=round_, depth=depth)
            .values_list("org_unit_id", flat=True)
            .distinct()
        )
        units[level] = (
            found
            if level in ("state", "district")
            else rng.sample(found, min(args.units, len(found)))
        )
    subjects = sorted(set(round_.competencies.values_list("subject", flat=True)))
    grades = sorted(round_.grades)
    client = Client(
        headers={"Authorization": f"Bearer {token_issue(user=User.objects.get(username='state'))}"}
    )

    def call(unit: str) -> float:
        url = f"/api/v1/learning/rounds/{ROUND_KEY}/units/{unit}/results"
        query = {"grade": rng.choice(grades), "subject": rng.choice(subjects)}
        began = time.perf_counter()
        response = client.get(url, query)
        elapsed = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            raise SystemExit(f"{url}: {response.status_code} {response.content[:300]!r}")
        return elapsed

    every = [u for level in LEVELS for u in units[level]]
    for _ in range(5):
        call(rng.choice(every))
    levels: dict[str, Any] = {}
    overall: list[float] = []
    for level in LEVELS:
        with CaptureQueriesContext(connection) as captured:
            call(units[level][0])
        queries = len(captured.captured_queries)  # before the next request resets the log
        times = [call(units[level][n % len(units[level])]) for n in range(args.requests)]
        overall += times
        levels[level] = {
            "units": len(units[level]),
            "calls": len(times),
            "median_ms": statistics.median(times),
            "p95_ms": percentile(times, 0.95),
            "queries": queries,
            "times": times,
        }
    out["levels"] = levels
    out["overall"] = {
        "units": len(every),
        "calls": len(overall),
        "median_ms": statistics.median(overall),
        "p95_ms": percentile(overall, 0.95),
    }


STEPS: dict[str, Callable[[argparse.Namespace, dict[str, Any]], None]] = {
    "setup": child_setup,
    "import": child_import,
    "rebuild": child_rebuild,
    "check": child_check,
    "drill": child_drill,
}


def child(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    out: dict[str, Any] = {}
    STEPS[args.step](args, out)
    # The process's own high-water mark (wait4's ru_maxrss would also count the parent's
    # memory, which a vfork-started child shares until it execs).
    status = Path("/proc/self/status").read_text()
    out["peak_rss_mb"] = int(status.split("VmHWM:")[1].split()[0]) / 1024
    Path(args.out).write_text(json.dumps(out, default=str))
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--rows", type=int, default=1_000_000, help="results in all")
    parser.add_argument("--big", action="store_true", help="10,000,000 results")
    parser.add_argument("--scale", default="state", help="the demo's scale (the tree)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--requests", type=int, default=30, help="timed API calls per level")
    parser.add_argument("--units", type=int, default=20, help="blocks and clusters drawn")
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--keep", action="store_true", help="keep the databases and files")
    parser.add_argument("--step", choices=sorted(STEPS), help=argparse.SUPPRESS)
    parser.add_argument("--file", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.big:
        args.rows = TARGET_ROWS
    if args.step:
        return child(args)
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
