"""The demo is the same for a seed: ids, cascade, ratings and field work."""

from __future__ import annotations

from django.core.management import call_command
from django.db import transaction

from clusterwise.programme.models import CohortMember, Submission
from clusterwise.skills.models import Rating


class _Undo(Exception):
    pass


def _programme_signature(seed: int) -> list[tuple[object, ...]]:
    """Load the demo in a savepoint, describe its programme, and roll it back."""
    signature: list[tuple[object, ...]] = []
    try:
        with transaction.atomic():
            call_command("demo", "--scale", "small", "--seed", str(seed), verbosity=0)
            signature = (
                sorted(
                    CohortMember.objects.values_list(
                        "id", "person__name", "role", "supported_by_id", "org_path"
                    )
                )
                + sorted(
                    Rating.objects.values_list(
                        "member__person__name", "skill__code", "round", "kind", "level"
                    )
                )
                + sorted(
                    Submission.objects.values_list(
                        "member__person__name", "field_assignment__title", "status"
                    )
                )
            )
            raise _Undo
    except _Undo:
        pass
    return signature


def test_the_demo_programme_is_the_same_for_a_seed(db) -> None:
    first = _programme_signature(7)
    assert first
    assert _programme_signature(7) == first
    assert _programme_signature(8) != first
