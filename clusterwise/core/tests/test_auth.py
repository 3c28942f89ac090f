"""Logging in safely: username or phone, lockout, CSRF, headers, sessions."""

from __future__ import annotations

import json

from django.conf import settings
from django.test import Client

from clusterwise.org.models import Person


def login(client: Client, username: str, password: str):
    return client.post("/login/", {"username": username, "password": password})


def test_a_user_logs_in_with_username(world, client) -> None:
    response = login(client, "crc_a", "pw-crc_a")
    assert response.status_code == 302 and response["Location"] == "/"


def test_a_user_logs_in_with_their_phone(world, client) -> None:
    Person.objects.filter(user=world.crc).update(phone="+919822012345")
    response = login(client, "+91 98220 12345", "pw-crc_a")
    assert response.status_code == 302


def test_a_wrong_password_says_so_and_keeps_the_username(world, client) -> None:
    response = login(client, "crc_a", "nope")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Wrong username/phone or password" in html and 'value="crc_a"' in html


def test_repeated_failures_lock_the_account_even_with_the_right_password(world, client) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "crc_a", "nope")
    response = login(client, "crc_a", "pw-crc_a")
    assert response.status_code == 429
    assert b"Too many failed log-in attempts" in response.content
    # Another account from the same address still works.
    assert login(Client(), "crc_b", "pw-crc_b").status_code == 302


def test_the_api_token_endpoint_shares_the_lockout(world, client) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "crc_a", "nope")
    response = client.post(
        "/api/v1/auth/token",
        json.dumps({"username": "crc_a", "password": "pw-crc_a"}),
        content_type="application/json",
    )
    assert response.status_code == 403


def test_forms_need_a_csrf_token(world) -> None:
    client = Client(enforce_csrf_checks=True)
    assert login(client, "crc_a", "pw-crc_a").status_code == 403


def test_pages_carry_security_headers_and_a_csp(world, client) -> None:
    response = client.get("/login/")
    csp = response["Content-Security-Policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"


def test_sessions_expire(world, client) -> None:
    login(client, "crc_a", "pw-crc_a")
    assert settings.SESSION_COOKIE_AGE <= 12 * 3600
    assert client.session.get_expire_at_browser_close()
    assert client.cookies[settings.SESSION_COOKIE_NAME]["httponly"]


def test_logout_needs_post_and_ends_the_session(world, client) -> None:
    login(client, "crc_a", "pw-crc_a")
    client.post("/logout/")
    assert client.get("/").status_code == 302


def test_the_language_switcher_changes_the_page_language(world, client) -> None:
    login(client, "crc_a", "pw-crc_a")
    client.post("/i18n/setlang/", {"language": "mr", "next": "/"})
    assert b'<html lang="mr">' in client.get("/").content


def test_a_missing_page_keeps_the_shell_and_the_language_picker(world) -> None:
    response = world.client(world.crc).get(f"/org/units/{world.school_b1.pk}/")
    assert response.status_code == 404
    assert b'name="language"' in response.content and b"outside your area" in response.content


def test_only_the_most_specific_menu_entry_is_current(world) -> None:
    html = world.client(world.state_officer).get("/org/people/").content.decode()
    assert html.count('aria-current="page"') == 1
    assert 'aria-current="page" href="/org/people/"' in html
