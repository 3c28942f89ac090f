"""Browser tests: Playwright for Python driving Debian's chromium against a live server.

Every test module here carries `pytestmark = pytest.mark.browser`; tests use a live Django server (pytest-django's
`live_server`, which brings `transactional_db`) and a fresh browser context from
pytest-playwright. `demo` loads the small demo state (logins with password `demo`);
the shared `world` fixture of the root conftest works too (password `pw-<username>`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from playwright.sync_api import Page, expect

CHROMIUM = Path("/usr/bin/chromium")
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
DEMO_PASSWORD = "demo"  # the documented password of every demo login
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 800}


@pytest.fixture(scope="session", autouse=True)
def _allow_orm_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an asyncio loop running in the test thread, and Django
    refuses ORM calls when it sees one. Allowed here only, from the first browser test on;
    it stays set while the browser is up (it closes at the end of the session)."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """Debian's chromium, headless; `playwright install` cannot download browsers here."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: the browser tests need Debian's chromium. "
            "Install it with `apt-get install -y --no-install-recommends chromium` "
            "(or run `make check-system`).",
            pytrace=False,
        )
    return {
        **browser_type_launch_args,
        "executable_path": str(CHROMIUM),
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    return {**browser_context_args, "viewport": DESKTOP, "locale": "en-GB"}


@pytest.fixture(autouse=True)
def _short_timeouts(page: Page) -> None:
    """A page that does not answer in a few seconds is a failure, not a slow test (the
    margin is for a busy two-core machine)."""
    page.set_default_timeout(10_000)
    page.set_default_navigation_timeout(15_000)
    expect.set_options(timeout=10_000)


@pytest.fixture
def demo(transactional_db: None) -> None:
    """The small demo state in the live server's database (logins with password `demo`)."""
    call_command("demo", "--scale", "small", verbosity=0)


class Browser:
    """Small steps the tests share: log in, log out, go to a path."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url

    def go(self, path: str) -> Any:
        return self.page.goto(self.base_url + path)

    def login(self, username: str, password: str) -> None:
        page = self.page
        self.go("/login/")
        page.get_by_label("Username or phone").fill(username)
        page.get_by_label("Password").fill(password)
        page.locator("main").get_by_role("button", name="Log in").click()
        expect(page).to_have_url(re.compile(r"/$"))

    def logout(self) -> None:
        toggler = self.page.get_by_role("button", name="Show menu")
        if toggler.is_visible():  # a phone-width page folds the menu away
            toggler.click()
        self.page.locator("nav form[action='/logout/'] button").click()
        expect(self.page).to_have_url(re.compile(r"/login/$"))


@pytest.fixture
def ui(page: Page, live_server: Any) -> Browser:
    return Browser(page, live_server.url)
