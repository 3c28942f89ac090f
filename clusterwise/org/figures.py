"""Home-page figures: counted live for small scopes, kept ready for the state and districts.

Writes that change who holds which post, or which schools exist, call `figures_changed`
with the tree paths they touched; the ready figures above those paths are marked stale at
once and recomputed by a job after the commit. A stale or missing entry is never shown:
the page counts live instead (correct, only slower) until the job has run. Figures also go
stale when the day changes, since posts start and end on dates; `manage.py refresh_figures`
each night keeps the morning's first visits fast.
"""

from __future__ import annotations

import datetime
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from clusterwise.core.scope import prefix_q

from .models import Assignment, OrgUnit, Role, ScopeFigures

_local = threading.local()


def counts_under(paths: Iterable[str]) -> dict[str, int]:
    """Schools, current posts by role and distinct people in the subtrees at `paths`."""
    unit_q, post_q = Q(), Q()
    for path in paths:
        unit_q |= prefix_q("path", path)
        post_q |= prefix_q("org_path", path)
    schools = OrgUnit.objects.filter(unit_q, level=settings.ORG_SCHOOL_LEVEL).count()
    posts = Assignment.objects.active().filter(post_q)
    # COUNT(*), not COUNT(id): the id is in no covering index (see Assignment.Meta).
    by_role = dict(posts.values_list("role").annotate(n=Count("*")).order_by())
    counts = {"schools": schools}
    counts.update({role: by_role.get(role, 0) for role in Role.values})
    counts["people"] = _distinct_people(posts)
    return counts


def _distinct_people(posts: QuerySet[Assignment]) -> int:
    """How many people hold these posts, counted the way each database does it fastest.

    Measured at state scale (docs/performance.md): PostgreSQL sorts inside COUNT(DISTINCT),
    while for a GROUP BY it walks the person index and fetches every row, three times slower.
    SQLite's GROUP BY sorts, while its COUNT(DISTINCT) fills a temporary b-tree, five times
    slower.
    """
    if connection.vendor == "postgresql":
        return int(posts.aggregate(n=Count("person", distinct=True))["n"])
    return posts.values("person").annotate(n=Count("*")).order_by().count()


def _kept(path: str) -> bool:
    return len(path) // OrgUnit.steplen <= settings.FIGURES_MAX_DEPTH


def _kept_ancestors(paths: Iterable[str]) -> set[str]:
    """The paths, at or above each given one, whose figures are kept ready."""
    out: set[str] = set()
    for path in paths:
        for end in range(OrgUnit.steplen, len(path) + 1, OrgUnit.steplen):
            if _kept(path[:end]):
                out.add(path[:end])
    return out


def ready_figures(path: str) -> tuple[dict[str, int], datetime.datetime] | None:
    """The kept figures of one subtree if they are current; else None (and a refresh is asked)."""
    if not _kept(path):
        return None
    entry = ScopeFigures.objects.filter(org_unit__path=path).first()
    today = timezone.localdate()
    if entry is not None and not entry.stale and entry.computed_for == today and entry.computed_at:
        return entry.figures, entry.computed_at
    if entry is None or entry.computed_for != today:
        # Ask once: only the request that turns the entry stale (or creates it) enqueues.
        turned = (
            ScopeFigures.objects.filter(pk=entry.pk, generation=entry.generation).update(
                stale=True, generation=F("generation") + 1
            )
            if entry is not None
            else 0
        )
        if entry is None or turned:
            _enqueue({path})
    return None


def figures_changed(*, paths: Iterable[str]) -> None:
    """Mark the kept figures above these tree paths stale and have them recomputed."""
    kept = _kept_ancestors(paths)
    if not kept:
        return
    ScopeFigures.objects.filter(org_unit__path__in=kept).update(
        stale=True, generation=F("generation") + 1
    )
    batch = getattr(_local, "batch", None)
    if batch is not None:
        batch |= kept
    else:
        _enqueue(kept)


@contextmanager
def figures_batch() -> Iterator[None]:
    """Within this block (an import), changes ask for one refresh at the end, not one each."""
    if getattr(_local, "batch", None) is not None:
        yield
        return
    _local.batch = set()
    try:
        yield
        paths = _local.batch
    finally:
        _local.batch = None
    if paths:
        _enqueue(paths)


def _enqueue(paths: set[str]) -> None:
    from .tasks import refresh_figures

    chosen = sorted(paths)
    transaction.on_commit(lambda: refresh_figures.enqueue(chosen))


def figures_refresh(*, paths: Iterable[str] | None = None) -> int:
    """Recompute kept figures (all of them, or those at `paths`); returns how many were saved."""
    units = OrgUnit.objects.filter(depth__lte=settings.FIGURES_MAX_DEPTH)
    if paths is not None:
        units = units.filter(path__in=list(paths))
    saved = 0
    for unit in units.order_by("path"):
        entry, _ = ScopeFigures.objects.get_or_create(org_unit=unit)
        generation = entry.generation
        today = timezone.localdate()
        counts: dict[str, Any] = counts_under([unit.path])
        # Only clear "stale" if no change came in while counting; otherwise the job that
        # change enqueued will count again.
        saved += ScopeFigures.objects.filter(pk=unit.pk, generation=generation).update(
            figures=counts, stale=False, computed_for=today, computed_at=timezone.now()
        )
    return saved
