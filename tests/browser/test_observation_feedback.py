"""A teacher reads the feedback on their observed lesson in a real browser, on a phone,
confirms they have read it and replies; the observer then sees both."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from clusterwise.observation.models import Feedback
from clusterwise.observation.services import observation_sync

from .conftest import PHONE, Browser

pytestmark = pytest.mark.browser


def test_the_teacher_sees_and_acknowledges_the_feedback(
    world, observation_world, ui: Browser, page: Page
) -> None:
    page.set_viewport_size(PHONE)
    refused: list[str] = []
    page.on(
        "console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None
    )
    observation_sync(payload=observation_world.payload(world), by=world.crc)

    ui.login("teacher_a1", "pw-teacher_a1")
    expect(page.get_by_role("link", name="1 new feedback on your lessons")).to_be_visible()
    page.get_by_role("link", name="1 new feedback on your lessons").click()
    page.get_by_role("link", name=re.compile("Crc A")).click()
    expect(page.get_by_text("Pairs counted bundles of ten sticks")).to_be_visible()
    expect(page.get_by_text("Seat the back row in pairs with stronger counters")).to_be_visible()
    expect(page.get_by_text("Automatic indicators")).to_have_count(0)

    page.get_by_role("button", name="I have read this feedback").click()
    expect(page.get_by_text("the observer can see that you have read it")).to_be_visible()
    page.get_by_label("Your reply").fill("Thank you. I will seat them in pairs from Monday.")
    page.get_by_role("button", name="Send a reply").click()
    expect(page.get_by_text("Your reply is sent.")).to_be_visible()

    feedback = Feedback.objects.get()
    assert feedback.acknowledged_at is not None
    assert feedback.reply == "Thank you. I will seat them in pairs from Monday."
    ui.logout()

    # The observer sees that it was read, and the reply.
    ui.login("crc_a", "pw-crc_a")
    ui.go(f"/observation/records/{feedback.observation_id}/")
    expect(page.get_by_text(re.compile("Read on"))).to_be_visible()
    expect(page.get_by_text("I will seat them in pairs from Monday.")).to_be_visible()
    assert refused == []  # the strict CSP refused nothing the pages tried
