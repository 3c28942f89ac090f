"""Screenshots of the main screens at phone and desktop widths, for docs/screenshots/.

Each test logs in once as one persona of the demo and saves `<screen>-phone.png` and
`<screen>-desktop.png` for every screen that persona shows best. The names stay the same
from run to run so the user guide can link them. The committed pictures come from the
default SQLite database; on another database (CI's PostgreSQL run) rows with equal names
may come in another order, so the pictures go to a temporary folder instead.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from playwright.sync_api import Page, expect

from clusterwise.org.models import Assignment, OrgUnit, Role

from .conftest import DEMO_PASSWORD, DESKTOP, PHONE, SCREENSHOTS, Browser

pytestmark = pytest.mark.browser

SIZES = {"phone": PHONE, "desktop": DESKTOP}

BAD_PEOPLE_FILE = b"""name,phone,email,role,org_code,start_date
Sunita Pawar,9822000001,sunita@example.org,teacher,MH01B01C01S01,2024-06-15
Rahul Jadhav,98220,rahul@example,teacher,MH01B01C01S01,2024-06-15
,9822000003,,crc,MH01B01C01,15/06/2024
Meena Shinde,9822000004,,principal,NOPE,2024-13-01
"""


@pytest.fixture(autouse=True)
def _a_fixed_day() -> Iterator[None]:
    """The demo dates its posts back from today; a fixed day keeps the pictures the same
    from run to run, so they change in git only when the screens do."""
    day = datetime.datetime(2025, 6, 16, 10, 0, tzinfo=ZoneInfo("Asia/Kolkata"))
    with time_machine.travel(day, tick=True):
        yield


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    return SCREENSHOTS if connection.vendor == "sqlite" else tmp_path


def shoot(page: Page, shots: Path, name: str) -> None:
    """Save the page as it is at each width; the page is reloaded at each size so that
    anything laid out by script starts from that width."""
    shots.mkdir(parents=True, exist_ok=True)
    for size_name, size in SIZES.items():
        page.set_viewport_size(size)
        page.reload()
        expect(page.locator("main")).to_be_visible()
        page.screenshot(
            path=shots / f"{name}-{size_name}.png",
            full_page=True,
            animations="disabled",
            caret="hide",
        )


def test_screenshots_of_the_login_page(demo: None, ui: Browser, page: Page, shots: Path) -> None:
    ui.go("/login/")
    shoot(page, shots, "login")


def test_screenshots_of_what_a_crc_sees(demo: None, ui: Browser, page: Page, shots: Path) -> None:
    ui.login("crc", DEMO_PASSWORD)
    shoot(page, shots, "home-crc")
    cluster = Assignment.objects.active().get(person__user__username="crc", role=Role.CRC)
    ui.go(f"/org/units/{cluster.org_unit_id}/")
    shoot(page, shots, "org-unit")
    ui.go("/org/schools/")
    expect(page.locator("#rows tbody tr").first).to_be_visible()
    shoot(page, shots, "schools")


def test_screenshots_of_what_a_district_officer_sees(
    demo: None, ui: Browser, page: Page, shots: Path
) -> None:
    ui.login("district", DEMO_PASSWORD)
    shoot(page, shots, "home-district")
    ui.go("/org/people/")
    shoot(page, shots, "people")
    head = Assignment.objects.active().get(person__user__username="head")
    ui.go(f"/org/people/{head.person_id}/")
    expect(page.locator("h1")).to_contain_text(head.person.name)
    shoot(page, shots, "person")


def test_screenshots_of_what_a_state_admin_sees(
    demo: None, ui: Browser, page: Page, shots: Path
) -> None:
    ui.login("state", DEMO_PASSWORD)
    shoot(page, shots, "home-state")
    assert OrgUnit.objects.filter(code="MH01B01C01S01").exists()  # the file refers to it
    ui.go("/org/import/")
    page.get_by_label("What the file holds").select_option("import_people")
    page.locator("input[type=file][name=file]").set_input_files(
        {"name": "people-june.csv", "mimeType": "text/csv", "buffer": BAD_PEOPLE_FILE}
    )
    page.get_by_role("button", name="Check the file").click()
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported")
    shoot(page, shots, "import-errors")


def test_screenshots_of_the_programme(demo: None, ui: Browser, page: Page, shots: Path) -> None:
    from clusterwise.programme.models import Cohort, CohortMember, Submission

    pilot = Cohort.objects.get(kind="pilot")
    ui.login("state", DEMO_PASSWORD)
    ui.go(f"/programme/{pilot.pk}/")
    expect(page.get_by_text("Field component").first).to_be_visible()
    shoot(page, shots, "cohort-overview")
    ui.go(f"/skills/cohorts/{pilot.pk}/matrix/?round=endline")
    shoot(page, shots, "skill-matrix")
    ui.go(f"/skills/cohorts/{pilot.pk}/growth/?before=baseline&after=endline")
    expect(page.get_by_text("moved up at least one level").first).to_be_visible()
    shoot(page, shots, "growth-report")
    ui.logout()

    ui.login("coach", DEMO_PASSWORD)
    waiting = (
        Submission.objects.filter(
            member__cohort=pilot,
            status="submitted",
            member__supported_by__person__user__username="coach",
        )
        .order_by("submitted_at")
        .first()
    )
    if waiting is not None:
        ui.go(f"/programme/submissions/{waiting.pk}/")
        shoot(page, shots, "submission-review")
    workshop = pilot.workshops.order_by("starts_at").first()
    ui.go(f"/programme/workshops/{workshop.pk}/")
    shoot(page, shots, "attendance-sheet")
    ui.logout()

    ui.login("crc", DEMO_PASSWORD)
    crc = CohortMember.objects.get(cohort=pilot, person__user__username="crc")
    ui.go(f"/programme/members/{crc.pk}/")
    shoot(page, shots, "crc-programme-page")


def test_screenshots_of_classroom_observation(
    demo: None, ui: Browser, page: Page, shots: Path
) -> None:
    from clusterwise.observation.models import Observation

    ui.login("crc", DEMO_PASSWORD)
    ui.go("/observation/plan/")
    expect(page.locator("h1")).to_contain_text("Visit plan")
    shoot(page, shots, "observation-plan")
    ui.go("/observation/caseload/")
    shoot(page, shots, "observation-caseload")
    ui.go("/observation/observe/")
    expect(page.locator("main form").first).to_be_visible()
    shoot(page, shots, "observation-form")
    ui.logout()

    ui.login("teacher", DEMO_PASSWORD)
    newest = (
        Observation.objects.filter(teacher__user__username="teacher", status="submitted")
        .order_by("-observed_on")
        .first()
    )
    assert newest is not None
    ui.go(f"/observation/records/{newest.pk}/")
    expect(page.get_by_role("button", name="I have read this feedback")).to_be_visible()
    shoot(page, shots, "observation-feedback")
