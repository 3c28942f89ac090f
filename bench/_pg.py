"""A throwaway PostgreSQL server for benchmarks: initdb into a temp dir, start, stop, delete.

Uses the PostgreSQL binaries already on the machine (`pg_config --bindir`, else the newest
/usr/lib/postgresql/*/bin, or PG_BINDIR). As root the server runs as the `postgres` user,
because PostgreSQL refuses to run as root. Durability is switched off (fsync, synchronous
commit, full-page writes): the data is thrown away anyway and loading is faster.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

SERVER_SETTINGS = {
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "listen_addresses": "127.0.0.1",
}


def bindir() -> Path:
    if os.environ.get("PG_BINDIR"):
        return Path(os.environ["PG_BINDIR"])
    with contextlib.suppress(OSError, subprocess.CalledProcessError):
        out = subprocess.run(
            ["pg_config", "--bindir"], capture_output=True, text=True, check=True
        ).stdout.strip()
        if (Path(out) / "initdb").exists():
            return Path(out)
    found = sorted(
        glob.glob("/usr/lib/postgresql/*/bin/initdb"),
        key=lambda p: int(Path(p).parent.parent.name),
    )
    if not found:
        raise RuntimeError("No PostgreSQL server binaries found (set PG_BINDIR).")
    return Path(found[-1]).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _as_server_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@contextlib.contextmanager
def throwaway_database(*, keep: bool = False, log: bool = True) -> Iterator[str]:
    """Start a private server with one fresh database; yield its DATABASE_URL.

    The server is stopped and its directory deleted on exit, also on error or Ctrl-C
    (unless `keep`: then the stopped data directory is left for inspection).
    """
    bin_ = bindir()
    root = Path(tempfile.mkdtemp(prefix="clusterwise-pg-"))
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    data, logfile, port = root / "data", root / "server.log", free_port()
    started = False
    try:
        subprocess.run(
            _as_server_user(
                [
                    str(bin_ / "initdb"),
                    "-D",
                    str(data),
                    "-A",
                    "trust",
                    "-U",
                    "postgres",
                    "-E",
                    "UTF8",
                    "--locale=C.UTF-8",
                    "--no-sync",
                ]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        options = " ".join(
            [f"-p {port}", f"-k {root}"] + [f"-c {k}={v}" for k, v in SERVER_SETTINGS.items()]
        )
        subprocess.run(
            _as_server_user(
                [str(bin_ / "pg_ctl"), "-D", str(data), "-l", str(logfile), "-w", "-o", options]
                + ["start"]
            ),
            check=True,
            stdout=subprocess.DEVNULL,
        )
        started = True
        conn = ["-h", "127.0.0.1", "-p", str(port), "-U", "postgres"]
        subprocess.run([str(bin_ / "createuser"), *conn, "bench"], check=True)
        subprocess.run([str(bin_ / "createdb"), *conn, "-O", "bench", "bench"], check=True)
        if log:
            print(
                f"PostgreSQL ({bin_.parent.name}) on 127.0.0.1:{port}, data in {data}", flush=True
            )
        yield f"postgres://bench@127.0.0.1:{port}/bench"
    finally:
        if started:
            subprocess.run(
                _as_server_user([str(bin_ / "pg_ctl"), "-D", str(data), "-m", "fast", "stop"]),
                check=False,
                stdout=subprocess.DEVNULL,
            )
        if keep:
            print(f"Kept the stopped PostgreSQL data directory {data}", flush=True)
        else:
            shutil.rmtree(root, ignore_errors=True)
