"""The org-subtree permission layer: what part of the tree a user may see.

A user sees the subtrees rooted at the org units of their active assignments, and nothing
else. Every selector that reads people or records filters with `in_scope` (or one of the
helpers built on it) and fetches single records with `get_in_scope_or_404`, which answers
404 for anything outside, so a record's existence never leaks.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db import connection
from django.db.models import Model, Q, QuerySet
from django.http import Http404

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from clusterwise.org.models import User

M = TypeVar("M", bound=Model)

# Paths use treebeard's alphabet 0-9A-Z; "~" sorts after every character of it, so
# [prefix, prefix + "~") is exactly the set of paths that start with prefix.
_PATH_END = "~"

ALL = ("",)  # the scope of a superuser: the empty prefix matches every path


def prefix_q(field: str, prefix: str) -> Q:
    """Rows whose `field` starts with `prefix`, written so that the database uses an index.

    PostgreSQL uses a pattern-ops index for LIKE 'prefix%'; SQLite's LIKE is
    case-insensitive and cannot use a plain index, but a range comparison can.
    """
    if prefix == "":
        return Q()
    if connection.vendor == "postgresql":
        return Q(**{f"{field}__startswith": prefix})
    return Q(**{f"{field}__gte": prefix, f"{field}__lt": prefix + _PATH_END})


def minimal_prefixes(paths: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    """Drop every path that lies inside another one of the list."""
    kept: list[str] = []
    for path in sorted(set(paths)):
        if not kept or not path.startswith(kept[-1]):
            kept.append(path)
    return tuple(kept)


def scope_paths(user: User | AnonymousUser) -> tuple[str, ...]:
    """The tree paths a user may see: roots of their active assignments (cached per request)."""
    if not user.is_authenticated or not user.is_active:
        return ()
    cached = getattr(user, "_scope_paths", None)
    if cached is not None:
        return cached
    if user.is_superuser:
        paths: tuple[str, ...] = ALL
    else:
        from clusterwise.org.models import Assignment

        paths = minimal_prefixes(
            list(
                Assignment.objects.active()
                .filter(person__user=user)
                .values_list("org_path", flat=True)
            )
        )
    user._scope_paths = paths  # type: ignore[union-attr,attr-defined]
    return paths


def scope_q(user: User | AnonymousUser, field: str) -> Q:
    """A filter on `field` (a tree path column) for the user's scope; matches nothing if none."""
    paths = scope_paths(user)
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for path in paths:
        q |= prefix_q(field, path)
    return q


def in_scope(queryset: QuerySet[M], user: User | AnonymousUser, path_field: str) -> QuerySet[M]:
    """Restrict a queryset to rows whose tree path lies in the user's scope."""
    return queryset.filter(scope_q(user, path_field))


def get_or_404(queryset: QuerySet[M], **lookup: Any) -> M:
    """One record of a (scoped) queryset; 404 when absent or when the key is malformed."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, ValidationError):
        # A malformed UUID is "not found" too, never a 500 or a hint.
        raise Http404 from None


def get_in_scope_or_404(
    queryset: QuerySet[M], user: User | AnonymousUser, path_field: str, **lookup: Any
) -> M:
    """One record in the user's scope; 404 if it does not exist or lies outside."""
    return get_or_404(in_scope(queryset, user, path_field), **lookup)


def path_in_scope(user: User | AnonymousUser, path: str) -> bool:
    """Whether one tree path lies in the user's scope (no query once scope is cached)."""
    return any(path.startswith(prefix) for prefix in scope_paths(user))
