"""Progress reporting for long work, shared by management commands and web jobs."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .models import Job


def job_progress(job: Job) -> Callable[[int, int], None]:
    """A callback that stores `done` of `total` on the job (rate-limited by the caller)."""

    def report(done: int, total: int) -> None:
        Job.objects.filter(pk=job.pk).update(done=done, total=total)

    return report


def job_finish(*, job: Job, result: dict[str, Any] | None = None, error: str = "") -> None:
    job.status = Job.Status.FAILED if error else Job.Status.DONE
    job.result = result or {}
    job.error = error
    if not error:
        job.done = job.total = max(job.total, 1)
    job.save(update_fields=["status", "result", "error", "done", "total", "updated_at"])


def tqdm_progress(
    description: str, *, disable: bool = False
) -> tuple[Callable[[int, int], None], Any]:
    """A progress callback drawing a terminal progress bar; returns (callback, bar)."""
    from tqdm import tqdm

    bar = tqdm(desc=description, unit="row", disable=disable)

    def report(done: int, total: int) -> None:
        if bar.total != total:
            bar.total = total
        bar.n = done
        bar.refresh()

    return report, bar
