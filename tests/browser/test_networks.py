"""Networks in a real browser: a headteacher records a commitment at a meeting, witnessed by
those present, and finds it on the agenda of the network's next meeting."""

from __future__ import annotations

import datetime
import re

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from clusterwise.networks.models import Action, Meeting, Network
from clusterwise.networks.services import meetings as svc
from clusterwise.networks.services.networks import network_create

from .conftest import PHONE, Browser

pytestmark = pytest.mark.browser


def test_head_records_a_commitment_and_sees_it_on_the_next_agenda(
    world, ui: Browser, page: Page
) -> None:
    page.set_viewport_size(PHONE)
    cop = network_create(
        name="Khed heads' CoP",
        kind=Network.Kind.COP,
        org_unit=world.block,
        facilitator=world.person(world.coach),
        schools=[world.school_a1, world.school_a2],
        started_on=datetime.date(2026, 1, 1),
        by=None,
    )
    now = timezone.now()
    today = svc.meeting_schedule(
        network=cop,
        title="This month's meeting",
        template=Meeting.Template.SCHOOL_IMPROVEMENT,
        starts_at=now - datetime.timedelta(hours=1),
        mode=Meeting.Mode.IN_PERSON,
        venue=world.school_a1,
        by=None,
    )
    svc.meeting_schedule(
        network=cop,
        title="Next month's meeting",
        template=Meeting.Template.DATA_REVIEW,
        starts_at=now + datetime.timedelta(days=30),
        mode=Meeting.Mode.WHATSAPP,
        whatsapp_group="Khed heads",
        by=None,
    )

    ui.login("head_a1", "pw-head_a1")
    page.get_by_role("button", name="Show menu").click()
    page.locator("nav").get_by_role("link", name="Networks").click()
    page.get_by_role("link", name="Khed heads' CoP").click()
    page.get_by_role("link", name="Meetings").click()
    page.get_by_role("link", name=re.compile("This month's meeting")).click()

    # Who is here: the head and the coach.
    page.get_by_label("Head A1 present").check()
    page.get_by_label("Coach present").check()
    page.get_by_role("button", name="Save attendance").click()
    expect(page.get_by_text("Attendance saved.")).to_be_visible()

    # A commitment with a missing due date keeps what was typed; then it is recorded.
    page.get_by_label("We commit to").fill("Reading corner in every grade 1-3 class")
    page.get_by_label("Owner").select_option(label="Head A1")
    page.get_by_label("How we will know it is done").fill("Corners seen in 6 classes")
    page.get_by_role("button", name="Record the commitment").click()
    expect(page.get_by_label("We commit to")).to_have_value(
        "Reading corner in every grade 1-3 class"
    )
    page.locator("#id_c-due_on").fill(
        (timezone.localdate() + datetime.timedelta(days=21)).isoformat()
    )
    page.get_by_role("button", name="Record the commitment").click()
    expect(page.get_by_text("Commitment recorded")).to_be_visible()
    made = page.get_by_role("region", name="Commitments made at this meeting")
    expect(made.get_by_text("witnessed by Coach")).to_be_visible()

    action = Action.objects.get()
    assert action.made_in == today
    assert list(action.witnesses.values_list("person__name", flat=True)) == ["Coach"]

    # The next meeting's agenda has it to review, right after the check-in.
    page.get_by_role("link", name="Meetings").click()
    page.get_by_role("link", name=re.compile("Next month's meeting")).click()
    agenda = page.get_by_role("region", name="Agenda")
    expect(agenda.get_by_role("listitem").nth(1)).to_contain_text(
        "Review: Reading corner in every grade 1-3 class (Head A1"
    )
