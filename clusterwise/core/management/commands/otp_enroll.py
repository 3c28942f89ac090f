from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django_otp.plugins.otp_totp.models import TOTPDevice

from clusterwise.org.models import User


class Command(BaseCommand):
    help = (
        "Register a TOTP authenticator for an admin and print the otpauth:// link to add to "
        "the app. The Django admin asks for its 6-digit code when CLUSTERWISE_ADMIN_OTP is on."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument("--name", default="authenticator", help="a name for the device")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user called {options['username']!r}.")
        if not user.is_staff:
            raise CommandError(f"{user.username} is not an admin (is_staff is off).")
        device = TOTPDevice.objects.create(user=user, name=options["name"], confirmed=True)
        self.stdout.write(device.config_url)
