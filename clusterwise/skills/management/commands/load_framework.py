"""Load a skill framework from its JSON form as a new published version."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from clusterwise.skills.models import Framework
from clusterwise.skills.services import framework_load

DEFAULT = Path(__file__).resolve().parents[2] / "frameworks" / "kpalp_crc.json"


class Command(BaseCommand):
    help = "Load a skill framework (JSON) as a new published version; default: the CRC framework."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("file", nargs="?", default=str(DEFAULT))
        parser.add_argument(
            "--if-missing",
            action="store_true",
            help="do nothing if a version of this framework exists",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{options['file']}: {exc}") from exc
        if options["if_missing"] and Framework.objects.filter(key=data.get("key")).exists():
            self.stdout.write(f"{data.get('key')}: already loaded")
            return
        try:
            framework = framework_load(data=data, by=None)
        except ValidationError as exc:
            raise CommandError("; ".join(exc.messages)) from exc
        self.stdout.write(
            f"{framework.key} v{framework.version}: {framework.skills.count()} skills loaded"
        )
