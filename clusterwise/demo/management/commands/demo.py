from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clusterwise.demo.generator import DEMO_USERNAMES, SCALES, generate


class Command(BaseCommand):
    help = "Fill an empty database with a synthetic state (demo logins, password 'demo')."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--scale", choices=sorted(SCALES), default="small")
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing (and succeed) if data exists"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        from tqdm import tqdm

        from clusterwise.org.models import OrgUnit

        if OrgUnit.objects.exists():
            if options["if_empty"]:
                self.stdout.write("The database already has data; demo not loaded.")
                return
            raise CommandError("The database already has an org tree; the demo needs an empty one.")
        bars: dict[str, tqdm] = {}
        quiet = options["verbosity"] == 0

        def progress(stage: str, done: int, total: int) -> None:
            bar = bars.get(stage)
            if bar is None:
                bar = bars[stage] = tqdm(
                    total=total, desc=f"{stage:>12}", unit="row", disable=quiet
                )
            bar.n = done
            bar.refresh()
            if done >= total:
                bar.close()

        started = time.perf_counter()
        try:
            counts = generate(options["scale"], options["seed"], progress)
        except ValueError as exc:
            raise CommandError(str(exc)) from None
        finally:
            for bar in bars.values():
                bar.close()
        seconds = time.perf_counter() - started
        summary = ", ".join(f"{n:,} {k}" for k, n in counts.items())
        self.stdout.write(
            self.style.SUCCESS(f"Demo state ({options['scale']}) in {seconds:.1f} s: {summary}.")
        )
        self.stdout.write("Logins (password 'demo'): " + ", ".join(DEMO_USERNAMES))
