from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from clusterwise.core.scope import minimal_prefixes, scope_paths
from clusterwise.org.models import OrgUnit
from clusterwise.org.selectors import orgunits_for

paths = st.lists(
    st.text(alphabet="0123456789AB", min_size=1, max_size=3).map(lambda s: s * 4), max_size=8
)


@given(paths)
def test_minimal_prefixes_cover_the_same_paths_without_nesting(given_paths: list[str]) -> None:
    kept = minimal_prefixes(given_paths)
    for path in given_paths:
        assert any(path.startswith(k) for k in kept)
    for a in kept:
        assert not any(a != b and a.startswith(b) for b in kept)


def test_a_crc_sees_only_their_cluster(world) -> None:
    codes = set(orgunits_for(world.crc).values_list("code", flat=True))
    assert codes == {"CA", "A1", "A2"}


def test_a_coach_sees_the_whole_block(world) -> None:
    codes = set(orgunits_for(world.coach).values_list("code", flat=True))
    assert codes == {"B1", "CA", "CB", "A1", "A2", "B1S"}


def test_a_user_without_active_assignment_sees_nothing(world, django_user_model) -> None:
    nobody = django_user_model.objects.create_user("nobody", password="x")
    assert scope_paths(nobody) == ()
    assert not orgunits_for(nobody).exists()


def test_a_superuser_sees_everything(world, django_user_model) -> None:
    root = django_user_model.objects.create_superuser("root", password="x")
    assert orgunits_for(root).count() == OrgUnit.objects.count()
