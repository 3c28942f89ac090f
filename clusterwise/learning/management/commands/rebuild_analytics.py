"""Rebuild the analytics tables of one round, or of every round, from the raw results."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clusterwise.learning import analytics
from clusterwise.learning.models import Round


class Command(BaseCommand):
    help = "Rebuild the analytics tables (per org unit × grade × competency × gender)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--round", help="the round's key (default: every round)")

    def handle(self, *args: Any, **options: Any) -> None:
        rounds = Round.objects.all()
        if options["round"]:
            rounds = rounds.filter(key=options["round"])
            if not rounds:
                raise CommandError(f"No round has the key {options['round']!r}.")
        for round_ in rounds:
            began = time.perf_counter()
            analytics.rebuild(
                round_,
                progress=lambda step, key=round_.key: self.stderr.write(f"{key}: {step} done"),
            )
            self.stdout.write(f"{round_.key}: rebuilt in {time.perf_counter() - began:.1f} s")
