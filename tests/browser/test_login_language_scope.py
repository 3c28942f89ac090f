"""What a person does first in a real browser: log in, pick a language, see their own area.

The headline test follows the issue: the demo CRC logs in, switches to Marathi with the
footer picker, and sees exactly the schools of their own cluster and none of the other
cluster's, whose pages answer 404.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Browser as PlaywrightBrowser
from playwright.sync_api import Page, expect

from clusterwise.core.models import Job
from clusterwise.core.scope import prefix_q
from clusterwise.org.models import Assignment, OrgUnit, Role

from .conftest import DEMO_PASSWORD, PHONE, Browser

pytestmark = pytest.mark.browser


def cluster_of(username: str) -> OrgUnit:
    return Assignment.objects.active().get(person__user__username=username, role=Role.CRC).org_unit


def parent_path(unit: OrgUnit) -> str:
    return unit.path[: -OrgUnit.steplen]


def school_codes_in(unit: OrgUnit) -> set[str]:
    schools = OrgUnit.objects.filter(prefix_q("path", unit.path), level=settings.ORG_SCHOOL_LEVEL)
    return set(schools.values_list("code", flat=True))


def listed_school_codes(page: Page) -> set[str]:
    return set(page.locator("#rows tbody tr td:nth-child(2)").all_inner_texts())


def test_a_crc_in_marathi_sees_only_the_schools_of_their_cluster(
    demo: None, ui: Browser, page: Page
) -> None:
    own, other = cluster_of("crc"), cluster_of("crc.b")
    own_codes, other_codes = school_codes_in(own), school_codes_in(other)
    assert own != other and parent_path(own) == parent_path(other)  # the same block
    assert own_codes and other_codes

    ui.login("crc", DEMO_PASSWORD)
    expect(page.locator("html")).to_have_attribute("lang", "en")
    with page.expect_navigation():
        page.locator("footer select[name=language]").select_option("mr")
    expect(page.locator("html")).to_have_attribute("lang", "mr")
    expect(page.locator("footer select[name=language]")).to_have_value("mr")

    page.locator("nav a[href='/org/schools/']").click()
    expect(page).to_have_url(re.compile(r"/org/schools/$"))
    expect(page.locator("html")).to_have_attribute("lang", "mr")
    expect(page.locator("#rows tbody tr")).to_have_count(len(own_codes))
    listed = listed_school_codes(page)
    assert listed == own_codes
    assert not listed & other_codes

    foreign = OrgUnit.objects.get(code=sorted(other_codes)[0])
    response = ui.go(f"/org/units/{foreign.pk}/")
    assert response.status == 404
    assert foreign.name not in page.content()
    own_school = OrgUnit.objects.get(code=sorted(own_codes)[0])
    response = ui.go(f"/org/units/{own_school.pk}/")
    assert response.status == 200
    expect(page.locator("h1")).to_contain_text(own_school.name)


def test_the_language_picker_works_without_javascript(
    world: Any, live_server: Any, browser: PlaywrightBrowser
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        ui = Browser(page, live_server.url)
        ui.login("crc_a", "pw-crc_a")
        page.locator("footer select[name=language]").select_option("mr")
        expect(page.locator("html")).to_have_attribute("lang", "en")  # nothing submitted yet
        page.locator("footer button[type=submit]").click()
        expect(page.locator("html")).to_have_attribute("lang", "mr")
        expect(page).to_have_url(re.compile(r"/$"))
    finally:
        context.close()


def test_a_wrong_password_shows_an_error_and_keeps_the_username(
    world: Any, ui: Browser, page: Page
) -> None:
    ui.go("/login/")
    page.get_by_label("Username or phone").fill("crc_a")
    page.get_by_label("Password").fill("not-the-password")
    page.locator("main").get_by_role("button", name="Log in").click()

    expect(page.get_by_role("alert")).to_contain_text("Wrong username/phone or password")
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_label("Username or phone")).to_have_value("crc_a")
    expect(page.get_by_label("Password")).to_have_value("")
    expect(page.locator("nav a[href='/org/schools/']")).to_have_count(0)


def test_logging_out_ends_the_session(world: Any, ui: Browser, page: Page) -> None:
    ui.login("crc_a", "pw-crc_a")
    expect(page.locator("nav")).to_contain_text("crc_a")

    ui.logout()
    expect(page.get_by_label("Username or phone")).to_be_visible()
    ui.go("/org/schools/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/org/schools/$"))


def test_the_phone_menu_collapses_and_opens_with_the_keyboard(
    world: Any, ui: Browser, page: Page
) -> None:
    page.set_viewport_size(PHONE)
    ui.login("crc_a", "pw-crc_a")
    toggler = page.locator("nav .navbar-toggler")
    schools = page.locator("#nav a[href='/org/schools/']")
    expect(toggler).to_be_visible()
    expect(toggler).to_have_attribute("aria-expanded", "false")
    expect(schools).to_be_hidden()

    page.locator("body").focus()
    for _ in range(6):  # skip link, brand, then the toggler
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('navbar-toggler')"):
            break
    expect(toggler).to_be_focused()
    page.keyboard.press("Enter")
    expect(toggler).to_have_attribute("aria-expanded", "true")
    expect(schools).to_be_visible()

    # The open menu is next in the tab order and its links follow with Enter.
    for _ in range(6):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.getAttribute('href')") == "/org/schools/":
            break
    expect(schools).to_be_focused()
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/org/schools/$"))
    expect(page.locator("#nav")).to_be_hidden()


BAD_ORG_FILE = b"""code,name,level,parent_code,management,area,tribal_area,languages,latitude,longitude
CC,Chas Kendra,cluster,B1,,,,,,
CC01,ZP School Chas,school,CC,local_body,rural,no,mr,18.85,73.95
CC02,ZP School Kadus,village,NOPE,,,,,,
"""

GOOD_ORG_FILE = b"""code,name,level,parent_code,management,area,tribal_area,languages,latitude,longitude
CC,Chas Kendra,cluster,B1,,,,,,
CC01,ZP School Chas,school,CC,local_body,rural,no,mr,18.85,73.95
"""


def upload(page: Page, name: str, content: bytes) -> None:
    page.get_by_label("What the file holds").select_option("import_org")
    page.locator("input[type=file][name=file]").set_input_files(
        {"name": name, "mimeType": "text/csv", "buffer": content}
    )
    page.get_by_role("button", name="Check the file").click()


def test_a_state_admin_sees_the_problems_of_a_bad_file_then_applies_a_good_one(
    world: Any, ui: Browser, page: Page
) -> None:
    ui.login("state_officer", "pw-state_officer")
    units_before = OrgUnit.objects.count()
    page.locator("nav a[href='/org/import/']").click()

    upload(page, "bad-units.csv", BAD_ORG_FILE)
    expect(page.get_by_role("alert")).to_contain_text("Nothing was imported")
    rows = page.locator("table tbody tr")
    expect(rows).to_have_count(2)  # level and parent_code of row 4
    cells = [row.locator("td").all_inner_texts() for row in rows.all()]
    assert [c[:2] for c in cells] == [["4", "level"], ["4", "parent_code"]]
    assert "'village' is not a level" in cells[0][2]
    assert "unknown parent 'NOPE'" in cells[1][2]
    expect(page.get_by_role("button", name="Apply these changes")).to_have_count(0)
    assert OrgUnit.objects.count() == units_before

    page.get_by_role("link", name="Back to imports").click()
    upload(page, "good-units.csv", GOOD_ORG_FILE)
    expect(page.locator("h1")).to_have_text("good-units.csv")
    expect(page.locator("main")).to_contain_text("create: 2")
    expect(page.locator("table tbody tr")).to_have_count(2)
    assert not OrgUnit.objects.filter(code__in=["CC", "CC01"]).exists()  # a preview only

    page.get_by_role("button", name="Apply these changes").click()
    expect(page.get_by_role("status").filter(has_text="Imported.")).to_contain_text("create: 2")
    cluster = OrgUnit.objects.get(code="CC")
    school = OrgUnit.objects.get(code="CC01")
    assert parent_path(cluster) == world.block.path
    assert parent_path(school) == cluster.path
    assert school.school.management == "local_body"
    assert Job.objects.get(original_name="good-units.csv").status == Job.Status.DONE
