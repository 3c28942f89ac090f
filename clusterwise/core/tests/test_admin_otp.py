"""The Django admin asks superusers for a TOTP code when OTP is on."""

from __future__ import annotations

import importlib
import io
from urllib.parse import urlparse

import pytest
from django.core.management import call_command
from django.urls import clear_url_caches
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice


@pytest.fixture
def otp_admin(settings):
    settings.ADMIN_REQUIRES_OTP = True
    import config.urls

    importlib.reload(config.urls)
    clear_url_caches()
    yield
    settings.ADMIN_REQUIRES_OTP = False
    from django.contrib import admin
    from django.contrib.admin.sites import AdminSite

    admin.site.__class__ = AdminSite
    for name in ("login_form", "login_template"):
        admin.site.__dict__.pop(name, None)
    importlib.reload(config.urls)
    clear_url_caches()


def test_an_admin_without_the_code_is_not_let_in(otp_admin, django_user_model, client) -> None:
    django_user_model.objects.create_superuser("root", password="pw-root-123")
    call_command("otp_enroll", "root", stdout=io.StringIO())
    response = client.post(
        "/admin/login/?next=/admin/", {"username": "root", "password": "pw-root-123"}
    )
    assert response.status_code == 200  # the form again, asking for the token
    assert client.get("/admin/").status_code == 302


def test_an_admin_with_the_code_is_let_in(otp_admin, django_user_model, client) -> None:
    django_user_model.objects.create_superuser("root", password="pw-root-123")
    out = io.StringIO()
    call_command("otp_enroll", "root", stdout=out)
    assert urlparse(out.getvalue().strip()).scheme == "otpauth"
    device = TOTPDevice.objects.get(user__username="root")
    token = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    response = client.post(
        "/admin/login/?next=/admin/",
        {
            "username": "root",
            "password": "pw-root-123",
            "otp_device": device.persistent_id,
            "otp_token": f"{token:06d}",
        },
    )
    assert response.status_code == 302, response.content[:500]
    assert client.get("/admin/").status_code == 200
