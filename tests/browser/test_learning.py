"""Learning data in a real browser: a data officer's upload with a bad row set aside and
its problem report downloaded; then the gap analysis with its map of schools."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from clusterwise.learning.services import round_load
from clusterwise.learning.tests.conftest import round_data
from clusterwise.org.models import School

from .conftest import PHONE, Browser

pytestmark = pytest.mark.browser


def _csv() -> bytes:
    lines = ["school_code;grade;section;student_id;gender;subject;competency;score;level"]
    for school, n, score in (("A1", 14, 9), ("A2", 12, 4), ("B1S", 16, 6)):
        for i in range(n):
            gender = "F" if i % 2 else "M"
            lines.append(f"{school};3;A;{school}-{i};{gender};mathematics;place-value;{score};")
    lines.append("A1;3;A;A1-x;F;mathematics;place-value;14;")  # above the maximum of 10
    return ("\ufeff" + "\n".join(lines) + "\n").encode()


def test_an_upload_sets_a_bad_row_aside_and_the_gaps_show_on_a_map(
    world: Any, ui: Browser, page: Page
) -> None:
    round_load(data=round_data(), by=None)
    School.objects.filter(org_unit__code="A1").update(latitude=18.75, longitude=73.86)
    School.objects.filter(org_unit__code="A2").update(latitude=18.70, longitude=73.90)
    School.objects.filter(org_unit__code="B1S").update(latitude=18.86, longitude=73.88)
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))

    ui.login("state_officer", "pw-state_officer")
    ui.go("/learning/")
    page.get_by_role("link", name="Baseline").click()
    page.get_by_role("link", name="Import results").click()
    page.get_by_label("Results file (.csv or .xlsx)").set_input_files(
        {"name": "baseline-khed.csv", "mimeType": "text/csv", "buffer": _csv()}
    )
    page.get_by_label("Import the good rows, set the bad ones aside").check()
    page.get_by_role("button", name="Import").click()

    status = page.get_by_role("status")
    expect(status).to_contain_text("42 rows imported; 1 rows set aside with 1 problems.")
    expect(page.get_by_role("table")).to_contain_text("The score must lie from 0 to 10.")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the problem report (CSV)").click()
    report = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert report[1] == "44,score,14,The score must lie from 0 to 10."

    # The gap analysis of the block, on a phone: the table and the map of its schools.
    page.set_viewport_size(PHONE)
    ui.go(f"/learning/rounds/baseline/gaps/{world.block.pk}/")
    page.get_by_label("Grade").select_option("3")
    page.get_by_label("Subject").select_option("mathematics")
    page.get_by_role("button", name="Show", exact=True).click()
    expect(page).to_have_url(re.compile(r"grade=3&subject=mathematics"))
    table = page.get_by_role("table").first
    expect(table).to_contain_text("Place value")
    expect(table.get_by_role("row", name=re.compile("Place value"))).to_contain_text("42")
    markers = page.locator("#learning-map path.leaflet-interactive")
    expect(markers).to_have_count(3)
    # Each school's share of children at or above 7.5 of 10: A1 all, A2 none, B1S none.
    fills = sorted(markers.evaluate_all("els => els.map(e => e.getAttribute('fill'))"))
    assert fills == ["#1a9641", "#d7191c", "#d7191c"]
    markers.first.hover()
    expect(page.locator(".leaflet-tooltip")).to_contain_text("proficient")
    assert problems == []
