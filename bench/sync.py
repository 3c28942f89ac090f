"""Benchmark: offline-sync throughput with 50 concurrent devices against a real server.

    .venv/bin/python bench/sync.py [--db sqlite|postgres|both] [--clients 50] [--seconds 30]
                                   [--warmup 5] [--workers 2] [--threads 4] [--replays 0.1]
                                   [--rate 100]

Without `--rate` the clients send as fast as they get answers (closed loop: the most the
server can take). With `--rate R` they offer R requests/s in all on a fixed schedule, and
latency counts from the scheduled moment: whether the server keeps up with that load, and
how fast it answers then. The reference phase is always closed loop.

For each database (a temporary SQLite file, or a throwaway PostgreSQL server, bench/_pg.py):

1. a child process runs `migrate` and `demo --scale small` (3 districts, 186 clusters, 652
   schools, 2,586 teachers, about 4,000 observations already made), gives 50 of the demo's
   CRCs (each in a different cluster) a login and a bearer token
   (`clusterwise.api.services.token_issue`), and counts the SQL queries of one sync through
   Django's test client (`CaptureQueriesContext`): a new observation, its replay, and the
   reference GET;
2. gunicorn serves `config.wsgi` on a free loopback port (`--workers` processes of
   `--threads` threads, gthread worker, keep-alive), with DEBUG off;
3. the reference: each of `--clients` threads, one per CRC, on its own keep-alive
   connection (http.client), calls `GET /api/v1/me` (token check, the person, their
   assignments and scope: the cheapest authenticated answer the API gives) as fast as it can
   for `--seconds` after `--warmup` untimed seconds;
4. the sync: each thread sends complete observations (`PUT /api/v1/sync/observations/{id}`,
   a new UUID each time: a teacher of a school in the CRC's cluster, the bundled 12-item
   instrument fully scored, 3 snapshots, feedback with next steps and agreed actions) and,
   with probability `--replays`, the replay of one it sent before (answered 200, nothing
   written), for the same time;
5. the child checks the database afterwards: one observation per 201 answer, with all its
   scores, snapshots and actions, and no conflict stored.

It prints submissions per second, p50/p95/p99 latency, the status codes, and the ratio sync
throughput / reference throughput (how many /me answers one sync costs). Clients and server
share the machine's cores. Targets (issue #4): at least 100 submissions/s and p95 at most
500 ms on PostgreSQL.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import http.client
import json
import os
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(Path(__file__).resolve().parent), str(ROOT)]
from _common import DATABASES, percentile, say  # noqa: E402

TARGET_PER_S = 100.0
TARGET_P95_MS = 500.0
SYNC_PATH = "/api/v1/sync/observations/"


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time the processes have used so far (Linux /proc)."""
    total = 0.0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def processes(match: Callable[[int, list[str]], bool]) -> list[int]:
    """The pids of the processes whose (pid, stat fields after the name) match."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            with contextlib.suppress(OSError, IndexError):
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
                if match(int(entry.name), fields):
                    found.append(int(entry.name))
    return found


def server_pids(session: int) -> list[int]:
    """gunicorn's master and workers (their own session)."""
    return processes(lambda _pid, f: int(f[3]) == session)


def database_pids(url: str) -> list[int]:
    """The throwaway PostgreSQL server's postmaster and backends (none for SQLite)."""
    if not url.startswith("postgres"):
        return []
    port = url.rsplit(":", 1)[1].split("/")[0]
    postmasters = [
        pid
        for pid in processes(lambda _pid, f: True)
        if "postgres" in _cmdline(pid) and f"-p {port} " in _cmdline(pid)
    ]
    return postmasters + processes(lambda _pid, f: int(f[1]) in postmasters)


def _cmdline(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    return ""


# --- the parent: server and clients ---------------------------------------------------------


def django_env(url: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings")
    env.update(CLUSTERWISE_DEBUG="false", PYTHONUNBUFFERED="1", CLUSTERWISE_LOG_LEVEL="ERROR")
    return env


@contextlib.contextmanager
def gunicorn(env: dict[str, str], args: argparse.Namespace, log: Path) -> Iterator[tuple[int, int]]:
    from _pg import free_port

    port = free_port()
    cmd = [sys.executable, "-m", "gunicorn", "config.wsgi", "--bind", f"127.0.0.1:{port}"]
    cmd += ["--workers", str(args.workers), "--threads", str(args.threads)]
    cmd += ["--worker-class", "gthread", "--keep-alive", "60", "--timeout", "120"]
    cmd += ["--backlog", "512", "--log-level", "warning"]
    with log.open("w") as out:
        server = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/api/v1/me")
                conn.getresponse().read()
                conn.close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn did not start:\n{log.read_text()}") from None
                time.sleep(0.2)
        yield port, server.pid
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def observation(rng: random.Random, world: dict[str, Any], target: list[str]) -> dict[str, Any]:
    """A complete, submittable observation of a teacher at a school of the CRC's cluster."""
    school, teacher = target
    observed_on = datetime.date.today() - datetime.timedelta(days=rng.randint(1, 60))
    return {
        "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        "revision": rng.choice([1, 1, 2, 3]),
        "status": "submitted",
        "instrument": world["instrument"],
        "school": school,
        "teacher": teacher,
        "observed_on": observed_on.isoformat(),
        "started_at": f"{observed_on.isoformat()}T{rng.randint(8, 14):02d}:00:00+05:30",
        "grade": str(rng.randint(1, 8)),
        "subject": rng.choice(["Mathematics", "Marathi", "English", "EVS"]),
        "topic": rng.choice(["Place value", "Fractions", "Reading aloud", "Water cycle"]),
        "students_present": rng.randint(12, 45),
        "notes": "Children counted bundles of sticks in pairs; six at the back waited. " * 3,
        "scores": [
            {"item": code, "score": rng.randint(1, 5), "evidence": f"Saw it at minute {n * 3}"}
            for n, code in enumerate(world["items"])
        ],
        "snapshots": [
            {
                "minute": minute,
                "learning_activity": rng.random() < 0.8,
                "on_task": rng.choice(["few", "some", "most"]),
            }
            for minute in world["minutes"]
        ],
        "followups": [],
        "feedback": {
            "strengths": "Pairs counted bundles of ten sticks and explained their count.",
            "next_steps": ["Ask the six children at the back to show their bundles first."],
            "actions": [
                {
                    "text": f"Seat the back row in pairs ({n})",
                    "due_on": (observed_on + datetime.timedelta(days=7 * n)).isoformat(),
                }
                for n in range(1, rng.randint(2, 3))
            ],
            "resources": "",
            "language": "mr",
        },
    }


def load(
    port: int,
    world: dict[str, Any],
    args: argparse.Namespace,
    phase: str,
    pids: Callable[[], dict[str, list[int]]],
) -> dict[str, Any]:
    """`--clients` threads hammer the server for warm-up + `--seconds`; the timed window's
    answers are returned (one tuple per answer: kind, status, seconds)."""
    samples: list[list[tuple[float, str, int | str, float]]] = [[] for _ in range(args.clients)]
    sent_ids: list[list[str]] = [[] for _ in range(args.clients)]
    ready = threading.Barrier(args.clients + 1)
    start: list[float] = []

    def client(index: int) -> None:
        observer = world["observers"][index]
        rng = random.Random(f"{phase}-{index}")
        headers = {
            "Authorization": f"Bearer {observer['token']}",
            "Content-Type": "application/json",
            "X-Device-Id": f"bench-{index}",
        }
        acked: list[tuple[str, bytes]] = []
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        ready.wait()
        stop = start[0] + args.warmup + args.seconds
        # Paced (`--rate`): each client sends on a fixed schedule, the clients spread evenly,
        # and latency counts from the scheduled moment, so waiting in a queue is counted too.
        interval = args.clients / args.rate if args.rate and phase == "sync" else 0.0
        scheduled = start[0] + interval * index / args.clients
        while True:
            if interval:
                scheduled += interval
                pause = scheduled - time.perf_counter()
                if pause > 0:
                    time.sleep(pause)
                now = scheduled
            else:
                now = time.perf_counter()
            if now >= stop:
                break
            if phase == "me":
                kind, method, path, body = "me", "GET", "/api/v1/me", None
            elif acked and rng.random() < args.replays:
                kind, method = "replay", "PUT"
                record_id, body = rng.choice(acked)
                path = SYNC_PATH + record_id
            else:
                payload = observation(rng, world, rng.choice(observer["targets"]))
                kind, method, path = "new", "PUT", SYNC_PATH + payload["id"]
                body = json.dumps(payload).encode()
            try:
                conn.request(method, path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status: int | str = response.status
            except (OSError, http.client.HTTPException) as error:
                status = type(error).__name__
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            done = time.perf_counter()
            samples[index].append((done, kind, status, done - now))
            if kind == "new" and status == 201:
                acked.append((path.rsplit("/", 1)[1], body))  # type: ignore[arg-type]
                sent_ids[index].append(path.rsplit("/", 1)[1])
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(args.clients)]
    for thread in threads:
        thread.start()
    start.append(time.perf_counter())
    ready.wait()
    window_start = start[0] + args.warmup
    time.sleep(max(0.0, window_start - time.perf_counter()))
    groups = pids()  # at the window's start: the database backends opened in the warm-up
    cpu_before = {name: cpu_seconds(group) for name, group in groups.items()}
    cpu_before["clients"] = time.process_time()
    load_before = os.getloadavg()[0]
    time.sleep(max(0.0, window_start + args.seconds - time.perf_counter()))
    cpu = {name: cpu_seconds(group) - cpu_before[name] for name, group in groups.items()}
    cpu["clients"] = time.process_time() - cpu_before["clients"]
    for thread in threads:
        thread.join()
    timed = [s for per in samples for s in per if s[0] >= window_start]
    every = [s for per in samples for s in per]
    return {
        "phase": phase,
        "seconds": args.seconds,
        "timed": [(kind, status, seconds) for _done, kind, status, seconds in timed],
        "all_statuses": Counter(f"{kind} {status}" for _d, kind, status, _s in every),
        "created": sum(len(ids) for ids in sent_ids),
        "load": max(load_before, os.getloadavg()[0]),
        "cpu": cpu,
    }


def summary(run: dict[str, Any], kinds: tuple[str, ...]) -> dict[str, Any]:
    rows = [(status, seconds) for kind, status, seconds in run["timed"] if kind in kinds]
    ok = [seconds for status, seconds in rows if isinstance(status, int) and status < 300]
    every = len(run["timed"]) or 1
    return {
        "count": len(rows),
        # CPU milliseconds per answer of the timed window, per process group.
        "cpu_ms": {name: used * 1000 / every for name, used in run["cpu"].items()},
        "ok_per_s": len(ok) / run["seconds"],
        "p50_ms": percentile([s for _st, s in rows], 0.50) * 1000,
        "p95_ms": percentile([s for _st, s in rows], 0.95) * 1000,
        "p99_ms": percentile([s for _st, s in rows], 0.99) * 1000,
        "statuses": dict(Counter(str(status) for status, _s in rows)),
    }


def run_one(db: str, args: argparse.Namespace) -> dict[str, Any]:
    with DATABASES[db](args.keep) as url, tempfile.TemporaryDirectory() as tmp:
        env = django_env(url)
        world_file = Path(tmp) / "world.json"
        say(f"=== {db}: migrate, demo --scale small, {args.clients} observer logins")
        subprocess.run(
            [sys.executable, __file__, "--setup", str(world_file), "--clients", str(args.clients)],
            cwd=ROOT,
            env=env,
            check=True,
        )
        world = json.loads(world_file.read_text())
        log = Path(tmp) / "gunicorn.log"
        say(
            f"gunicorn: {args.workers} workers x {args.threads} threads (gthread); "
            f"{args.clients} clients, {args.warmup} s warm-up + {args.seconds} s each phase"
        )
        with gunicorn(env, args, log) as (port, session):

            def pids() -> dict[str, list[int]]:
                return {"server": server_pids(session), "database": database_pids(url)}

            reference = load(port, world, args, "me", pids)
            say(f"reference GET /api/v1/me: {summary(reference, ('me',))['ok_per_s']:.0f}/s")
            sync = load(port, world, args, "sync", pids)
            say(f"sync: {summary(sync, ('new', 'replay'))['ok_per_s']:.0f}/s")
        server_log = log.read_text()
        check_file = Path(tmp) / "check.json"
        subprocess.run(
            [
                sys.executable,
                __file__,
                "--verify",
                str(check_file),
                "--items",
                str(len(world["items"])),
            ],
            cwd=ROOT,
            env=env,
            check=True,
        )
        return {
            "db": db,
            "world": {k: v for k, v in world.items() if k != "observers"},
            "reference": summary(reference, ("me",)),
            "sync": summary(sync, ("new", "replay")),
            "new": summary(sync, ("new",)),
            "replay": summary(sync, ("replay",)),
            "statuses": dict(sync["all_statuses"]),
            "created_answers": sync["created"],
            "check": json.loads(check_file.read_text()),
            "locked": server_log.count("database is locked"),
            "server_errors": server_log.count("Traceback"),
            "load": max(reference["load"], sync["load"]),
        }


def parent(args: argparse.Namespace) -> int:
    results = [
        run_one(db, args) for db in (["sqlite", "postgres"] if args.db == "both" else [args.db])
    ]
    print()
    print(
        f"Offline sync: {args.clients} clients (one CRC each, keep-alive"
        + (f", {args.rate:.0f} requests/s offered in all" if args.rate else ", closed loop")
        + "), gunicorn "
        f"{args.workers} workers x {args.threads} threads, {args.seconds} s timed after "
        f"{args.warmup} s warm-up; {args.replays:.0%} of PUTs are replays"
    )
    print(f"{'db':<9} {'what':<22} {'answers/s':>10} {'p50':>8} {'p95':>8} {'p99':>8}  statuses")
    ok = True
    for r in results:
        for name, label in (
            ("reference", "GET /api/v1/me"),
            ("sync", "sync PUT (all)"),
            ("new", "  new observation"),
            ("replay", "  replay"),
        ):
            s = r[name]
            print(
                f"{r['db']:<9} {label:<22} {s['ok_per_s']:>10.1f} {s['p50_ms']:>6.0f}ms "
                f"{s['p95_ms']:>6.0f}ms {s['p99_ms']:>6.0f}ms  {s['statuses']}"
            )
        for name, label in (("reference", "GET /api/v1/me"), ("sync", "sync PUT (all)")):
            cpu = r[name]["cpu_ms"]
            total = sum(cpu.values())
            print(
                f"{r['db']:<9} CPU per answer, {label}: "
                + ", ".join(f"{k} {v:.1f} ms" for k, v in cpu.items())
                + f"; {args.cores} cores would answer at most {args.cores * 1000 / total:.0f}/s"
            )
        ratio = r["sync"]["ok_per_s"] / r["reference"]["ok_per_s"]
        q = r["world"]["queries"]
        c = r["check"]
        print(
            f"{r['db']:<9} sync / reference = {ratio:.2f} (one sync costs {1 / ratio:.1f} /me "
            f"answers); queries per request: new {q['new']}, replay {q['replay']}, /me {q['me']}; "
            f"in process, one client: new {q['new_ms']:.0f} ms, replay {q['replay_ms']:.0f} ms, "
            f"/me {q['me_ms']:.0f} ms"
        )
        print(
            f"{r['db']:<9} check: {c['observations']} observations stored for "
            f"{r['created_answers']} answers 201, {c['incomplete']} incomplete, "
            f"{c['conflicts']} conflicts; server log: {r['server_errors']} tracebacks, "
            f"{r['locked']} 'database is locked'; demo {r['world']['demo_s']:.0f} s; "
            f"1-minute load average up to {r['load']:.1f}"
        )
        if r["db"] == "postgres":
            ok = r["sync"]["ok_per_s"] >= TARGET_PER_S and r["sync"]["p95_ms"] <= TARGET_P95_MS
    print(
        f"\ntarget on PostgreSQL: >= {TARGET_PER_S:.0f} submissions/s and p95 <= "
        f"{TARGET_P95_MS:.0f} ms"
    )
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1, default=str))
    return 0 if ok else 1


# --- the children: Django against the database ----------------------------------------------


def setup(out: Path, clients: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from clusterwise.api.services import token_issue
    from clusterwise.observation.models import Instrument, Observation
    from clusterwise.org.models import Assignment, OrgUnit, Person, Role, User

    call_command("migrate", verbosity=0)
    began = time.perf_counter()
    call_command("demo", scale="small", verbosity=0)
    demo_s = time.perf_counter() - began

    instrument = Instrument.objects.filter(
        key="teach-classroom", status=Instrument.Status.PUBLISHED
    ).first()
    if instrument is None:  # the demo did not load the instruments
        from clusterwise.observation.services import instrument_load

        path = ROOT / "clusterwise/observation/instruments/teach_classroom.json"
        instrument = instrument_load(data=json.loads(path.read_text()), by=None)
    items = [item.code for item in instrument.items.order_by("section__order", "order")]

    teachers: dict[str, list[tuple[str, str]]] = {}
    for a in Assignment.objects.active().filter(role=Role.TEACHER).select_related("org_unit"):
        cluster_path = a.org_unit.path[: len(a.org_unit.path) - _step(a.org_unit)]
        teachers.setdefault(cluster_path, []).append((str(a.org_unit_id), str(a.person_id)))
    observers = []
    crcs = (
        Assignment.objects.active()
        .filter(role=Role.CRC, org_unit__level="cluster")
        .select_related("person", "org_unit")
        .order_by("org_unit__path")
    )
    seen: set[str] = set()
    with transaction.atomic():
        for a in crcs:
            if a.org_unit.path in seen or not teachers.get(a.org_unit.path):
                continue
            seen.add(a.org_unit.path)
            person: Person = a.person
            if person.user_id is None:
                person.user = User.objects.create_user(username=f"bench-crc-{len(observers)}")
                person.save(update_fields=["user"])
            observers.append(
                {
                    "username": person.user.username,
                    "token": token_issue(user=person.user),
                    "targets": teachers[a.org_unit.path],
                }
            )
            if len(observers) == clients:
                break
    if len(observers) < clients:
        raise SystemExit(f"Only {len(observers)} CRCs with teachers in their cluster")

    world = {
        "instrument": str(instrument.pk),
        "items": items,
        "minutes": list(instrument.snapshot_minutes),
        "clusters": OrgUnit.objects.filter(level="cluster").count(),
        "teachers": sum(len(t) for t in teachers.values()),
        "demo_s": demo_s,
    }
    # Queries and in-process time of each kind of request through the whole Django stack
    # (one client, no HTTP): 5 warm-up rounds, then the median of 20.
    first = observers[0]
    client = Client(headers={"Authorization": f"Bearer {first['token']}"})
    rng = random.Random(1)
    made: list[str] = []

    def request(name: str) -> tuple[int, float]:
        if name == "me":
            began = time.perf_counter()
            response = client.get("/api/v1/me")
        else:
            if name == "new" or not made:
                payload = observation(rng, world, rng.choice(first["targets"]))
                replay[payload["id"]] = json.dumps(payload)
                made.append(payload["id"])
            record_id = made[-1]
            began = time.perf_counter()
            response = client.put(
                SYNC_PATH + record_id, data=replay[record_id], content_type="application/json"
            )
        elapsed = time.perf_counter() - began
        assert response.status_code in (200, 201), response.content
        return response.status_code, elapsed * 1000

    replay: dict[str, str] = {}
    queries: dict[str, Any] = {}
    for name in ("me", "new", "replay"):
        for _ in range(5):
            request(name)
        with CaptureQueriesContext(django.db.connection) as captured:
            request(name)
        queries[name] = len(captured.captured_queries)
        queries[f"{name}_ms"] = statistics.median(request(name)[1] for _ in range(20))
    Observation.objects.filter(pk__in=made).delete()  # not the clients' records
    world["queries"] = queries
    world["observers"] = observers
    out.write_text(json.dumps(world))


def _step(unit: Any) -> int:
    """Length of one level of the materialized path (treebeard's steplen)."""
    return type(unit).steplen


def verify(out: Path, items: int) -> None:
    import django

    django.setup()
    from django.db.models import Count

    from clusterwise.observation.models import Observation, SyncConflict

    ours = Observation.objects.filter(device__startswith="bench-")
    incomplete = (
        ours.annotate(
            n_scores=Count("scores", distinct=True),
            n_snapshots=Count("snapshots", distinct=True),
            n_actions=Count("feedback__actions", distinct=True),
        )
        .exclude(n_scores=items, n_snapshots=3, n_actions__gte=1)
        .count()
    )
    out.write_text(
        json.dumps(
            {
                "observations": ours.count(),
                "incomplete": incomplete,
                "conflicts": SyncConflict.objects.filter(device__startswith="bench-").count(),
            }
        )
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument(
        "--rate",
        type=float,
        default=0.0,
        help="requests/s offered by all clients together, on a fixed schedule (0: each "
        "client sends again as soon as it has its answer)",
    )
    parser.add_argument("--replays", type=float, default=0.1, help="share of PUTs that replay")
    parser.add_argument("--json", help="write every figure to this file")
    parser.add_argument("--cores", type=int, default=os.cpu_count() or 1, help=argparse.SUPPRESS)
    parser.add_argument("--keep", action="store_true", help="keep the databases")
    parser.add_argument("--setup", help=argparse.SUPPRESS)
    parser.add_argument("--verify", help=argparse.SUPPRESS)
    parser.add_argument("--items", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.setup:
        setup(Path(args.setup), args.clients)
        return 0
    if args.verify:
        verify(Path(args.verify), args.items)
        return 0
    return parent(args)


if __name__ == "__main__":
    sys.exit(main())
