"""The small demo's school-leadership networks: every kind in every district, a year of
meetings, commitments kept, open and overdue, a completed peer-review cycle, a few dozen
practices, and what the `head` and `coach` logins find there (issue #6)."""

from __future__ import annotations

import datetime
import io
import random
from collections import Counter, defaultdict
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from clusterwise.demo.networks import load_networks
from clusterwise.networks.models import (
    Action,
    ActionPlan,
    ActionReview,
    AgendaItem,
    Attendance,
    Meeting,
    Network,
    NetworkMember,
    NetworkSchool,
    Notification,
    Practice,
    PracticeTrial,
    Recommendation,
    ReviewCycle,
    SchoolFigures,
    SchoolReview,
    Witness,
)
from clusterwise.networks.selectors.meetings import agenda_of, upcoming_for
from clusterwise.networks.selectors.networks import facilitated_by, health_of, networks_for
from clusterwise.org.models import Assignment, OrgUnit, Person, User

STEP = OrgUnit.steplen
OPEN = [Action.Status.OPEN, Action.Status.IN_PROGRESS]


@pytest.fixture(scope="module")
def small_demo(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """The small demo, loaded once for this module and rolled back after it; its summary."""
    out = io.StringIO()
    with django_db_blocker.unblock(), transaction.atomic():
        call_command("demo", "--scale", "small", verbosity=0, stdout=out)
        yield out.getvalue()
        transaction.set_rollback(True)


@pytest.fixture
def demo(small_demo: str, db: None) -> str:
    return small_demo


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _school_of(username: str) -> OrgUnit:
    post = Assignment.objects.active().get(person__user__username=username)
    return post.org_unit


def test_every_kind_of_network_is_in_every_demo_district(demo) -> None:
    kinds: dict[str, set[str]] = defaultdict(set)
    for path, kind in Network.objects.values_list("org_path", "kind"):
        kinds[path[: 2 * STEP]].add(kind)
    districts = set(OrgUnit.objects.filter(level="district").values_list("path", flat=True))
    assert set(kinds) == districts and len(districts) == 3
    assert all(found == set(Network.Kind.values) for found in kinds.values())
    # A cluster network for every cluster of each district's first (pilot) block.
    for district in districts:
        block = OrgUnit.objects.filter(path__startswith=district, depth=3).order_by("path")[0]
        clusters = OrgUnit.objects.filter(path__startswith=block.path, depth=4)
        owned = Network.objects.filter(kind=Network.Kind.CLUSTER, org_unit__in=clusters)
        assert owned.count() == clusters.count()
    # Teachers' CoPs are part of their headteachers' CoP and hold teachers.
    for network in Network.objects.filter(kind=Network.Kind.TEACHER_COP):
        assert network.part_of is not None and network.part_of.kind == Network.Kind.COP
        roles = set(network.members.values_list("role", flat=True))
        assert roles == {NetworkMember.Role.TEACHER}
    # CoPs meet at their first school, and their schools are a walk apart.
    for network in Network.objects.filter(kind=Network.Kind.COP):
        links = list(network.schools.order_by("school_path"))
        assert 3 <= len(links) <= 8
        assert network.meeting_school_id == links[0].school_id
        assert links[0].walking_minutes == 0
        assert all(link.walking_minutes is not None for link in links)
    assert "networks" in demo and "network_meetings" in demo and "network_practices" in demo


def test_networks_met_for_a_year_in_every_way_with_minutes_and_attendance(demo) -> None:
    today = timezone.localdate()
    held = Meeting.objects.filter(status=Meeting.Status.HELD)
    first = timezone.localdate(min(held.values_list("starts_at", flat=True)))
    assert (today - first).days >= 330
    assert set(held.values_list("mode", flat=True)) == set(Meeting.Mode.values)
    templates = Counter(held.values_list("template", flat=True))
    assert templates[Meeting.Template.CRISIS] >= 1
    assert templates[Meeting.Template.PEER_REVIEW] >= 1
    assert (
        templates[Meeting.Template.SCHOOL_IMPROVEMENT] and templates[Meeting.Template.DATA_REVIEW]
    )
    assert not held.filter(minutes="").exists()
    assert Meeting.objects.filter(status=Meeting.Status.CANCELLED).exists()
    # The head's CoP met about monthly for a year.
    cop = Network.objects.get(kind=Network.Kind.COP, schools__school=_school_of("head"))
    assert cop.meetings.filter(status=Meeting.Status.HELD).count() >= 11
    # Attendance: most present, some absent, some at a distance; every held meeting has it.
    marks = Counter(Attendance.objects.values_list("present", "remote"))
    present = marks[(True, False)] + marks[(True, True)]
    assert present > 3 * marks[(False, False)] > 0
    assert marks[(True, True)] > 0
    assert held.filter(attendance__isnull=True).count() == 0


def test_each_active_network_has_one_meeting_planned_in_the_coming_two_weeks(demo) -> None:
    now = timezone.now()
    planned = Meeting.objects.filter(status=Meeting.Status.PLANNED)
    assert not planned.filter(starts_at__lt=now).exists()
    assert not planned.filter(starts_at__gt=now + datetime.timedelta(days=15)).exists()
    per_network = Counter(planned.values_list("network", flat=True))
    assert set(per_network.values()) == {1}
    without = Network.objects.exclude(pk__in=per_network)
    # Only the stuck CoPs (one a district) have nothing planned.
    assert without.count() == 3
    assert set(without.values_list("kind", flat=True)) == {Network.Kind.COP}


def test_commitments_are_witnessed_and_kept_with_evidence_open_or_overdue(demo) -> None:
    today = timezone.localdate()
    # Made at meetings (a peer-review workshop's plan is the cycle's, without witnesses).
    made = Action.objects.filter(made_in__isnull=False, plan__cycle__isnull=True)
    assert made.count() > 200
    witnesses: dict[Any, set[Any]] = defaultdict(set)
    for action, person in Witness.objects.values_list("action", "person"):
        witnesses[action].add(person)
    there: dict[Any, set[Any]] = defaultdict(set)
    for meeting, person in Attendance.objects.filter(present=True).values_list("meeting", "person"):
        there[meeting].add(person)
    for pk, meeting, owner in made.values_list("pk", "made_in", "owner"):
        assert witnesses[pk], "a commitment without a witness"
        assert owner not in witnesses[pk]
        assert witnesses[pk] <= there[meeting]
    statuses = Counter(made.values_list("status", flat=True))
    assert statuses[Action.Status.DONE] > statuses[Action.Status.DROPPED] > 0
    done = made.filter(status=Action.Status.DONE)
    assert not done.filter(evidence="").exists()
    assert not done.filter(completed_on__isnull=True).exists()
    assert made.filter(status__in=OPEN, due_on__gte=today).exists()  # open
    assert made.filter(status__in=OPEN, due_on__lt=today).exists()  # overdue
    # Reviewed at later meetings of the same network.
    reviews = ActionReview.objects.select_related("action__made_in", "meeting")
    assert reviews.count() > 150
    for review in reviews.filter(action__in=made)[:300]:
        assert review.meeting.starts_at > review.action.made_in.starts_at
        assert review.meeting.network_id == review.action.made_in.network_id


def test_a_peer_review_cycle_was_completed_and_two_more_are_under_way(demo) -> None:
    (closed,) = ReviewCycle.objects.filter(stage=ReviewCycle.Stage.CLOSED)
    network = closed.network
    schools = set(network.schools.values_list("school", flat=True))
    assert 3 <= len(schools) <= 4
    for kind in (SchoolReview.Kind.SELF, SchoolReview.Kind.PEER):
        submitted = closed.reviews.filter(kind=kind, status=SchoolReview.Status.SUBMITTED)
        assert set(submitted.values_list("school", flat=True)) == schools
    areas = closed.framework.areas.count()
    for review in closed.reviews.prefetch_related("reviewers", "ratings"):
        assert review.ratings.count() == areas
        if review.kind == SchoolReview.Kind.PEER:
            reviewers = {p.pk for p in review.reviewers.all()}
            from_school = set(
                network.members.filter(school=review.school).values_list("person", flat=True)
            )
            assert reviewers and not reviewers & from_school
    assert closed.workshop is not None
    assert closed.workshop.template == Meeting.Template.PEER_REVIEW
    assert closed.workshop.status == Meeting.Status.HELD
    plan = closed.plans.get(kind=ActionPlan.Kind.NETWORK)
    assert plan.actions.filter(made_in=closed.workshop).count() >= 3
    assert closed.links.count() >= 1
    assert sum(link.sessions.count() for link in closed.links.all()) >= closed.links.count()
    under_way = ReviewCycle.objects.exclude(pk=closed.pk)
    assert sorted(under_way.values_list("stage", flat=True)) == ["peer_review", "self_review"]
    at_peer = under_way.get(stage=ReviewCycle.Stage.PEER_REVIEW)
    assert at_peer.reviews.filter(kind="peer", status="draft").exists()
    assert at_peer.reviews.filter(kind="peer", status="submitted").exists()


def test_a_school_plan_a_cluster_plan_and_a_contract_signed_by_the_crc(demo) -> None:
    school = _school_of("head")
    assert ActionPlan.objects.filter(kind=ActionPlan.Kind.SCHOOL, org_unit=school).exists()
    assert ActionPlan.objects.filter(
        kind=ActionPlan.Kind.CLUSTER, org_unit__path=school.path[: 4 * STEP]
    ).exists()
    contract = ActionPlan.objects.get(kind=ActionPlan.Kind.CONTRACT)
    assert contract.org_unit == school
    assert contract.status == ActionPlan.Status.ACTIVE and contract.signed_off_at is not None
    assert contract.supervisor == Person.objects.get(user__username="crc")
    targets = list(contract.actions.values_list("target", flat=True))
    assert len(targets) >= 3 and all(targets)


def test_a_few_dozen_practices_some_tried_elsewhere_and_recommended(demo) -> None:
    practices = Practice.objects.all()
    assert 30 <= practices.count() <= 40
    assert {"en", "mr", "hi"} <= set(practices.values_list("language", flat=True))
    assert all(tags for tags in practices.values_list("tags", flat=True))
    assert practices.filter(created_by__username="head").exists()
    trials = PracticeTrial.objects.select_related("practice")
    assert trials.values("practice").distinct().count() >= 5
    assert all(t.school_id != t.practice.school_id for t in trials)
    assert len(set(trials.values_list("outcome", flat=True))) >= 3
    recommended = Recommendation.objects.select_related("practice", "network")
    assert recommended.count() >= 3
    for recommendation in recommended:
        schools = set(recommendation.network.schools.values_list("school", flat=True))
        assert recommendation.practice.school_id not in schools
    assert Notification.objects.filter(kind=Notification.Kind.PRACTICE_RECOMMENDED).exists()


def test_member_schools_have_their_figures_for_the_last_twelve_months(demo) -> None:
    members = set(NetworkSchool.objects.values_list("school", flat=True))
    months: dict[Any, set[datetime.date]] = defaultdict(set)
    for school, month in SchoolFigures.objects.values_list("school", "month"):
        months[school].add(month)
    assert set(months) == members
    this_month = timezone.localdate().replace(day=1)
    for found in months.values():
        assert len(found) == 12 and max(found) < this_month
        assert min(found) >= this_month - datetime.timedelta(days=366)


def test_the_head_sees_its_cop_whose_next_agenda_holds_open_commitments(demo) -> None:
    head, coach = _user("head"), _user("coach")
    seen = networks_for(head)
    cop = seen.get(kind=Network.Kind.COP)
    assert cop.facilitator.user == coach
    # head.b's school is in other networks, which head does not see.
    other = Network.objects.filter(schools__school=_school_of("head.b"))
    assert other.exists()
    assert not seen.filter(pk__in=other).exists()
    assert not networks_for(_user("head.b")).filter(pk=cop.pk).exists()
    upcoming = [m for m in upcoming_for(head) if m.network_id == cop.pk]
    assert len(upcoming) == 1
    meeting = upcoming[0]
    assert meeting.starts_at <= timezone.now() + datetime.timedelta(days=15)
    reviews = [item for item in agenda_of(meeting) if item.source == AgendaItem.Source.REVIEW]
    assert reviews
    assert all(item.action is not None and item.action.status in OPEN for item in reviews)


def test_the_coach_moderates_a_network_that_meets_and_one_that_is_stuck(demo) -> None:
    health = health_of(facilitated_by(_user("coach")))
    assert len(health) >= 2
    today = timezone.localdate()
    regular = [
        h
        for h in health
        if h.held >= 10 and h.planned and h.last_met and (today - h.last_met).days <= 35
    ]
    stuck = [h for h in health if h.overdue and not h.planned]
    assert regular and stuck
    for h in stuck:
        assert h.last_met is not None and (today - h.last_met).days > 90
        assert any("has not met" in reason for reason in h.stuck)


class _Undo(Exception):
    pass


def _describe(networks: QuerySet[Network], practices: QuerySet[Practice]) -> list[tuple[Any, ...]]:
    """Networks, their meetings, attendance and commitments, and practices, by names and
    dates (ids differ from run to run)."""
    meetings = Meeting.objects.filter(network__in=networks)
    return (
        sorted(networks.values_list("name", "kind", "started_on", "facilitator__name"))
        + sorted(
            meetings.values_list("network__name", "title", "starts_at", "mode", "status", "minutes")
        )
        + sorted(
            Attendance.objects.filter(meeting__in=meetings).values_list(
                "meeting__network__name", "meeting__starts_at", "person__name", "present"
            )
        )
        + sorted(
            Action.objects.filter(plan__network__in=networks).values_list(
                "plan__title", "text", "owner__name", "due_on", "status"
            )
        )
        + sorted(practices.values_list("title", "school__name", "language"))
    )


def _networks_signature(seed: int) -> list[tuple[Any, ...]]:
    """Load the first district's networks again beside the demo's in a savepoint, describe
    the new ones, and roll back."""
    signature: list[tuple[Any, ...]] = []
    old_networks = list(Network.objects.values_list("pk", flat=True))
    old_practices = list(Practice.objects.values_list("pk", flat=True))
    try:
        with transaction.atomic():
            load_networks(
                random.Random(seed), timezone.localdate(), lambda done, total: None, districts=1
            )
            signature = _describe(
                Network.objects.exclude(pk__in=old_networks),
                Practice.objects.exclude(pk__in=old_practices),
            )
            raise _Undo
    except _Undo:
        pass
    return signature


def test_the_networks_are_the_same_for_a_seed(demo) -> None:
    first_district = OrgUnit.objects.filter(level="district").order_by("path")[0].path
    own = _describe(
        Network.objects.filter(org_path__startswith=first_district),
        Practice.objects.filter(org_path__startswith=first_district),
    )
    # A school's figures are one a month: the demo's make way (the test's rollback restores them).
    SchoolFigures.objects.all()._raw_delete(SchoolFigures.objects.db)
    first = _networks_signature(7)
    assert len(first) > 500
    assert _networks_signature(7) == first
    assert first != own  # the demo's own came from another seed
