"""What import_org and import_people share: read, plan, report, apply."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clusterwise.core.jobs import tqdm_progress
from clusterwise.core.tabular import TabularError, read_rows

from ...models import User


class ImportCommand(BaseCommand):
    noun = "rows"
    plan: Callable[..., Any]
    apply: Callable[..., dict[str, int]]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a .csv or .xlsx file")
        parser.add_argument("--dry-run", action="store_true", help="validate and report only")
        parser.add_argument("--as", dest="username", help="record changes as this user")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            rows = read_rows(options["file"])
        except (TabularError, OSError) as exc:
            raise CommandError(str(exc)) from None
        by = None
        if options["username"]:
            by = User.objects.filter(username=options["username"]).first()
            if by is None:
                raise CommandError(f"No user called {options['username']!r}.")
        quiet = options["verbosity"] == 0
        self.stderr.write(f"Checking {len(rows)} {self.noun}…") if not quiet else None
        plan = type(self).plan(rows)
        if not plan.ok:
            for error in plan.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(plan.errors)} problem(s) found; nothing was imported.")
        summary = ", ".join(f"{n} {action}" for action, n in plan.summary().items())
        if options["dry_run"]:
            self.stdout.write(f"Dry run, nothing written. Would do: {summary}.")
            return
        report, bar = tqdm_progress("Importing", disable=quiet)
        try:
            type(self).apply(plan=plan, by=by, progress=report)
        finally:
            bar.close()
        self.stdout.write(self.style.SUCCESS(f"Imported: {summary}."))
