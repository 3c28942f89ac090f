"""Define an assessment round (or redefine one without results) from its JSON form."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from clusterwise.learning.services import round_load


class Command(BaseCommand):
    help = "Define an assessment round from a JSON file (see clusterwise/learning/rounds/)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            data = json.loads(Path(options["file"]).read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise CommandError(f"{options['file']}: {exc}") from exc
        try:
            round_ = round_load(data=data, by=None)
        except ValidationError as exc:
            lines = [
                f"{where}: {message}"
                for where, messages in exc.message_dict.items()
                for message in messages
            ]
            raise CommandError("The round is not defined:\n" + "\n".join(lines)) from exc
        self.stdout.write(
            f"{round_.key}: {round_.competencies.count()} competencies, grades "
            f"{', '.join(map(str, round_.grades))}"
        )
