"""The small demo carries classroom observation: every observation screen has real data."""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from clusterwise.demo.observation import load_observation
from clusterwise.observation.models import (
    Feedback,
    FeedbackAction,
    FeedbackReview,
    Instrument,
    Observation,
    PlannedVisit,
    Score,
    Snapshot,
    SyncConflict,
)
from clusterwise.observation.quality import compare_before_after
from clusterwise.observation.selectors import (
    caseload_for,
    conflicts_for,
    feedback_of_teacher,
    feedback_to_review,
    plan_for,
)
from clusterwise.org.models import Assignment, Role, User
from clusterwise.programme.models import CohortMember, Workshop


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


def _user(username: str) -> User:
    return User.objects.get(username=username)


def _submitted() -> Any:
    return Observation.objects.filter(status=Observation.Status.SUBMITTED)


def test_both_instruments_are_loaded_and_published(demo) -> None:
    instruments = {i.key: i for i in Instrument.objects.all()}
    assert set(instruments) == {"teach-classroom", "quick-visit"}
    assert {i.status for i in instruments.values()} == {"published"}
    assert instruments["teach-classroom"].items.count() == 9
    assert instruments["teach-classroom"].snapshot_minutes == [5, 15, 25]
    assert instruments["quick-visit"].items.count() == 4
    used = Counter(_submitted().values_list("instrument__key", flat=True))
    assert used["teach-classroom"] > 2 * used["quick-visit"] > 0


def test_thousands_of_complete_observations_by_every_crc(demo) -> None:
    submitted = _submitted()
    assert 3000 <= submitted.count() <= 5500
    observers = Counter(
        Assignment.objects.filter(
            person__in=submitted.values("observer"), end_date__isnull=True
        ).values_list("role", flat=True)
    )
    assert observers[Role.CRC] == 186  # every CRC of the small demo
    assert observers[Role.COACH] > 0 and observers[Role.HEADTEACHER] > 0
    # Each one complete: every item scored, every snapshot taken, feedback written.
    per_instrument = {
        i.pk: (i.items.count(), len(i.snapshot_minutes)) for i in Instrument.objects.all()
    }
    scores = Counter(
        Score.objects.filter(score__isnull=False, observation__in=submitted).values_list(
            "observation", flat=True
        )
    )
    snapshots = Counter(
        Snapshot.objects.filter(observation__in=submitted).values_list("observation", flat=True)
    )
    for pk, instrument_id in submitted.values_list("pk", "instrument_id"):
        assert (scores[pk], snapshots[pk]) == per_instrument[instrument_id]
    assert not Score.objects.filter(observation__in=submitted, score__gt=5).exists()
    assert Feedback.objects.filter(observation__in=submitted).count() == submitted.count()
    assert not Feedback.objects.filter(observation__in=submitted, strengths="").exists()
    for steps in Feedback.objects.filter(observation__in=submitted).values_list(
        "next_steps", flat=True
    ):
        assert 1 <= len(steps) <= 2
    with_actions = FeedbackAction.objects.values("feedback").distinct().count()
    assert with_actions == submitted.count()
    assert set(Feedback.objects.values_list("language", flat=True)) == {"en", "mr", "hi"}
    # What the sync endpoint stores, consistently.
    assert not submitted.filter(submitted_at__isnull=True).exists()
    assert set(submitted.values_list("revision", flat=True)) == {1}
    assert {len(d) for d in submitted.values_list("payload_digest", flat=True)} == {64}
    wrong_path = [
        (path, school)
        for path, school in submitted.values_list("org_path", "school__path")
        if path != school
    ]
    assert wrong_path == []
    today = timezone.localdate()
    days = list(submitted.values_list("observed_on", flat=True))
    assert max(days) <= today
    assert sum((today - d).days <= 125 for d in days) > 0.9 * len(days)


def test_later_observations_follow_up_the_earlier_actions(demo) -> None:
    followed = _submitted().filter(previous__isnull=False).select_related("previous")
    assert followed.count() > 1000
    for observation in followed[:300]:
        previous = observation.previous
        assert previous.teacher_id == observation.teacher_id
        assert previous.observed_on < observation.observed_on
    actions = FeedbackAction.objects.exclude(status=FeedbackAction.Status.OPEN)
    assert set(actions.values_list("status", flat=True)) == {"done", "partly", "not_done"}
    assert not actions.filter(followed_up_in__isnull=True).exists()
    pairs = actions.values_list("feedback__observation_id", "followed_up_in__previous_id")
    assert all(a == b for a, b in pairs)
    # The newest observation of a teacher keeps its actions open; some are overdue.
    open_actions = FeedbackAction.objects.filter(status=FeedbackAction.Status.OPEN)
    assert not open_actions.filter(followed_up_in__isnull=False).exists()
    today = timezone.localdate()
    assert open_actions.filter(due_on__lt=today).exists()
    assert open_actions.filter(due_on__gte=today).exists()


def test_teachers_acknowledged_and_replied_to_part_of_their_feedback(demo) -> None:
    feedback = Feedback.objects.filter(observation__status="submitted")
    acknowledged = feedback.filter(acknowledged_at__isnull=False).count()
    replied = feedback.exclude(reply="").count()
    assert 0.4 * feedback.count() < acknowledged < 0.9 * feedback.count()
    assert 0 < replied < acknowledged
    assert not feedback.exclude(reply="").filter(replied_at__isnull=True).exists()


def test_this_months_plans_cover_part_of_each_cluster(demo) -> None:
    today = timezone.localdate()
    month = PlannedVisit.objects.filter(planned_on__year=today.year, planned_on__month=today.month)
    assert PlannedVisit.objects.count() == month.count()
    statuses = Counter(month.values_list("status", flat=True))
    assert statuses["done"] and statuses["planned"] and statuses["cancelled"]
    assert statuses["cancelled"] < statuses["done"]
    crcs = Assignment.objects.filter(role=Role.CRC).values_list("person_id", flat=True)
    assert set(month.values_list("observer_id", flat=True)) == set(crcs)
    done = month.filter(status="done")
    linked = Observation.objects.filter(planned_visit__in=done)
    assert linked.count() == done.count()
    assert all(
        o.observed_on == o.planned_visit.planned_on for o in linked.select_related("planned_visit")
    )
    assert not month.filter(status="planned", planned_on__lt=today).exists()
    assert not month.exclude(status="done").filter(planned_on__week_day=1).exists()  # Sundays


def test_the_demo_crc_has_a_partly_visited_caseload_and_open_follow_ups(demo) -> None:
    crc = _user("crc")
    caseload = caseload_for(crc)
    assert 0 < caseload.visited_month < len(caseload.rows)
    assert any(row.planned_on for row in caseload.rows if not row.this_month)
    plan = Counter(plan_for(crc, timezone.localdate()).values_list("status", flat=True))
    assert plan["done"] >= 2 and plan["planned"] >= 2
    today = timezone.localdate()
    mine = FeedbackAction.objects.filter(feedback__observation__observer__user=crc)
    assert mine.filter(status="open", due_on__lt=today).exists()
    assert mine.exclude(status="open").exists()
    drafts = Observation.objects.filter(observer__user=crc, status="draft")
    assert drafts.count() == 2
    assert not drafts.filter(submitted_at__isnull=False).exists()


def test_the_demo_teacher_has_feedback_from_the_demo_crc_the_newest_unread(demo) -> None:
    teacher = _user("teacher")
    lessons = list(feedback_of_teacher(teacher))
    by_crc = [o for o in lessons if o.observer.user and o.observer.user.username == "crc"]
    assert len(by_crc) >= 2
    newest, *older = lessons
    assert newest.feedback.acknowledged_at is None
    assert all(o.feedback.acknowledged_at for o in older)
    assert any(o.feedback.reply for o in older)
    assert newest.previous_id == older[0].pk
    assert newest.feedback.actions.filter(status="open").exists()


def test_the_demo_head_leads_the_demo_teachers_school(demo) -> None:
    school = Assignment.objects.get(person__user__username="teacher").org_unit_id
    head = Assignment.objects.get(person__user__username="head")
    assert (head.role, head.org_unit_id) == (Role.HEADTEACHER, school)
    assert Observation.objects.filter(observer__user__username="head").exists()


def test_the_demo_coach_has_pilot_feedback_to_review(demo) -> None:
    coach = _user("coach")
    mine = CohortMember.objects.filter(
        cohort__kind="pilot", role="crc", supported_by__person__user=coach
    ).values_list("person_id", flat=True)
    waiting = feedback_to_review(coach).filter(observation__observer_id__in=list(mine))
    assert waiting.exclude(reviews__reviewer__user=coach).exists()
    assert waiting.filter(reviews__reviewer__user=coach).exists()


def test_drafts_and_open_conflicts_in_the_demo_crcs_cluster(demo) -> None:
    assert 4 <= Observation.objects.filter(status="draft").count() <= 10
    crc = _user("crc")
    cluster = Assignment.objects.get(person__user=crc).org_path
    conflicts = conflicts_for(crc)
    assert 2 <= conflicts.count() <= 3
    assert set(conflicts.values_list("status", flat=True)) == {"open"}
    assert all(c.org_path.startswith(cluster) for c in conflicts)
    assert all(c.payload["id"] == str(c.record_id) for c in conflicts)
    assert conflicts_for(_user("coach")).count() == conflicts.count()
    assert SyncConflict.objects.count() == conflicts.count()


def test_coaches_rated_pilot_feedback_before_and_after_the_workshop(demo) -> None:
    workshop = Workshop.objects.get(cohort__kind="pilot", theme__code="observation")
    split = timezone.localtime(workshop.starts_at).date()
    coach_of = dict(
        CohortMember.objects.filter(cohort__kind="pilot", role="crc").values_list(
            "person_id", "supported_by__person_id"
        )
    )
    reviews = FeedbackReview.objects.select_related("feedback__observation")
    assert reviews.count() > 300
    for review in reviews:
        observation = review.feedback.observation
        assert review.writer_id == observation.observer_id
        assert review.reviewer_id == coach_of[review.writer_id]
        assert review.written_on == observation.observed_on
        assert review.org_path == observation.org_path
    comparison = compare_before_after(
        ((r.writer_id, r.written_on, r.total) for r in reviews), split
    )
    assert len(comparison.paired) == 93  # every pilot CRC, before and after
    assert comparison.mean_change > 1
    assert 0.6 <= comparison.share_improved < 1  # most, not all
    assert comparison.test.p_value < 0.01


def _observation_signature(seed: int) -> tuple[dict[str, int], list[tuple[Any, ...]]]:
    """Run the observation demo alone over the loaded state (its own rows removed first)
    in a savepoint; describe what it made; roll it back."""
    result: tuple[dict[str, int], list[tuple[Any, ...]]] = ({}, [])
    with transaction.atomic():
        for model in (
            SyncConflict,
            FeedbackReview,
            FeedbackAction,
            Feedback,
            Snapshot,
            Score,
            Observation,
            PlannedVisit,
        ):
            model.objects.all()._raw_delete(model.objects.db)
        counts = load_observation(random.Random(seed), timezone.localdate(), lambda d, t: None)
        rows = (
            list(
                Observation.objects.order_by("id").values_list(
                    "id", "teacher__name", "observer__name", "observed_on", "status", "notes"
                )[:20]
            )
            + list(
                Feedback.objects.order_by("id").values_list(
                    "id", "strengths", "next_steps", "reply"
                )[:20]
            )
            + list(
                PlannedVisit.objects.order_by("id").values_list("id", "planned_on", "status")[:20]
            )
            + list(
                FeedbackReview.objects.order_by("id").values_list("id", "specific", "comment")[:20]
            )
        )
        result = (counts, rows)
        transaction.set_rollback(True)
    return result


def test_the_observation_demo_is_the_same_for_a_seed(demo) -> None:
    first = _observation_signature(5)
    assert first[0]["observations"] > 3000
    assert _observation_signature(5) == first
