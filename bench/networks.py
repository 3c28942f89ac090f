"""Benchmark: proposing school networks for the whole state from geography (issue #6).

    .venv/bin/python bench/networks.py [--scale small|state] [--json FILE] [--keep]

A fresh SQLite database (a temporary file), `manage.py migrate` and `manage.py demo --scale
state` (109,367 schools with coordinates, scattered round their clusters as
clusterwise/demo/generator.py places them), each timed in a child process with
DATABASE_URL set. Then, in another child: the schools read with `sites_for()` (timed), and
the groups proposed with the default rules (4 to 8 schools, each within 60 minutes' walk of
the meeting school at 5 km/h, with a detour factor of 1.3) by

- ours, `propose()`: all schools in one partition, then partitioned by block (no group
  crosses a block boundary);
- the naive baseline, `kmeans_baseline()`: k-means on projected coordinates with
  k = schools / 6, per partition as well; the member nearest the centroid meets the others.

For each: seconds, peak memory (resident memory above what the process held before, from
Linux's VmHWM, reset before each run), groups, the fewest groups that could hold the placed
schools (⌈placed / 8⌉ per partition), the share of schools validly placed (in a group of 4
to 8 within the limit of its meeting school: the baseline's members beyond the limit and its
groups out of range count as not placed; ours are all valid), mean group size, mean and
longest walk to the meeting school, and why schools are unplaced; then ours / baseline.
Target (issue #6): the whole state in minutes (here: under 5 minutes each).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import DATABASES, ratio, say  # noqa: E402

TARGET_SECONDS = 300.0


def parent(args: argparse.Namespace) -> int:
    with DATABASES["sqlite"](args.keep) as url, tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="config.settings")
        env.update(CLUSTERWISE_DEBUG="false", PYTHONUNBUFFERED="1")
        setup = {}
        for name, command in [
            ("migrate", ["migrate", "--verbosity", "0"]),
            ("demo", ["demo", "--scale", args.scale, "--verbosity", "0"]),
        ]:
            say(f"manage.py {' '.join(command)}")
            started = time.perf_counter()
            subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True)
            setup[name] = time.perf_counter() - started
        out = Path(tmp) / "result.json"
        cmd = [sys.executable, __file__, "--child", "--out", str(out), "--scale", args.scale]
        subprocess.run(cmd, cwd=ROOT, env=env, check=True)
        result = json.loads(out.read_text())
    result["setup_seconds"] = setup
    if args.json:
        Path(args.json).write_text(json.dumps(result, indent=2))
    return report(result)


def report(result: dict[str, Any]) -> int:
    setup = result["setup_seconds"]
    print()
    print(
        f"{result['schools']:,} schools ({result['scale']} demo: migrate {setup['migrate']:.0f} s, "
        f"demo {setup['demo']:.0f} s); read with sites_for() in {result['read_seconds']:.1f} s; "
        f"1-minute load average at the end {result['load']:.1f}"
    )
    print(
        f"{'method':<8} {'partition':<9} {'seconds':>8} {'peak MB':>8} {'groups':>7} "
        f"{'(fewest)':>8} {'valid':>7} {'mean size':>9} {'mean walk':>9} {'max walk':>8} "
        f"{'out of range':>12} {'too far':>8} {'too few':>8} {'left over':>9}"
    )
    for row in result["rows"]:
        q = row["quality"]
        print(
            f"{row['method']:<8} {row['partition']:<9} {row['seconds']:>8.2f} "
            f"{row['peak_mb']:>8.0f} {q['groups']:>7,} {row['fewest_groups']:>8,} "
            f"{q['valid_share']:>7.2%} {q['mean_size']:>9.2f} {q['mean_minutes']:>7.1f} m "
            f"{q['max_minutes']:>6.1f} m {q['groups_out_of_range']:>12,} "
            f"{q['members_beyond_limit']:>8,} {q['unplaced_too_few_in_reach']:>8,} "
            f"{q['unplaced_left_over']:>9,}"
        )
    print()
    rows = {(r["method"], r["partition"]): r for r in result["rows"]}
    for partition in ("none", "block"):
        ours, base = rows[("ours", partition)], rows[("k-means", partition)]
        qo, qb = ours["quality"], base["quality"]
        print(
            f"ours / k-means, partition {partition}: time {ratio(ours['seconds'], base['seconds'])}, "
            f"groups {qo['groups'] / qb['groups']:.2f}, validly placed "
            f"{qo['valid_share'] / qb['valid_share']:.2f}, mean walk "
            f"{qo['mean_minutes'] / qb['mean_minutes']:.2f}"
        )
    slowest = max(rows[("ours", p)]["seconds"] for p in ("none", "block"))
    print(f"\nslowest run of ours: {slowest:.1f} s (target < {TARGET_SECONDS:.0f} s)")
    return 0 if slowest < TARGET_SECONDS else 1


# --- the child: read the schools, propose, measure ------------------------------------------


def _status(field: str) -> int:
    """A figure of /proc/self/status in kB (0 where there is none)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measured(fn: Callable[[], Any]) -> tuple[Any, float, float]:
    """The result, seconds and peak memory above the start in MB (NaN where Linux's
    VmHWM cannot be reset)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")  # resets the peak to the current size
        before = _status("VmRSS")
    except OSError:
        before = -1
    started = time.perf_counter()
    value = fn()
    seconds = time.perf_counter() - started
    peak = (_status("VmHWM") - before) / 1024 if before >= 0 else math.nan
    return value, seconds, peak


def child(args: argparse.Namespace) -> int:
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from clusterwise.networks.formation import Rules, kmeans_baseline, propose, sites_for
    from clusterwise.org.models import School

    rules = Rules()
    started = time.perf_counter()
    by_block = sites_for(School.objects.all(), partition_level="block")
    read_seconds = time.perf_counter() - started
    whole = [site.__class__(site.key, site.latitude, site.longitude) for site in by_block]
    say(f"{len(by_block):,} schools read in {read_seconds:.1f} s")

    def progress_printer() -> Callable[[int, int], None]:
        shown = [-1]

        def progress(done: int, total: int) -> None:
            if done * 4 // total != shown[0]:  # each quarter once
                shown[0] = done * 4 // total
                say(f"  {done:,} / {total:,} schools settled")

        return progress

    rows = []
    for method, partition, sites in [
        ("ours", "none", whole),
        ("ours", "block", by_block),
        ("k-means", "none", whole),
        ("k-means", "block", by_block),
    ]:
        say(f"{method}, partition {partition}")
        if method == "ours":
            proposal, seconds, peak = measured(
                lambda s=sites: propose(s, rules, progress=progress_printer())
            )
        else:
            proposal, seconds, peak = measured(lambda s=sites: kmeans_baseline(s, rules))
        quality = proposal.quality()
        partition_of = {site.key: site.partition for site in sites}
        placed = Counter(partition_of[key] for g in proposal.groups for key, _ in g.members)
        fewest = sum(math.ceil(n / rules.max_size) for n in placed.values())
        say(
            f"{method}, partition {partition}: {seconds:.1f} s, {quality['groups']:,} groups, "
            f"{quality['valid_share']:.2%} validly placed"
        )
        rows.append(
            {
                "method": method,
                "partition": partition,
                "seconds": seconds,
                "peak_mb": peak,
                "fewest_groups": fewest,
                "quality": quality,
            }
        )
    Path(args.out).write_text(
        json.dumps(
            {
                "scale": args.scale,
                "schools": len(by_block),
                "read_seconds": read_seconds,
                "rules": vars(rules),
                "load": os.getloadavg()[0],
                "rows": rows,
            }
        )
    )
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", choices=["small", "state"], default="state")
    parser.add_argument("--json", help="also write every figure to this file")
    parser.add_argument("--keep", action="store_true", help="keep the database")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    return child(args) if args.child else parent(args)


if __name__ == "__main__":
    sys.exit(main())
