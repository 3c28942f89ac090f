"""The programme in a real browser: a field assignment handed in, reviewed by the coach
and read by the CRC; and an attendance sheet that survives a dropped connection."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clusterwise.programme import services
from clusterwise.programme.models import Attendance, Submission

from .conftest import PHONE, Browser

pytestmark = pytest.mark.browser

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00"
    b"\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x00\x05\xfe\x02\xfe\xa7\x35\x81\x84"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def test_a_coach_reviews_a_field_assignment_and_the_crc_sees_the_review(
    world, programme, ui: Browser, page: Page
) -> None:
    page.set_viewport_size(PHONE)
    fa = services.field_assignment_save(
        cohort=programme.cohort,
        title="Written feedback to two teachers",
        instructions="Observe two lessons; write feedback with one strength and one next step.",
        due_on=datetime.date(2024, 9, 1),
        rubric=services.parse_rubric("Names a specific strength\nGives one focused next step"),
        by=world.state_officer,
    )

    # The CRC hands in, with a photo of the feedback they wrote.
    ui.login("crc_a", "pw-crc_a")
    page.get_by_role("button", name="Show menu").click()
    page.locator("nav").get_by_role("link", name="Programme").click()
    page.get_by_role("link", name=re.compile("Pilot 2024")).click()
    page.get_by_role("link", name="Field assignments").click()
    page.get_by_role("link", name=re.compile("Written feedback")).click()
    page.get_by_role("link", name="Hand in").click()
    page.get_by_label("What I did").fill("I observed Class 3 and Class 4 and wrote feedback.")
    page.get_by_label("Photos or PDFs").set_input_files(
        {"name": "feedback.png", "mimeType": "image/png", "buffer": PNG}
    )
    page.get_by_role("button", name="Hand in").click()
    expect(page.get_by_text("Waiting for review")).to_be_visible()
    expect(page.get_by_role("img", name="feedback.png")).to_be_visible()
    ui.logout()

    # The coach scores it on the rubric and asks for one change.
    ui.login("coach", "pw-coach")
    ui.go(f"/programme/assignments/{fa.pk}/")
    page.get_by_role("link", name="Crc A").click()
    page.get_by_role("group", name="Names a specific strength").get_by_label("3").check()
    page.get_by_role("group", name="Gives one focused next step").get_by_label("1").check()
    page.get_by_label("Comment for the CRC").fill(
        "Make the next step one the teacher can try tomorrow."
    )
    page.get_by_role("button", name="Ask for a resubmission").click()
    expect(page.get_by_text("Review saved; the CRC can see it now.")).to_be_visible()
    ui.logout()

    # The CRC reads the review and hands in again.
    ui.login("crc_a", "pw-crc_a")
    submission = Submission.objects.get(field_assignment=fa)
    ui.go(f"/programme/submissions/{submission.pk}/")
    review = page.get_by_role("region", name="Review")
    expect(review).to_contain_text("Make the next step one the teacher can try tomorrow.")
    expect(review).to_contain_text("3 / 3")
    expect(page.get_by_text("Resubmission asked")).to_be_visible()
    page.get_by_role("link", name="Hand in again").click()
    expect(page.get_by_role("note")).to_contain_text("Make the next step")
    page.get_by_label("What I did").fill("Next step now: pair reading for 10 minutes daily.")
    page.get_by_role("button", name="Hand in").click()
    expect(page.get_by_text("attempt 2")).to_be_visible()
    submission.refresh_from_db()
    assert (submission.status, submission.attempt) == ("submitted", 2)


def test_attendance_marks_survive_a_dropped_connection(
    world, programme, ui: Browser, page: Page
) -> None:
    page.set_viewport_size(PHONE)
    workshop = services.workshop_save(
        cohort=programme.cohort,
        title="Reading learning data",
        starts_at=timezone.now() - datetime.timedelta(hours=2),
        venue="Block resource centre, Khed",
        facilitators=[programme.coach],
        by=world.state_officer,
    )
    refused: list[str] = []
    page.on(
        "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
    )
    ui.login("coach", "pw-coach")
    ui.go(f"/programme/workshops/{workshop.pk}/")
    page.get_by_role("group", name="Crc A").get_by_text("Present").click()
    page.get_by_role("group", name="Crc B").get_by_text("Late").click()

    page.context.set_offline(True)
    page.get_by_role("button", name="Save attendance").click()  # fails: no network
    page.wait_for_timeout(500)
    assert not Attendance.objects.exists()
    page.context.set_offline(False)

    ui.go(f"/programme/workshops/{workshop.pk}/")
    expect(page.get_by_text("Unsaved marks from earlier were restored")).to_be_visible()
    expect(page.get_by_role("group", name="Crc B").get_by_label("Late")).to_be_checked()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_text("Attendance saved")).to_be_visible()
    assert dict(Attendance.objects.values_list("member__person__name", "status")) == {
        "Crc A": "present",
        "Crc B": "late",
    }
    # Saved: the draft is gone, so opening the sheet again restores nothing.
    ui.go(f"/programme/workshops/{workshop.pk}/")
    expect(page.get_by_text("Unsaved marks from earlier were restored")).to_be_hidden()
    assert refused == []  # the strict CSP refused nothing the pages tried
