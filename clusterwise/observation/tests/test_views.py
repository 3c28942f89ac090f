"""The online observation pages: plan, caseload, records, the teacher's feedback, reviews,
before/after, conflicts and instruments. Each: it works, it requires the role, it hides the
other cluster."""

from __future__ import annotations

import datetime
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from clusterwise.observation.models import (
    Feedback,
    FeedbackReview,
    Instrument,
    Observation,
    PlannedVisit,
    SyncConflict,
)
from clusterwise.observation.services import observation_sync
from clusterwise.reports.tests.test_exports import body, pdf_pages, pdf_text

pytestmark = pytest.mark.django_db


def observe(world, observation_world, **changes):
    outcome = observation_sync(payload=observation_world.payload(world, **changes), by=world.crc)
    return outcome.observation


def test_the_plan_adds_a_visit_and_keeps_what_was_typed_on_error(world, observation_world):
    client = world.client(world.crc)
    assert client.get("/observation/plan/").status_code == 200
    day = timezone.localdate() + datetime.timedelta(days=2)
    response = client.post(
        "/observation/plan/",
        {"school": world.school_a1.pk, "teacher": observation_world.teacher.pk, "planned_on": day},
    )
    assert response.status_code == 302
    visit = PlannedVisit.objects.get()
    assert visit.org_path == world.school_a1.path and visit.teacher == observation_world.teacher
    page = client.get(f"/observation/plan/?month={day:%Y-%m}").content.decode()
    assert "ZP School Chakan" in page

    # A school of the other cluster is not on offer; the purpose typed stays.
    response = client.post(
        "/observation/plan/",
        {"school": world.school_b1.pk, "planned_on": day, "purpose": "Maths follow-up"},
    )
    assert response.status_code == 200
    assert "Maths follow-up" in response.content.decode()
    assert PlannedVisit.objects.count() == 1


def test_a_planned_visit_is_cancelled_only_by_its_observer(world, observation_world):
    visit_day = timezone.localdate()
    world.client(world.crc).post(
        "/observation/plan/", {"school": world.school_a1.pk, "planned_on": visit_day}
    )
    visit = PlannedVisit.objects.get()
    assert (
        world.client(world.coach).post(f"/observation/plan/{visit.pk}/cancel/").status_code == 404
    )
    world.client(world.crc).post(
        f"/observation/plan/{visit.pk}/cancel/", {"version": visit.version}
    )
    visit.refresh_from_db()
    assert visit.status == "cancelled"


def test_the_plan_requires_an_observer_role(world, observation_world):
    assert world.client(world.teacher).get("/observation/plan/").status_code == 403
    assert world.client(world.district_officer).get("/observation/caseload/").status_code == 403


def test_the_caseload_shows_who_was_observed_this_month(world, observation_world):
    observe(world, observation_world)
    client = world.client(world.crc)
    page = client.get("/observation/caseload/").content.decode()
    assert "Teacher A1" in page and "Head A1" in page
    assert "Teacher B" not in page  # the other cluster
    not_yet = client.get("/observation/caseload/?show=not_month").content.decode()
    assert "Teacher A1" not in not_yet and "Head A1" in not_yet
    assert client.get(f"/observation/caseload/?school={world.school_b1.pk}").status_code == 404


def test_records_are_scoped(world, observation_world):
    observation = observe(world, observation_world)
    url = f"/observation/records/{observation.pk}/"
    for user, status in (
        (world.crc, 200),
        (world.coach, 200),
        (world.head, 200),
        (world.teacher, 200),
        (world.district_officer, 200),
        (world.outsider, 404),
    ):
        assert world.client(user).get(url).status_code == status, user
    assert (
        "Teacher A1"
        not in world.client(world.outsider).get("/observation/records/").content.decode()
    )


def test_a_draft_is_seen_only_by_its_observer(world, observation_world):
    draft = observe(world, observation_world, status="draft")
    assert world.client(world.crc).get(f"/observation/records/{draft.pk}/").status_code == 200
    for user in (world.teacher, world.head, world.coach):
        assert world.client(user).get(f"/observation/records/{draft.pk}/").status_code == 404


def test_the_teacher_reads_acknowledges_and_replies(world, observation_world):
    observation = observe(world, observation_world)
    client = world.client(world.teacher)
    assert "Place value" in client.get("/observation/my-feedback/").content.decode()
    page = client.get(f"/observation/records/{observation.pk}/").content.decode()
    assert "Pairs counted bundles" in page and "I have read this feedback" in page
    assert "Automatic indicators" not in page  # the coach's tools are not the teacher's

    client.post(f"/observation/records/{observation.pk}/acknowledge/")
    feedback = Feedback.objects.get()
    assert feedback.acknowledged_at is not None
    client.post(
        f"/observation/records/{observation.pk}/reply/",
        {"reply": "Thank you, I will try pairs.", "version": feedback.version},
    )
    feedback.refresh_from_db()
    assert feedback.reply == "Thank you, I will try pairs."
    assert feedback.history.filter(history_user=world.teacher).exists()

    # The headteacher reads it but cannot acknowledge for the teacher.
    head = world.client(world.head)
    assert head.post(f"/observation/records/{observation.pk}/acknowledge/").status_code == 404


def test_the_feedback_pdf_is_one_page_in_the_teacher_s_language(world, observation_world, tmp_path):
    observation = observe(world, observation_world)
    url = f"/observation/records/{observation.pk}/feedback.pdf"
    content = body(world.client(world.teacher).get(url))
    assert pdf_pages(content, tmp_path) == 1
    text = pdf_text(content, tmp_path)
    assert "Pairs counted bundles" in text
    assert "पाठ" in text  # the headings are in Marathi, the teacher's language
    assert world.client(world.outsider).get(url).status_code == 404


def test_a_coach_reviews_feedback_with_the_rubric(world, observation_world):
    observation = observe(world, observation_world)
    client = world.client(world.coach)
    queue = client.get("/observation/reviews/").content.decode()
    assert "Crc A" in queue
    page = client.get(f"/observation/records/{observation.pk}/review/").content.decode()
    assert "Automatic indicators" in page
    scores = {"specific": 3, "grounded": 4, "actionable": 3, "focused": 4, "respectful": 4}
    response = client.post(
        f"/observation/records/{observation.pk}/review/", scores | {"comment": "Good"}
    )
    assert response.status_code == 302
    review = FeedbackReview.objects.get()
    assert review.total == 18 and review.writer.user == world.crc
    # Leaving a criterion out keeps the others and names the missing one.
    response = client.post(
        f"/observation/records/{observation.pk}/review/", {"specific": 2, "comment": "typed"}
    )
    assert response.status_code == 200 and "typed" in response.content.decode()
    # The observer cannot review their own; a CRC has no reviewing role.
    assert (
        world.client(world.crc).get(f"/observation/records/{observation.pk}/review/").status_code
        == 403
    )


def test_before_and_after_compares_a_cohort_s_crcs(world, observation_world, programme):
    observation = observe(world, observation_world)
    feedback = observation.feedback
    split = timezone.localdate() - datetime.timedelta(days=30)
    for day, total in ((split - datetime.timedelta(days=10), 1), (timezone.localdate(), 4)):
        FeedbackReview.objects.create(
            feedback=feedback if total == 4 else observe(world, observation_world).feedback,
            reviewer=world.person(world.coach)
            if total == 4
            else world.person(world.district_officer),
            writer=world.person(world.crc),
            written_on=day,
            org_path=world.school_a1.path,
            **dict.fromkeys(("specific", "grounded", "actionable", "focused", "respectful"), total),
        )
    page = (
        world.client(world.coach)
        .get(f"/observation/quality/?cohort={programme.cohort.pk}&split_on={split}")
        .content.decode()
    )
    assert "Crc A" in page and "+15.0" in page
    assert world.client(world.crc).get("/observation/quality/").status_code == 403


def test_a_supervisor_settles_a_conflict(world, observation_world):
    payload = observation_world.payload(world)
    observation_sync(payload=payload, by=world.crc)
    observation_sync(payload=dict(payload, notes="A different note"), by=world.crc)
    conflict = SyncConflict.objects.get()
    page = world.client(world.coach).get(f"/observation/conflicts/{conflict.pk}/").content.decode()
    assert "A different note" in page
    assert (
        world.client(world.outsider).get(f"/observation/conflicts/{conflict.pk}/").status_code
        == 404
    )
    # The CRC sees their own conflict but cannot settle it.
    assert (
        world.client(world.crc)
        .post(f"/observation/conflicts/{conflict.pk}/", {"take": "device"})
        .status_code
        == 403
    )
    world.client(world.coach).post(f"/observation/conflicts/{conflict.pk}/", {"take": "device"})
    conflict.refresh_from_db()
    assert conflict.status == "took_device"
    assert Observation.objects.get().notes == "A different note"


def test_instruments_export_to_xlsform_and_import_as_a_new_draft(world, observation_world):
    admin = world.client(world.state_officer)
    instrument = observation_world.instrument
    assert "Test lesson observation" in admin.get("/observation/instruments/").content.decode()
    response = admin.get(f"/observation/instruments/{instrument.pk}/xlsform/")
    content = b"".join(response.streaming_content)
    assert {"survey", "choices", "settings"} <= set(load_workbook(io.BytesIO(content)).sheetnames)

    upload = io.BytesIO(content)
    upload.name = "test-lesson.xlsx"
    response = admin.post("/observation/instruments/import/", {"file": upload})
    assert response.status_code == 302
    draft = Instrument.objects.get(key="test-lesson", version=2)
    assert draft.status == "draft" and draft.items.count() == 4
    admin.post(f"/observation/instruments/{draft.pk}/status/", {"action": "publish"})
    draft.refresh_from_db()
    assert draft.status == "published"

    bad = io.BytesIO(b"not a spreadsheet")
    bad.name = "bad.xlsx"
    response = admin.post("/observation/instruments/import/", {"file": bad})
    assert response.status_code == 200 and "was not imported" in response.content.decode()
    # Observers read instruments; only a state admin imports.
    assert world.client(world.crc).get("/observation/instruments/import/").status_code == 403
    assert (
        world.client(world.crc).get(f"/observation/instruments/{instrument.pk}/").status_code == 200
    )


def test_the_skill_assessment_shows_feedback_quality_beside_theme_2(
    world, observation_world, programme
):
    from django.urls import reverse

    observation = observe(world, observation_world)
    world.client(world.coach).post(
        f"/observation/records/{observation.pk}/review/",
        dict.fromkeys(("specific", "grounded", "actionable", "focused", "respectful"), 3),
    )
    url = reverse("skills:assess", args=[programme.crc.pk, "endline", "coach"])
    page = world.client(world.coach).get(url).content.decode()
    assert "Written feedback, as coaches rated it" in page
    # The test cohort has no feedback workshop: the split is its middle, in 2027.
    assert "before the feedback workshop 15.0 (1 reviewed), after – (0 reviewed)" in page
