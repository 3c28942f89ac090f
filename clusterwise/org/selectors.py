"""Every read of org units, schools, people and assignments, always through the scope layer."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet

from clusterwise.core.scope import (
    get_in_scope_or_404,
    get_or_404,
    in_scope,
    prefix_q,
    scope_paths,
    scope_q,
)

from .models import Assignment, OrgUnit, Person, Role, School, User


def orgunits_for(user: User) -> QuerySet[OrgUnit]:
    """Org units in the user's subtrees."""
    return in_scope(OrgUnit.objects.all(), user, "path")


def orgunit_get(user: User, pk: Any) -> OrgUnit:
    return get_in_scope_or_404(OrgUnit.objects.select_related("school"), user, "path", pk=pk)


def scope_roots(user: User) -> list[OrgUnit]:
    """The top units the user sees (the roots of their subtrees)."""
    paths = scope_paths(user)
    if paths == ("",):
        return list(OrgUnit.get_root_nodes())
    return list(OrgUnit.objects.filter(path__in=paths).order_by("path"))


def schools_for(user: User) -> QuerySet[OrgUnit]:
    return orgunits_for(user).filter(level=settings.ORG_SCHOOL_LEVEL).select_related("school")


def children_of(user: User, unit: OrgUnit) -> QuerySet[OrgUnit]:
    """The direct children of a unit the user can see (callers fetched `unit` through scope)."""
    return (
        orgunits_for(user)
        .filter(prefix_q("path", unit.path), depth=unit.depth + 1)
        .order_by("name", "code")
    )


def ancestors_in_scope(user: User, unit: OrgUnit) -> list[OrgUnit]:
    """The breadcrumb above a unit, cut at the top of the user's scope."""
    paths = [unit.path[:i] for i in range(OrgUnit.steplen, len(unit.path), OrgUnit.steplen)]
    return list(orgunits_for(user).filter(path__in=paths).order_by("depth"))


def people_for(user: User, *, include_former: bool = False) -> QuerySet[Person]:
    """People with an assignment in the user's subtrees (current only, unless asked)."""
    assignments = Assignment.objects.filter(scope_q(user, "org_path"), person=OuterRef("pk"))
    if not include_former:
        assignments = assignments.active()
    return Person.objects.filter(Exists(assignments))


def person_get(user: User, pk: Any) -> Person:
    """One person in scope, with their assignment history; 404 for anyone else."""
    return get_or_404(people_for(user, include_former=True), pk=pk)


def assignments_of(user: User, person: Person) -> QuerySet[Assignment]:
    """A person's roles, past and present, that lie in the user's scope."""
    return (
        person.assignments.filter(scope_q(user, "org_path"))
        .select_related("org_unit")
        .order_by("-start_date")
    )


def assignment_get(user: User, pk: Any) -> Assignment:
    return get_in_scope_or_404(
        Assignment.objects.select_related("person", "org_unit"), user, "org_path", pk=pk
    )


def holds_post_q(*, role: str | None = None, unit: OrgUnit | None = None) -> Q:
    """People who currently hold `role` (any if None) somewhere in `unit`'s subtree."""
    posts = Assignment.objects.active().filter(person=OuterRef("pk"))
    if role:
        posts = posts.filter(role=role)
    if unit is not None:
        posts = posts.filter(prefix_q("org_path", unit.path))
    return Q(Exists(posts))


def people_list(user: User, *, include_former: bool = False) -> QuerySet[Person]:
    """People for a list page, with their current assignments fetched in one more query."""
    current = (
        Assignment.objects.active()
        .filter(scope_q(user, "org_path"))
        .select_related("org_unit")
        .order_by("role")
    )
    return (
        people_for(user, include_former=include_former)
        .select_related("user")
        .prefetch_related(Prefetch("assignments", queryset=current, to_attr="current"))
        .order_by("name", "pk")
    )


def home_counts(user: User) -> dict[str, int]:
    """What a role's home page shows: schools and people by role in the user's scope."""
    schools = schools_for(user).count()
    posts = Assignment.objects.active().filter(scope_q(user, "org_path"))
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


def school_detail(user: User, pk: Any) -> School:
    return get_in_scope_or_404(
        School.objects.select_related("org_unit"), user, "org_unit__path", pk=pk
    )


def posts_at(user: User, unit: OrgUnit) -> QuerySet[Assignment]:
    """Current assignments at exactly this unit (callers fetched `unit` through scope)."""
    return (
        Assignment.objects.active()
        .filter(scope_q(user, "org_path"), org_unit=unit)
        .select_related("person")
        .order_by("role", "person__name", "pk")[:500]
    )
