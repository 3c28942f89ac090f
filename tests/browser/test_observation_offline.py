"""The observation form on a phone with the network off: the service worker keeps the
pages, the outbox (IndexedDB) keeps what was saved, and sync sends it once, idempotently,
when the connection is back. Needs `make assets` (Dexie, workbox-window, the worker)."""

from __future__ import annotations

import datetime
import re
import uuid
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clusterwise.observation.models import FeedbackAction, Observation
from clusterwise.observation.services import observation_sync

from .conftest import Browser

pytestmark = pytest.mark.browser

PHONE_360 = {"width": 360, "height": 740}


def watch_console(page: Page) -> list[str]:
    """What the page logged as errors, and what the strict CSP refused (a request that
    fails because the test cut the network is expected, not a problem)."""
    problems: list[str] = []

    def seen(message: Any) -> None:
        if "Content Security Policy" in message.text or (
            message.type == "error" and "ERR_INTERNET_DISCONNECTED" not in message.text
        ):
            problems.append(message.text)

    page.on("console", seen)
    page.on("pageerror", lambda error: problems.append(str(error)))
    return problems


def open_form_ready_for_offline(ui: Browser, page: Page, query: str = "") -> None:
    ui.go("/observation/observe/" + query)
    expect(page.locator("#observe-form[data-ready]")).to_be_attached()
    # The service worker is installed and holds the pages.
    expect(page.locator("html[data-offline-ready]")).to_be_attached()
    assert page.evaluate("navigator.serviceWorker.ready.then(r => Boolean(r.active))")
    expect(page.get_by_text("Ready to work offline.")).to_be_visible()


def fits_the_phone(page: Page) -> bool:
    """Nothing sticks out sideways on a 360 px wide screen."""
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_360["width"]


def group(page: Page, name: str) -> Any:
    return page.get_by_role("group", name=name, exact=True)


def answer_snapshot(page: Page, minute: int, activity: str, on_task: str) -> None:
    snapshot = group(page, f"Snapshot at minute {minute}")
    snapshot.get_by_role("group", name="Is the teacher running a learning activity?").get_by_role(
        "radio", name=activity, exact=True
    ).check()
    snapshot.get_by_role("group", name="How many students are on task?").get_by_role(
        "radio", name=on_task
    ).check()


def score(page: Page, item: str, value: int, evidence: str = "") -> None:
    group(page, item).get_by_role("radio", name=str(value), exact=True).check()
    if evidence:
        page.get_by_label(f"Evidence for “{item}”").fill(evidence)


def fill_lesson(page: Page) -> None:
    page.get_by_label("Teacher", exact=True).select_option(label="Teacher A1")
    page.get_by_label("Class", exact=True).fill("3")
    page.get_by_label("Subject").fill("Mathematics")
    page.get_by_label("Lesson topic").fill("Place value")
    page.get_by_label("Students present").fill("28")


def test_an_observation_made_offline_is_sent_once_when_the_connection_returns(
    world, observation_world, ui: Browser, page: Page
) -> None:
    # Two weeks ago the teacher agreed an action: this visit follows it up.
    earlier = observation_world.payload(
        world, observed_on=(timezone.localdate() - datetime.timedelta(days=14)).isoformat()
    )
    observation_sync(payload=earlier, by=world.crc)
    page.set_viewport_size(PHONE_360)
    problems = watch_console(page)
    ui.login("crc_a", "pw-crc_a")
    open_form_ready_for_offline(ui, page)
    expect(page.locator(".js-pending-badge")).to_have_text("0 pending")

    page.context.set_offline(True)
    fill_lesson(page)
    follow_up = page.get_by_role("region", name="Follow-up of the last visit")
    agreed = follow_up.get_by_role(
        "group", name="Seat the back row in pairs with stronger counters"
    )
    agreed.get_by_role("radio", name="Partly done").check()
    agreed.get_by_label("Comment").fill("Done on two days of five.")
    page.get_by_role("button", name="Start").click()  # the lesson timer
    expect(page.get_by_role("button", name="Pause")).to_be_visible()
    answer_snapshot(page, 5, "Yes", "Most")
    answer_snapshot(page, 15, "No", "Some")
    score(page, "Culture item 1", 4, "Children asked each other for help.")
    score(page, "Culture item 2", 3)
    score(page, "Instruction item 1", 2, "Only the teacher spoke for ten minutes.")
    score(page, "Instruction item 2", 5)
    page.get_by_label("Other evidence notes").fill("Six children at the back waited.")
    page.get_by_label("Strengths (what you saw, with evidence)").fill(
        "Pairs counted bundles of ten sticks and explained their count."
    )
    page.get_by_label("Next step 1", exact=True).fill("Ask the back row to show bundles first.")
    due = timezone.localdate() + datetime.timedelta(days=7)
    page.get_by_label("Action 1", exact=True).fill("Seat the back row in pairs")
    page.get_by_label("Action 1 by").fill(due.isoformat())
    page.get_by_role("button", name="Submit").click()

    expect(page.get_by_text("Observation saved on this phone")).to_be_visible()
    expect(page.locator(".js-pending-badge")).to_have_text("1 pending")
    assert Observation.objects.count() == 1  # nothing reached the server
    page.wait_for_timeout(300)  # the automatic attempt fails offline and leaves it pending
    expect(page.locator(".js-pending-badge")).to_have_text("1 pending")
    (payload,) = page.evaluate(
        "ClusterwiseOutbox.db.outbox.toArray().then(rows => rows.map(r => r.payload))"
    )
    record_id = payload["id"]
    assert payload["revision"] == 1 and payload["status"] == "submitted"

    page.context.set_offline(False)
    page.get_by_role("button", name="Sync now").click()
    expect(page.locator(".js-pending-badge")).to_have_text("0 pending")
    assert page.evaluate("ClusterwiseOutbox.db.outbox.count()") == 0

    assert Observation.objects.count() == 2  # the earlier one and this one
    observation = Observation.objects.get(pk=record_id)
    assert observation.status == "submitted"
    assert observation.observer == world.person(world.crc)
    assert observation.teacher == observation_world.teacher
    assert observation.school == world.school_a1
    assert (observation.grade, observation.subject, observation.topic) == (
        "3",
        "Mathematics",
        "Place value",
    )
    assert observation.students_present == 28
    assert observation.started_at is not None
    assert observation.device  # the persistent X-Device-Id
    assert {s.item.code: (s.score, s.evidence) for s in observation.scores.all()} == {
        "culture.1": (4, "Children asked each other for help."),
        "culture.2": (3, ""),
        "instruction.1": (2, "Only the teacher spoke for ten minutes."),
        "instruction.2": (5, ""),
    }
    assert [(s.minute, s.learning_activity, s.on_task) for s in observation.snapshots.all()] == [
        (5, True, "most"),
        (15, False, "some"),
    ]
    feedback = observation.feedback
    assert feedback.strengths.startswith("Pairs counted bundles")
    assert feedback.next_steps == ["Ask the back row to show bundles first."]
    assert feedback.language == "mr"  # the school's language, chosen with the teacher
    assert [(a.text, a.due_on) for a in feedback.actions.all()] == [
        ("Seat the back row in pairs", due)
    ]
    followed = FeedbackAction.objects.get(feedback__observation_id=earlier["id"])
    assert (followed.status, followed.follow_up_comment, followed.followed_up_in) == (
        "partly",
        "Done on two days of five.",
        observation,
    )
    assert observation.previous_id == uuid.UUID(earlier["id"])

    # The same PUT again (a retry after a lost answer): 200 "replayed", nothing written.
    version, history = observation.version, Observation.history.count()
    actions_history = FeedbackAction.history.count()
    sent = page.evaluate(
        """async (payload) => {
            const csrf = document.cookie.split("; ").find(c => c.startsWith("csrftoken="));
            const response = await fetch(`/api/v1/sync/observations/${payload.id}`, {
                method: "PUT",
                headers: {"Content-Type": "application/json", "X-Device-Id": "replay",
                          "X-CSRFToken": decodeURIComponent(csrf.split("=")[1])},
                body: JSON.stringify(payload),
            });
            return {status: response.status, body: await response.json()};
        }""",
        payload,
    )
    assert sent["status"] == 200, sent
    assert sent["body"]["result"] == "replayed"
    observation.refresh_from_db()
    assert Observation.objects.count() == 2
    assert observation.version == version
    assert Observation.history.count() == history
    assert FeedbackAction.objects.count() == 2
    assert FeedbackAction.history.count() == actions_history
    assert problems == []


def test_the_form_opens_offline_from_the_cache_and_a_draft_waits_in_the_outbox(
    world, observation_world, ui: Browser, page: Page
) -> None:
    page.set_viewport_size(PHONE_360)
    problems = watch_console(page)
    ui.login("crc_a", "pw-crc_a")
    open_form_ready_for_offline(ui, page)

    page.context.set_offline(True)
    page.reload()  # served by the service worker
    expect(page.locator("#observe-form[data-ready]")).to_be_attached()
    expect(page.get_by_text("Offline: what you save waits on this phone.")).to_be_visible()
    fill_lesson(page)
    score(page, "Culture item 1", 2, "Noise from the next class.")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved on this phone (revision 1).")).to_be_visible()
    expect(page.locator(".js-pending-badge")).to_have_text("1 pending")

    # A second save replaces the unsent revision: still one entry.
    page.get_by_label("Lesson topic").fill("Place value with bundles")
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved on this phone (revision 2).")).to_be_visible()
    expect(page.locator(".js-pending-badge")).to_have_text("1 pending")

    # The outbox page, offline too, lists it as waiting.
    page.get_by_role("link", name="1 pending").click()
    entry = page.locator(".outbox-entry")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("Teacher A1")
    expect(entry).to_contain_text("Waiting to send")
    assert not Observation.objects.exists()

    # Back online (which starts a sync by itself), to a server in trouble: a 503 keeps the
    # entry pending, with the reason and the next try.
    page.route("**/api/v1/sync/observations/**", lambda route: route.fulfill(status=503))
    page.context.set_offline(False)
    page.get_by_role("button", name="Sync now").click()
    expect(entry).to_contain_text("server error 503; it will be tried again")
    expect(entry).to_contain_text("Waiting to send")
    expect(page.locator(".js-pending-badge")).to_have_text("1 pending")
    assert not Observation.objects.exists()
    page.unroute("**/api/v1/sync/observations/**")

    page.get_by_role("button", name="Sync now").click()
    expect(page.locator(".js-pending-badge")).to_have_text("0 pending")
    expect(page.get_by_text("Nothing waiting to be sent.")).to_be_visible()
    observation = Observation.objects.get()
    assert (observation.status, observation.revision, observation.topic) == (
        "draft",
        2,
        "Place value with bundles",
    )
    assert [p for p in problems if "status of 503" not in p] == []


def test_an_incomplete_submit_names_what_is_missing_and_keeps_what_was_typed(
    world, observation_world, ui: Browser, page: Page
) -> None:
    page.set_viewport_size(PHONE_360)
    problems = watch_console(page)
    ui.login("crc_a", "pw-crc_a")
    ui.go("/observation/observe/")
    expect(page.locator("#observe-form[data-ready]")).to_be_attached()
    fill_lesson(page)
    answer_snapshot(page, 5, "Yes", "Most")
    score(page, "Culture item 1", 4, "Children asked each other for help.")
    page.get_by_label("Strengths (what you saw, with evidence)").fill("Clear counting routine.")
    page.get_by_label("Action 1", exact=True).fill("Seat the back row in pairs")
    page.get_by_role("button", name="Submit").click()

    errors = page.get_by_role("alert").filter(has_text="Before submitting")
    expect(errors).to_be_visible()
    for message in (
        "Answer both questions of the snapshot at minute 15.",
        "Give “Culture item 2” a score from 1 to 5.",
        "Give “Instruction item 1” a score from 1 to 5.",
        "Give “Instruction item 2” a score from 1 to 5.",
        "Agree one or two focused next steps.",
        "Give the agreed action “Seat the back row in pairs” a date.",
        "Agree at least one action with a date.",
    ):
        expect(errors).to_contain_text(message)
    assert fits_the_phone(page)
    expect(errors).not_to_contain_text("Culture item 1”")
    expect(errors).not_to_contain_text("Write at least one strength")
    assert page.evaluate("ClusterwiseOutbox.db.outbox.count()") == 0
    expect(page.locator(".js-pending-badge")).to_have_text("0 pending")

    # Everything typed is still there, and after a reload too (autosaved to IndexedDB).
    for _ in range(2):
        expect(page.get_by_label("Lesson topic")).to_have_value("Place value")
        expect(group(page, "Culture item 1").get_by_label("4", exact=True)).to_be_checked()
        expect(page.get_by_label("Evidence for “Culture item 1”")).to_have_value(
            "Children asked each other for help."
        )
        expect(page.get_by_label("Action 1", exact=True)).to_have_value(
            "Seat the back row in pairs"
        )
        page.wait_for_timeout(400)  # the autosave runs 250 ms after the last keystroke
        page.reload()
        expect(page.locator("#observe-form[data-ready]")).to_be_attached()
    expect(page.get_by_text("What you typed earlier was restored.")).to_be_visible()
    assert re.search(r"\d", page.locator(".js-clock").inner_text())
    assert problems == []


def test_the_lesson_timer_prompts_each_snapshot_at_its_minute(
    world, observation_world, ui: Browser, page: Page
) -> None:
    page.set_viewport_size(PHONE_360)
    problems = watch_console(page)
    page.add_init_script(
        "navigator.vibrate = (pattern) => { window.vibrations = (window.vibrations || 0) + 1; return true; };"
    )
    ui.login("crc_a", "pw-crc_a")
    ui.go("/observation/observe/")
    expect(page.locator("#observe-form[data-ready]")).to_be_attached()
    page.clock.install()
    page.get_by_role("button", name="Start").click()
    prompt = page.get_by_role("alert").filter(has_text="time for the snapshot")
    page.clock.fast_forward("04:30")
    expect(prompt).to_be_hidden()
    page.clock.fast_forward("00:40")
    expect(prompt).to_have_text(re.compile("Minute 5: time for the snapshot."))
    assert page.evaluate("window.vibrations") == 1
    prompt.get_by_role("button", name="Go to the snapshot").click()
    answer_snapshot(page, 5, "Yes", "Most")
    expect(prompt).to_be_hidden()

    page.get_by_role("button", name="Pause").click()
    page.clock.fast_forward("20:00")  # paused: the lesson clock stands still
    expect(page.locator(".js-clock")).to_have_text("05:10")
    page.get_by_role("button", name="Resume").click()
    page.clock.fast_forward("10:00")
    expect(prompt).to_have_text(re.compile("Minute 15: time for the snapshot."))
    prompt.get_by_role("button", name="Later").click()
    expect(prompt).to_be_hidden()
    assert problems == []


def test_the_outbox_shows_what_needs_fixing_and_what_the_server_kept(
    world, observation_world, ui: Browser, page: Page
) -> None:
    """422: the entry stays, with the server's messages, and reopens in the form; 409: the
    server kept its record, the entry is no longer pending and can be dismissed."""
    from clusterwise.observation.models import SyncConflict

    page.set_viewport_size(PHONE_360)
    problems = watch_console(page)
    ui.login("crc_a", "pw-crc_a")
    open_form_ready_for_offline(ui, page)
    page.context.set_offline(True)

    # A draft dated more than a year ago: only the server knows that rule.
    fill_lesson(page)
    long_ago = timezone.localdate() - datetime.timedelta(days=400)
    page.get_by_label("Date").fill(long_ago.isoformat())
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved on this phone (revision 1).")).to_be_visible()
    (stale,) = page.evaluate("ClusterwiseOutbox.db.outbox.toArray()")

    # A second observation, whose id the server already holds with other content.
    page.get_by_role("button", name="New observation").click()
    fill_lesson(page)
    page.get_by_label("Lesson topic").fill("Fractions")
    page.get_by_role("button", name="Save draft").click()
    expect(page.locator(".js-pending-badge")).to_have_text("2 pending")
    taken = next(
        row["id"]
        for row in page.evaluate("ClusterwiseOutbox.db.outbox.toArray()")
        if row["id"] != stale["id"]
    )
    observation_sync(payload=observation_world.payload(world, id=taken), by=world.crc)

    page.context.set_offline(False)
    page.get_by_role("link", name="2 pending").click()
    page.get_by_role("button", name="Sync now").click()
    fix = page.locator(f".outbox-entry[data-id='{stale['id']}']")
    expect(fix).to_contain_text("Needs fixing")
    expect(fix).to_contain_text("The date is more than a year ago.")
    conflict = page.locator(f".outbox-entry[data-id='{taken}']")
    expect(conflict).to_contain_text("Conflict")
    expect(conflict).to_contain_text("stored this one for a supervisor")
    expect(page.locator(".js-pending-badge")).to_have_text("1 pending")  # not the conflict
    assert SyncConflict.objects.filter(record_id=taken).count() == 1
    assert Observation.objects.get(pk=taken).topic == "Place value"  # the server's, kept
    assert fits_the_phone(page)
    conflict.get_by_role("button", name="Dismiss").click()
    expect(conflict).to_have_count(0)

    # Reopened in the form, with the server's message; fixed and sent.
    fix.get_by_role("link", name="Open in the form").click()
    expect(page.get_by_role("alert").filter(has_text="The server asked")).to_contain_text(
        "The date is more than a year ago."
    )
    expect(page.get_by_label("Subject")).to_have_value("Mathematics")
    page.get_by_label("Date").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved on this phone (revision 2).")).to_be_visible()
    expect(page.locator(".js-pending-badge")).to_have_text("0 pending")
    fixed = Observation.objects.get(pk=stale["id"])
    assert (fixed.status, fixed.revision, fixed.observed_on) == (
        "draft",
        2,
        timezone.localdate(),
    )
    # The browser logs the 422 and 409 answers; nothing else went wrong.
    assert [p for p in problems if not re.search(r"status of (409|422)", p)] == []


def test_logging_out_forgets_the_cached_observation_pages(
    world, observation_world, ui: Browser, page: Page
) -> None:
    ui.login("crc_a", "pw-crc_a")
    open_form_ready_for_offline(ui, page)
    ui.go("/observation/plan/")  # a second page under the worker: it is cached as visited
    expect(page.locator("h1")).to_contain_text("Visit plan")
    page.wait_for_function("caches.has('observation-pages')")
    ui.logout()
    # A shared phone: the next user, offline, must not find the previous user's pages.
    page.wait_for_function("caches.has('observation-pages').then(has => !has)")
    assert page.evaluate("caches.has('observation-pages')") is False
