"""Network proposals an officer may see (those of units in their area), with their groups'
schools named."""

from __future__ import annotations

import uuid
from typing import Any

from django.db.models import QuerySet

from clusterwise.core.scope import get_or_404, scope_q
from clusterwise.org.models import OrgUnit, User

from ..models import FormationRun


def runs_for(user: User) -> QuerySet[FormationRun]:
    return (
        FormationRun.objects.filter(scope_q(user, "org_path"))
        .select_related("org_unit", "job")
        .order_by("-created_at")
    )


def run_get(user: User, pk: Any) -> FormationRun:
    return get_or_404(runs_for(user), pk=pk)


def groups_named(run: FormationRun) -> list[dict[str, Any]]:
    """The run's groups, each school as (id, name, code, minutes), in two queries."""
    groups = list(run.groups.all().order_by("number"))
    ids = {uuid.UUID(key) for g in groups for key, _m in g.schools}
    names = {
        str(pk): (name, code)
        for pk, name, code in OrgUnit.objects.filter(pk__in=ids).values_list("pk", "name", "code")
    }
    return [
        {
            "group": g,
            "schools": [(key, *names.get(key, ("?", "?")), minutes) for key, minutes in g.schools],
        }
        for g in groups
    ]


def unplaced_named(run: FormationRun) -> QuerySet[Any]:
    return run.unplaced.select_related("school").order_by("reason", "school__name")
