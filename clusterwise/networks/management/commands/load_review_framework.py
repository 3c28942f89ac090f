"""Load a school-review framework from its JSON form; loading the same file again changes
nothing."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clusterwise.networks.services.reviews import review_framework_load

DEFAULT = Path(__file__).resolve().parents[2] / "frameworks" / "school_review.json"


class Command(BaseCommand):
    help = (
        "Load a peer-review framework (JSON) as a new version, unless that content is loaded "
        "already; default: the school-review framework shipped with Clusterwise."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", default=str(DEFAULT))

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{options['file']}: {exc}") from exc
        try:
            framework = review_framework_load(data=data, by=None)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(f"{framework.key} v{framework.version}: {framework.areas.count()} areas")
