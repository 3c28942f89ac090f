"""Import a results file into an assessment round, with a progress bar."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clusterwise.core.jobs import tqdm_progress
from clusterwise.learning.imports import import_results
from clusterwise.learning.models import ResultImport, Round
from clusterwise.org.models import User


class Command(BaseCommand):
    help = (
        "Import students' results (CSV with any common delimiter, or XLSX) into a round. "
        "Columns: school_code, grade, section, student_id, gender, subject, competency, "
        "score (or level). All or nothing unless --quarantine."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file")
        parser.add_argument("--round", required=True, help="the round's key")
        parser.add_argument(
            "--quarantine",
            action="store_true",
            help="import the valid rows and set the bad ones aside for correction",
        )
        parser.add_argument("--as", dest="username", help="import as this user (their area)")
        parser.add_argument("--errors", help="write the error report (CSV) to this file")

    def handle(self, *args: Any, **options: Any) -> None:
        round_ = Round.objects.filter(key=options["round"]).first()
        if round_ is None:
            raise CommandError(f"No round has the key {options['round']!r}.")
        by = None
        if options["username"]:
            by = User.objects.filter(username=options["username"]).first()
            if by is None:
                raise CommandError(f"No user called {options['username']!r}.")
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        report, bar = tqdm_progress("Importing", disable=options["verbosity"] == 0)
        try:
            batch = import_results(
                round_=round_,
                path=path,
                file_name=path.name,
                by=by,
                mode=ResultImport.Mode.QUARANTINE
                if options["quarantine"]
                else ResultImport.Mode.ALL_OR_NOTHING,
                progress=report,
            )
        finally:
            bar.close()
        problems = list(batch.problems.all()[:20])
        for p in problems:
            self.stderr.write(f"row {p.line}, {p.column or '-'} = {p.value!r}: {p.reason}")
        if batch.errors > len(problems):
            self.stderr.write(f"… {batch.errors - len(problems)} more problems")
        if options["errors"] and batch.errors:
            from clusterwise.learning.imports import problems_csv

            with open(options["errors"], "w", encoding="utf-8", newline="") as out:
                out.writelines(problems_csv(batch))
        summary = (
            f"{batch.rows} rows read, {batch.added} added, {batch.unchanged} already there, "
            f"{batch.rejected} rejected ({batch.seconds:.1f} s)"
        )
        if batch.status != ResultImport.Status.DONE:
            raise CommandError(f"{batch.message} {summary}")
        self.stdout.write(self.style.SUCCESS(f"{batch.message or 'Imported.'} {summary}"))
