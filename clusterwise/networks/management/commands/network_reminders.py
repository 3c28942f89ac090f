"""Reminders before network meetings and flags on overdue commitments, in the app and by
message. Run it from cron (hourly, so a reminder is never late by more than an hour)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from clusterwise.networks.services.notifications import (
    meeting_reminders_send,
    overdue_actions_flag,
)


class Command(BaseCommand):
    help = (
        "Remind members of network meetings starting within NETWORK_REMINDER_HOURS and flag "
        "overdue commitments to their owners and facilitators, each once; messages go "
        "through CLUSTERWISE_MESSAGE_BACKEND. Safe to run as often as you like (hourly or "
        "daily from cron)."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--meetings-only", action="store_true", help="Only remind of meetings soon."
        )
        parser.add_argument(
            "--overdue-only", action="store_true", help="Only flag overdue commitments."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["overdue_only"]:
            reminded = meeting_reminders_send()
            self.stdout.write(
                f"Meeting reminders: {reminded} people reminded of meetings in the next "
                f"{settings.NETWORK_REMINDER_HOURS} hours."
            )
        if not options["meetings_only"]:
            flagged = overdue_actions_flag()
            self.stdout.write(f"Overdue commitments: {flagged} people told.")
