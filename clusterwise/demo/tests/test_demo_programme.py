"""The small demo carries the programme: every programme page has something to show."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction

from clusterwise.org.models import OrgUnit, User
from clusterwise.programme.models import Cohort, CohortMember
from clusterwise.programme.selectors import crcs_for, dashboard, todo_for
from clusterwise.skills.models import Rating
from clusterwise.skills.selectors import growth_for


@pytest.fixture(scope="module")
def small_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """The small demo, loaded once for this module and rolled back after it."""
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo", "--scale", "small", verbosity=0)
        yield
        transaction.set_rollback(True)


@pytest.fixture
def demo(small_demo: None, db: None) -> None:
    pass


def test_the_pilot_has_93_crcs_in_three_districts(demo) -> None:
    pilot = Cohort.objects.get(kind="pilot")
    crcs = pilot.members.filter(role="crc")
    districts = Counter(m.org_path[: 2 * OrgUnit.steplen] for m in crcs)
    assert crcs.count() == 93
    assert sorted(districts.values()) == [31, 31, 31]


def test_the_pilot_takes_one_whole_block_of_each_district(demo) -> None:
    pilot = Cohort.objects.get(kind="pilot")
    blocks = {m.org_path[: 3 * OrgUnit.steplen] for m in pilot.members.filter(role="crc")}
    assert len(blocks) == 3
    for path in blocks:
        clusters = OrgUnit.objects.filter(path__startswith=path, level="cluster").count()
        assert pilot.members.filter(role="crc", org_path__startswith=path).count() == clusters


def test_each_pilot_coach_supports_about_eight_crcs_and_mfs_support_the_coaches(demo) -> None:
    pilot = Cohort.objects.get(kind="pilot")
    per_coach = Counter(
        pilot.members.filter(role="crc").values_list("supported_by__role", "supported_by")
    )
    assert {role for role, _ in per_coach} == {"coach"}
    assert all(6 <= n <= 10 for n in per_coach.values())
    coaches = pilot.members.filter(role="coach")
    assert set(coaches.values_list("supported_by__role", flat=True)) == {"mf"}
    assert 2 <= pilot.members.filter(role="mf").count() <= 3
    assert pilot.members.filter(role="expert").count() == 1


def test_the_demo_logins_form_one_cascade(demo) -> None:
    pilot = Cohort.objects.get(kind="pilot")
    crc = CohortMember.objects.get(cohort=pilot, person__user__username="crc")
    chain = [
        crc.supported_by,
        crc.supported_by.supported_by,
        crc.supported_by.supported_by.supported_by,
    ]
    assert [m.person.user.username for m in chain] == ["coach", "mf", "state"]
    assert [m.role for m in chain] == ["coach", "mf", "expert"]


def test_about_63_percent_of_the_pilot_moved_up_and_missing_endlines_show(demo) -> None:
    pilot = Cohort.objects.get(kind="pilot")
    state = User.objects.get(username="state")
    report = growth_for(crcs_for(state, pilot), pilot, before="baseline", after="endline")
    assert report.overall.compared == 90
    assert report.overall.excluded == 3
    assert round(100 * report.overall.share_moved_up) == 63


def test_the_pilot_was_assessed_at_baseline_and_endline_on_every_skill(demo) -> None:
    pilot = Cohort.objects.get(kind="pilot")
    skills = pilot.framework.skills.count()
    coach_ratings = Rating.objects.filter(cohort=pilot, kind="coach")
    per_round = Counter(coach_ratings.values_list("round", flat=True))
    assert per_round == {"baseline": 93 * skills, "endline": 90 * skills}
    assert not coach_ratings.filter(evidence="").exists()
    assert Rating.objects.filter(cohort=pilot, kind="self", round="baseline").exists()


def test_the_demo_crc_has_work_to_hand_in_and_the_demo_coach_work_to_review(demo) -> None:
    todo = {u: todo_for(User.objects.get(username=u)) for u in ("crc", "coach")}
    assert [t.member.role for t in todo["crc"]] == ["crc"]
    assert todo["crc"][0].to_hand_in >= 1
    assert todo["crc"][0].overdue_actions >= 1
    assert todo["coach"][0].to_review >= 1


def test_the_pilot_dashboard_flags_work_waiting_for_review_too_long(demo) -> None:
    pilot = Cohort.objects.get(kind="pilot")
    figures = dashboard(User.objects.get(username="state"), pilot)
    assert figures.workshops_held == 4
    assert 0 < figures.waiting_long < figures.waiting_review
    assert figures.actions_overdue > 0
    assert figures.field_complete > figures.crcs / 2


def test_most_of_the_scale_up_did_not_complete_the_field_component(demo) -> None:
    scale_up = Cohort.objects.get(kind="basic")
    crcs = scale_up.members.filter(role="crc").count()
    figures = dashboard(User.objects.get(username="state"), scale_up)
    assert crcs == figures.crcs == 93  # every other CRC of the pilot's three districts
    assert figures.field_complete < crcs / 2
