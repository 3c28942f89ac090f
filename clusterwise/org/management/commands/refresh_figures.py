from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand

from clusterwise.org.figures import figures_refresh


class Command(BaseCommand):
    help = (
        "Recompute the ready-made home-page figures of the state and districts. Run it each "
        "night (cron or a systemd timer), since posts start and end on dates."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        saved = figures_refresh()
        self.stdout.write(
            f"Recomputed {saved} figure sets in {time.perf_counter() - started:.1f} s."
        )
