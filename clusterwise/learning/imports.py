"""Importing a round's results from a CSV or Excel file, streaming, whatever its size.

One pass over the file checks every row on its own against the round and the org tree
(school known and in the uploader's and the round's area, grade and competency in the round,
score a number within range, level known) and writes the good rows, typed, into a staging
table: COPY on PostgreSQL, batched inserts on SQLite. Two set-based queries then find what
only the whole file and the stored results can tell: the same student and competency twice
in the file, and a student whose stored result differs. Memory holds the tree's schools
and the round's competencies, never the file.

All or nothing (the default): one problem and nothing is written; every problem is listed
(row, column, value, reason) for the downloadable report. Quarantine: the good rows are
imported and the bad ones kept aside, as they were, for correction and re-import. Rows
identical to stored results are counted as already there, so re-importing a file adds
nothing (a file imported before is recognised by its digest and not read at all).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import operator
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from clusterwise.core.scope import scope_paths
from clusterwise.core.tabular import TabularError
from clusterwise.org.models import OrgUnit

from . import analytics
from .models import Competency, ImportProblem, QuarantinedRow, Result, ResultImport, Round

if TYPE_CHECKING:
    from clusterwise.org.models import User

# The columns a results file has, and the header names they go by (lower case, spaces as _).
COLUMNS: dict[str, tuple[str, ...]] = {
    "school": ("school_code", "school", "udise", "udise_code"),
    "grade": ("grade", "class", "standard", "std"),
    "section": ("section", "division", "div"),
    "student": ("student_id", "student", "student_code"),
    "gender": ("gender", "sex"),
    "subject": ("subject",),
    "competency": ("competency", "competency_code", "skill"),
    "score": ("score", "marks"),
    "level": ("level",),
}
REQUIRED = ("school", "grade", "student", "subject", "competency")
GENDERS = {
    **dict.fromkeys(("f", "female", "girl", "g", "मुलगी", "लड़की", "लडकी", "fille"), "F"),
    **dict.fromkeys(("m", "male", "boy", "b", "मुलगा", "लड़का", "लडका", "garçon"), "M"),
    **dict.fromkeys(("o", "other", "x"), "O"),
    **dict.fromkeys(("", "u", "unknown", "na", "n/a"), "U"),
}
MAX_PROBLEMS_KEPT = 100_000  # the report lists this many; the count covers them all
MAX_REMEMBERED = 100_000  # raw values remembered per kind (scores with many decimals vary)
BATCH = 5_000
ANALYZE_FROM = 50_000  # rows added from which the results' statistics are refreshed
COPY_ROWS = 200_000  # rows per COPY straight into the results (a key stored stops it there)
DELIMITERS = ",;\t|"

Progress = Callable[[int, int], None]


@dataclass
class Problem:
    line: int
    column: str
    value: str
    reason: str


@dataclass
class _Problems:
    """The problems found, the first MAX_PROBLEMS_KEPT kept, and every bad row counted."""

    kept: list[Problem] = field(default_factory=list)
    count: int = 0
    lines: int = 0

    def add(self, line: int, column: str, value: str, reason: str) -> None:
        self.count += 1
        if len(self.kept) < MAX_PROBLEMS_KEPT:
            self.kept.append(Problem(line, column, value[:200], reason))


# --- reading --------------------------------------------------------------------------------


def _header_names(cells: Sequence[Any]) -> list[str]:
    return [str(c or "").strip().lower().replace(" ", "_") for c in cells]


def _csv_records(
    path: Path,
) -> tuple[list[str], Iterator[tuple[int, list[str]]], Callable[[], float]]:
    raw = path.open("rb")
    head = raw.read(65536)
    raw.seek(0)
    first_line = head.split(b"\n", 1)[0].decode("utf-8-sig", errors="replace")
    delimiter = max(DELIMITERS, key=first_line.count)
    if first_line.count(delimiter) == 0:
        raw.close()
        raise TabularError(
            _("The first row must name the columns, separated by commas, semicolons or tabs.")
        )
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    reader = csv.reader(text, delimiter=delimiter)
    size = max(path.stat().st_size, 1)

    def done() -> float:
        return raw.tell() / size if not raw.closed else 1.0

    try:
        header = _header_names(next(reader))
    except StopIteration:
        raw.close()
        raise TabularError(_("The file is empty.")) from None
    except UnicodeDecodeError:
        raw.close()
        raise TabularError(_("The file is not UTF-8 text; save it as “CSV UTF-8”.")) from None

    def rows() -> Iterator[tuple[int, list[str]]]:
        line = 1
        try:
            for line, cells in enumerate(reader, start=2):
                yield line, cells
        except UnicodeDecodeError:
            raise TabularError(
                _("The file is not UTF-8 text after row %(n)s; save it as “CSV UTF-8”.")
                % {"n": line}
            ) from None
        except csv.Error as exc:
            raise TabularError(
                _("Row %(n)s cannot be read: %(error)s.") % {"n": line + 1, "error": exc}
            ) from None
        finally:
            raw.close()

    return header, rows(), done


def _excel_records(
    path: Path,
) -> tuple[list[str], Iterator[tuple[int, list[str]]], Callable[[], float]]:
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0)
        records = sheet.iter_rows()
        header = _header_names(next(records))
    except StopIteration:
        raise TabularError(_("The file is empty.")) from None
    except Exception as exc:  # calamine raises its own error types per format
        raise TabularError(
            _("The spreadsheet cannot be read: %(error)s") % {"error": exc}
        ) from None
    total = max(sheet.height, 1)
    position = [1]

    def cell(value: Any) -> str:
        if value is None:
            return ""
        if isinstance(value, float) and value.is_integer():
            return str(int(value))
        return str(value)

    def rows() -> Iterator[tuple[int, list[str]]]:
        for line, record in enumerate(records, start=2):
            position[0] = line
            yield line, [cell(v) for v in record]

    return header, rows(), lambda: position[0] / total


def open_records(
    path: Path, name: str
) -> tuple[list[str], Iterator[tuple[int, list[str]]], Callable[[], float]]:
    """The header, the numbered rows (header = row 1) and a function saying how much of the
    file has been read (0–1)."""
    lower = name.lower()
    if lower.endswith((".csv", ".txt", ".tsv")):
        return _csv_records(path)
    if lower.endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        return _excel_records(path)
    raise TabularError(_("Upload a .csv or .xlsx file."))


def file_digest(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --- checking one row -----------------------------------------------------------------------


class _School(NamedTuple):
    id: str  # as the staging table holds it
    path: str
    state: int  # OK, OUTSIDE_YOU or OUTSIDE_ROUND
    code: str

    OK = 0
    OUTSIDE_YOU = 1
    OUTSIDE_ROUND = 2


@dataclass
class _Competency:
    id: int
    code: str
    scale: str
    max_score: float
    grades: frozenset[int]
    levels: dict[str, int]  # level code (and order as text) → order
    level_codes: dict[int, str]  # order → code
    bands: list[tuple[float, int]]  # (min score, order), highest first


def _remember(known: dict[Any, Any], raw: Any, meaning: Any) -> None:
    if len(known) < MAX_REMEMBERED:
        known[raw] = meaning


class Checker:
    """Checks rows of one file against a round, the tree and the uploader's area."""

    def __init__(self, round_: Round, by: User | None, header: list[str]) -> None:
        self.round = round_
        self.index: dict[str, int] = {}
        self.names: dict[str, str] = {}  # our column → the file's own header name
        for column, aliases in COLUMNS.items():
            for position, name in enumerate(header):
                if name in aliases:
                    self.index[column] = position
                    self.names[column] = name
                    break
        missing = [column for column in REQUIRED if column not in self.index]
        if "score" not in self.index and "level" not in self.index:
            missing.append("score")
        if missing:
            raise TabularError(
                _("The file lacks the columns %(columns)s. It needs: %(needed)s.")
                % {
                    "columns": ", ".join(COLUMNS[c][0] for c in missing),
                    "needed": "school_code, grade, section, student_id, gender, subject, "
                    "competency, score (or level)",
                }
            )
        self.width = len(header)
        within = scope_paths(by) if by is not None else ("",)
        area = round_.org_path
        self.schools: dict[str, _School] = {}  # by lower-case code
        sqlite = connection.vendor == "sqlite"
        for code, pk, path in OrgUnit.objects.filter(level=settings.ORG_SCHOOL_LEVEL).values_list(
            "code", "id", "path"
        ):
            state = _School.OK if any(path.startswith(p) for p in within) else _School.OUTSIDE_YOU
            if state == _School.OK and not path.startswith(area):
                state = _School.OUTSIDE_ROUND
            self.schools[code.lower()] = _School(pk.hex if sqlite else str(pk), path, state, code)
        levels: dict[str, list[Any]] = {}
        for level in round_.levels.order_by("order"):
            levels.setdefault(level.subject, []).append(level)
        self.competencies: dict[tuple[str, str], _Competency] = {}
        for comp in Competency.objects.filter(round=round_):
            steps = levels.get(comp.subject, [])
            by_code = {step.code.lower(): step.order for step in steps}
            by_code.update({str(step.order): step.order for step in steps})
            bands = sorted(
                ((step.min_score, step.order) for step in steps if step.min_score is not None),
                reverse=True,
            )
            self.competencies[(comp.subject.lower(), comp.code.lower())] = _Competency(
                comp.pk,
                comp.code,
                comp.scale,
                comp.max_score,
                frozenset(comp.grades),
                by_code,
                {step.order: step.code for step in steps},
                bands,
            )
        self.subjects = {subject for subject, _code in self.competencies}
        self.round_grades = frozenset(round_.grades)
        self.touched: set[str] = set()  # paths of the schools with good rows
        # What the raw text of good rows meant, for the rows that repeat it (see `check`).
        at = self.index
        self._school_at = at["school"]
        self._student_at = at["student"]
        self._gender_at = at.get("gender")
        self._section_at = at.get("section")
        self._values_at = operator.itemgetter(
            *(at[c] for c in ("grade", "subject", "competency", "score", "level") if c in at)
        )
        self._good_schools: dict[str, tuple[str, str]] = {}  # raw code → id, path
        self._good_values: dict[Any, tuple[int, int, float, int | None]] = {}
        self._good_genders: dict[str, str] = {}
        self._good_sections: dict[str, str] = {}

    def values(self, cells: list[str]) -> dict[str, str]:
        """The row as column → text (for quarantine and reports)."""
        return {
            column: (cells[i].strip() if i < len(cells) else "") for column, i in self.index.items()
        }

    def check(self, line: int, cells: list[str], problems: _Problems) -> tuple[Any, ...] | None:
        """The row, typed for the staging table, or None after recording why it is bad.

        A file repeats a few values millions of times: a school's code on every row of it,
        a competency with its grade and score, a gender, a section. A row whose values read
        exactly as on earlier good rows is typed from what they meant there (each group of
        columns is checked on its own, so that is the same answer), and only its student
        ID is checked anew; any other row goes through every check."""
        if len(cells) == self.width:
            school = self._good_schools.get(cells[self._school_at])
            values = self._good_values.get(self._values_at(cells))
            if school is not None and values is not None:
                at = self._gender_at
                gender = "U" if at is None else self._good_genders.get(cells[at])
                at = self._section_at
                section = "" if at is None else self._good_sections.get(cells[at])
                student = cells[self._student_at].strip()
                if (
                    gender is not None
                    and section is not None
                    and student
                    and len(student) <= 40
                    and student.isprintable()
                ):
                    self.touched.add(school[1])
                    comp, grade, score, level = values
                    return (line, comp, school[0], student, grade, section, gender, score, level)
        return self._check_every_column(line, cells, problems)

    def _check_every_column(
        self, line: int, cells: list[str], problems: _Problems
    ) -> tuple[Any, ...] | None:
        found = problems.count
        index = self.index
        width = len(cells)

        def get(column: str) -> str:
            i = index.get(column)
            return cells[i].strip() if i is not None and i < width else ""

        def bad(column: str, value: str, reason: str) -> None:
            problems.add(line, self.names.get(column, COLUMNS[column][0]), value, reason)

        if width > self.width and any(c.strip() for c in cells[self.width :]):
            problems.add(line, "", "", _("The row has more cells than the header has columns."))

        code = get("school")
        school = self.schools.get(code.lower()) if code else None
        if not code:
            bad("school", code, _("The school code is missing."))
        elif school is None:
            bad("school", code, _("No school has this code."))
        elif school.state == _School.OUTSIDE_YOU:
            bad("school", code, _("This school is outside your area."))
        elif school.state == _School.OUTSIDE_ROUND:
            bad("school", code, _("This school is outside the round's area."))

        text = get("grade")
        grade = int(text) if text.isdigit() else None
        if grade is None:
            bad("grade", text, _("The grade must be a whole number."))
        elif grade not in self.round_grades:
            bad("grade", text, _("The round does not assess grade %(grade)s.") % {"grade": grade})

        student = get("student")
        if not student:
            bad("student", student, _("The student ID is missing."))
        elif len(student) > 40:
            bad("student", student, _("The student ID is longer than 40 characters."))
        elif not student.isprintable():
            bad("student", student, _("The student ID has tabs or line breaks."))

        section = get("section")
        if len(section) > 10 or not section.isprintable():
            bad("section", section, _("The section is a short name, e.g. A."))

        gender_text = get("gender")
        gender = GENDERS.get(gender_text.lower())
        if gender is None:
            bad("gender", gender_text, _("The gender is F (girl), M (boy), O (other) or empty."))

        subject = get("subject").lower()
        comp_code = get("competency")
        comp = self.competencies.get((subject, comp_code.lower()))
        if comp is None:
            if subject not in self.subjects:
                bad("subject", get("subject"), _("The round does not assess this subject."))
            else:
                bad(
                    "competency",
                    comp_code,
                    _("The round has no competency with this code in this subject."),
                )
        elif grade is not None and grade in self.round_grades and grade not in comp.grades:
            bad(
                "grade",
                text,
                _("This competency is not assessed in grade %(grade)s.") % {"grade": grade},
            )

        score: float | None = None
        level: int | None = None
        score_text = get("score")
        level_text = get("level")
        if score_text:
            try:
                score = float(score_text.replace(",", "."))
            except ValueError:
                bad("score", score_text, _("The score is not a number."))
            else:
                if score != score or score in (float("inf"), float("-inf")):
                    bad("score", score_text, _("The score is not a number."))
                    score = None
        if comp is not None:
            if comp.scale == Competency.Scale.LEVEL:
                if level_text:
                    level = comp.levels.get(level_text.lower())
                    if level is None:
                        bad(
                            "level",
                            level_text,
                            _("Not a level of this subject: %(levels)s.")
                            % {"levels": ", ".join(k for k in comp.levels if not k.isdigit())},
                        )
                elif not score_text:
                    bad("level", level_text, _("The level is missing."))
                elif score is not None and comp.bands:
                    level = next((order for low, order in comp.bands if score >= low), 0)
                elif score is not None:
                    bad("level", level_text, _("This competency is assessed by level: give it."))
                if level is not None:
                    score = float(level)
            else:
                if score is None and not score_text:
                    bad("score", score_text, _("The score is missing."))
                elif score is not None and not 0 <= score <= comp.max_score:
                    bad(
                        "score",
                        score_text,
                        _("The score must lie from 0 to %(max)s.") % {"max": f"{comp.max_score:g}"},
                    )
                elif score is not None and comp.bands:
                    level = next((order for low, order in comp.bands if score >= low), 0)
        if problems.count > found:
            problems.lines += 1
            return None
        assert school is not None and comp is not None and score is not None and grade is not None
        self.touched.add(school.path)
        if width == self.width:
            _remember(self._good_schools, cells[self._school_at], (school.id, school.path))
            _remember(self._good_values, self._values_at(cells), (comp.id, grade, score, level))
            if self._gender_at is not None:
                _remember(self._good_genders, cells[self._gender_at], gender)
            if self._section_at is not None:
                _remember(self._good_sections, cells[self._section_at], section)
        return (line, comp.id, school.id, student, grade, section, gender, score, level)


# --- the staging table ----------------------------------------------------------------------

STAGING = "learning_staging"
NULL = "\\N"  # COPY's text format for NULL
STAGING_COLUMNS = (
    "line",
    "competency_id",
    "school_id",
    "student",
    "grade",
    "section",
    "gender",
    "score",
    "level",
)


def _create_staging(cursor: Any) -> None:
    uuid_type = "uuid" if connection.vendor == "postgresql" else "char(32)"
    cursor.execute(f"DROP TABLE IF EXISTS {STAGING}")
    cursor.execute(
        f"CREATE TEMPORARY TABLE {STAGING} (line integer NOT NULL, competency_id bigint NOT NULL, "
        f"school_id {uuid_type} NOT NULL, student varchar(40) NOT NULL, grade smallint NOT NULL, "
        "section varchar(10) NOT NULL, gender varchar(1) NOT NULL, score double precision NOT NULL, "
        "level smallint)"
    )
    cursor.execute(f"DROP TABLE IF EXISTS {STAGING}_bad")
    cursor.execute(f"CREATE TEMPORARY TABLE {STAGING}_bad (line integer PRIMARY KEY)")


def _stage(rows: Iterator[tuple[Any, ...]]) -> int:
    """Write the checked rows into the staging table; how many."""
    if connection.vendor != "postgresql":
        sql = f"INSERT INTO {STAGING} VALUES ({', '.join(['%s'] * len(STAGING_COLUMNS))})"  # noqa: S608
        count = 0
        batch: list[tuple[Any, ...]] = []
        with connection.cursor() as cursor:
            for row in rows:
                batch.append(row)
                if len(batch) == BATCH:
                    cursor.executemany(sql, batch)
                    count += len(batch)
                    batch = []
            if batch:
                cursor.executemany(sql, batch)
                count += len(batch)
        return count
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY {STAGING} ({', '.join(STAGING_COLUMNS)}) FROM STDIN") as copy,
    ):
        return _copy(copy, rows, "\n", line=True)


def _copy(copy: Any, rows: Iterator[tuple[Any, ...]], tail: str, *, line: bool) -> int:
    """Write checked rows to a COPY in text format, in large chunks; how many. Student IDs
    and sections were checked printable, so only a backslash needs escaping. `line`: with
    the row's line number first (the staging table); `tail` ends each row."""
    count = 0
    chunk: list[str] = []
    for number, comp, school, student, grade, section, gender, score, level in rows:
        if "\\" in student or "\\" in section:
            student = student.replace("\\", "\\\\")
            section = section.replace("\\", "\\\\")
        level_text = NULL if level is None else level
        text = (
            f"{comp}\t{school}\t{student}\t{grade}\t{section}\t{gender}\t{score!r}\t"
            f"{level_text}{tail}"
        )
        chunk.append(f"{number}\t{text}" if line else text)
        if len(chunk) == BATCH:
            copy.write("".join(chunk))
            count += BATCH
            chunk = []
    if chunk:
        copy.write("".join(chunk))
        count += len(chunk)
    return count


# --- the import -----------------------------------------------------------------------------


class _Clock:
    """Seconds per step into a caller's dict (or nowhere)."""

    def __init__(self, timings: dict[str, float] | None) -> None:
        self.timings = timings
        self.last = time.perf_counter()

    def lap(self, step: str) -> None:
        now = time.perf_counter()
        if self.timings is not None:
            self.timings[step] = now - self.last
        self.last = now


class _Refused(Exception):
    """All or nothing, and something was wrong: roll everything back."""


def import_results(
    *,
    round_: Round,
    path: Path,
    file_name: str,
    by: User | None,
    mode: str = ResultImport.Mode.ALL_OR_NOTHING,
    progress: Progress | None = None,
    job: Any = None,
    timings: dict[str, float] | None = None,
) -> ResultImport:
    """Check and load one results file into a round; the import record says what happened.

    `timings`, when given, receives the seconds each step took (for benchmarks)."""
    began = time.perf_counter()
    clock = _Clock(timings)
    digest = file_digest(path)
    batch = ResultImport.objects.create(
        round=round_, job=job, file_name=file_name, digest=digest, mode=mode, created_by=by
    )
    same = (
        ResultImport.objects.filter(round=round_, digest=digest, status=ResultImport.Status.DONE)
        .exclude(pk=batch.pk)
        .first()
    )
    if same is not None:
        batch.status = ResultImport.Status.DONE
        batch.rows = same.rows
        batch.unchanged = same.added + same.unchanged
        batch.message = _(
            "This file was imported into the round on %(date)s: nothing was added."
        ) % {"date": f"{same.created_at:%Y-%m-%d %H:%M}"}
        return _finish(batch, began, [])
    if round_.status != Round.Status.OPEN:
        batch.status = ResultImport.Status.REFUSED
        batch.message = _("The round is closed: it takes no more results.")
        return _finish(batch, began, [])

    clock.lap("digest")
    problems = _Problems()
    try:
        with transaction.atomic():
            header, records, read = open_records(path, file_name)
            checker = Checker(round_, by, header)
            counted = [0]
            # Most files bring new results and nothing wrong: those rows go straight into
            # the results table, where the primary key stops a student and competency that
            # is stored already or twice in the file. At the first row with a problem, or
            # such a key, that is undone and the file is read again through the staging
            # table and the set-based checks, which name every problem.
            added = _load_directly(
                batch, _checked(records, checker, _Problems(), counted, _give_up, progress, read)
            )
            if added is not None:
                clock.lap("read, check, load")
                batch.rows = counted[0]
                if counted[0] == 0:
                    raise TabularError(_("The file has a header but no rows."))
                unchanged = 0
            else:
                clock.lap("read, check, load: given up")
                checker.touched.clear()
                counted[0] = 0
                _header, records, read = open_records(path, file_name)
                added, unchanged = _load_through_staging(
                    batch, checker, records, read, problems, counted, mode, progress, clock
                )
            batch.added = added
            if added:
                hold_referenced(round_, checker.touched)
                clock.lap("hold schools")
            if added >= ANALYZE_FROM and connection.vendor == "postgresql":
                # The planner's counts would not know the new rows until autovacuum comes
                # by, after the commit: the refresh below would plan for a round without
                # results and walk all of them one school at a time.
                with connection.cursor() as cursor:
                    cursor.execute(f"ANALYZE {Result._meta.db_table}")
                clock.lap("analyze")
            batch.unchanged = unchanged
            if progress:
                progress(counted[0], counted[0])
            steps = analytics.refresh(round_, schools=checker.touched if batch.added else set())
            clock.lap("analytics")
            if timings is not None:
                timings.update({f"analytics: {step}": s for step, s in steps.items()})
            batch.status = ResultImport.Status.DONE
            batch.rejected = problems.lines
            batch.errors = problems.count
            if problems.count:
                batch.message = _(
                    "%(good)s rows imported; %(bad)s rows set aside with %(n)s problems."
                ) % {"good": batch.added, "bad": problems.lines, "n": problems.count}
            batch.save()
        clock.lap("commit")
    except _Refused:
        batch.status = ResultImport.Status.REFUSED
        batch.rejected = problems.lines
        batch.errors = problems.count
        batch.added = batch.unchanged = 0
        batch.message = _(
            "Nothing was imported: %(bad)s of %(rows)s rows have problems (%(n)s in all). "
            "Correct them and import the file again."
        ) % {"bad": problems.lines, "rows": batch.rows, "n": problems.count}
    except TabularError as exc:
        batch.status = ResultImport.Status.REFUSED
        batch.added = batch.unchanged = 0
        batch.message = str(exc)
    return _finish(batch, began, problems.kept)


class _GiveUp(Exception):
    """A row the direct load cannot take: start again through the staging table."""


def _give_up(line: int, cells: list[str]) -> None:
    raise _GiveUp


def _checked(
    records: Iterator[tuple[int, list[str]]],
    checker: Checker,
    problems: _Problems,
    counted: list[int],
    bad: Callable[[int, list[str]], None],
    progress: Progress | None,
    read: Callable[[], float],
) -> Iterator[tuple[Any, ...]]:
    """The file's good rows, typed; `bad` is told of the others. Blank lines are no rows."""
    check = checker.check
    try:
        for line, cells in records:
            if (not cells or not cells[0].strip()) and not any(c.strip() for c in cells):
                continue
            counted[0] += 1
            row = check(line, cells, problems)
            if row is not None:
                yield row
            else:
                bad(line, cells)
            if progress and counted[0] % 50_000 == 0:
                share = read()
                progress(counted[0], max(counted[0], int(counted[0] / max(share, 1e-6))))
    finally:
        close = getattr(records, "close", None)
        if close is not None:
            close()


def _load_directly(batch: ResultImport, rows: Iterator[tuple[Any, ...]]) -> int | None:
    """Write the checked rows straight into the results table, in a savepoint; how many, or
    None (and nothing written) at a bad row or a key already stored or seen."""
    errors = (IntegrityError, connection.Database.IntegrityError, _GiveUp)
    try:
        with transaction.atomic():
            return _insert(batch, rows)
    except errors:
        return None
    finally:
        close = getattr(rows, "close", None)
        if close is not None:
            close()


def _insert(batch: ResultImport, rows: Iterator[tuple[Any, ...]]) -> int:
    table = Result._meta.db_table
    columns = "competency_id, school_id, student, grade, section, gender, score, level, batch_id"
    count = 0
    if connection.vendor != "postgresql":
        sql = f"INSERT INTO {table} ({columns}) VALUES ({', '.join(['%s'] * 9)})"  # noqa: S608
        batch_id = batch.pk.hex
        chunk: list[tuple[Any, ...]] = []
        with connection.cursor() as cursor:
            for _line, *values in rows:
                chunk.append((*values, batch_id))
                if len(chunk) == BATCH:
                    cursor.executemany(sql, chunk)
                    count += len(chunk)
                    chunk = []
            if chunk:
                cursor.executemany(sql, chunk)
                count += len(chunk)
        return count
    with connection.cursor() as cursor:
        tail = f"\t{batch.pk}\n"
        while True:
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                written = _copy(copy, itertools.islice(rows, COPY_ROWS), tail, line=False)
            count += written
            if written < COPY_ROWS:
                break
    return count


def hold_referenced(round_: Round, schools: set[str]) -> None:
    """Hold the schools (paths) and the round's competencies that new results refer to, as
    foreign keys would: on PostgreSQL with FOR KEY SHARE, so that no one deletes one of them
    before this transaction ends. The results table has no such constraints (see Result);
    the rows' ids were read from the database, so what this finds missing was deleted by
    someone else meanwhile, and the import stops rather than store orphans."""
    lock = " FOR KEY SHARE" if connection.vendor == "postgresql" else ""
    paths = sorted(schools)
    found = 0
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id FROM {Competency._meta.db_table} WHERE round_id = %s{lock}",  # noqa: S608
            [round_.pk.hex if connection.vendor == "sqlite" else round_.pk],
        )
        held_competencies = len(cursor.fetchall())
        for start in range(0, len(paths), BATCH):
            chunk = paths[start : start + BATCH]
            cursor.execute(
                f"SELECT id FROM {OrgUnit._meta.db_table} "  # noqa: S608
                f"WHERE path IN ({', '.join(['%s'] * len(chunk))}){lock}",
                chunk,
            )
            found += len(cursor.fetchall())
    if found != len(paths) or held_competencies != round_.competencies.count():
        raise TabularError(
            _("A school or competency was deleted while the file was imported: try again.")
        )


def _load_through_staging(
    batch: ResultImport,
    checker: Checker,
    records: Iterator[tuple[int, list[str]]],
    read: Callable[[], float],
    problems: _Problems,
    counted: list[int],
    mode: str,
    progress: Progress | None,
    clock: _Clock,
) -> tuple[int, int]:
    """Stage the good rows, check them against the file and the store, insert the new ones;
    (added, already stored). Raises _Refused when all or nothing finds a problem."""
    with connection.cursor() as cursor:
        _create_staging(cursor)
    quarantine: list[QuarantinedRow] = []

    def set_aside(line: int, cells: list[str]) -> None:
        if mode == ResultImport.Mode.QUARANTINE:
            quarantine.append(QuarantinedRow(batch=batch, line=line, values=checker.values(cells)))
            if len(quarantine) == BATCH:
                QuarantinedRow.objects.bulk_create(quarantine)
                quarantine.clear()

    _stage(_checked(records, checker, problems, counted, set_aside, progress, read))
    clock.lap("read, check, stage")
    batch.rows = counted[0]
    if counted[0] == 0:
        raise TabularError(_("The file has a header but no rows."))
    unchanged = _check_against_file_and_store(batch, checker, problems, quarantine, mode)
    clock.lap("file and store checks")
    if quarantine:
        QuarantinedRow.objects.bulk_create(quarantine)
    if problems.count and mode == ResultImport.Mode.ALL_OR_NOTHING:
        raise _Refused
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {Result._meta.db_table} "  # noqa: S608
            "(competency_id, school_id, student, grade, section, gender, score, level, "
            "batch_id) SELECT s.competency_id, s.school_id, s.student, s.grade, s.section, "
            f"s.gender, s.score, s.level, %s FROM {STAGING} s WHERE NOT EXISTS "
            f"(SELECT 1 FROM {STAGING}_bad b WHERE b.line = s.line) "
            "ON CONFLICT DO NOTHING",
            [batch.pk.hex if connection.vendor == "sqlite" else batch.pk],
        )
        added = cursor.rowcount
        cursor.execute(f"DROP TABLE {STAGING}")
        cursor.execute(f"DROP TABLE {STAGING}_bad")
    clock.lap("insert")
    return added, unchanged


def _check_against_file_and_store(
    batch: ResultImport,
    checker: Checker,
    problems: _Problems,
    quarantine: list[QuarantinedRow],
    mode: str,
) -> int:
    """The checks only the whole file and the stored results can do; how many rows are
    already stored as they are."""
    staged = (
        "s.line, s.competency_id, s.school_id, s.student, s.grade, s.section, s.gender, "
        "s.score, s.level"
    )
    bad: list[tuple[tuple[Any, ...], str, str, str]] = []  # (staged row, column, value, why)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {staged}, d.first FROM {STAGING} s JOIN (SELECT competency_id, school_id, "  # noqa: S608
            f"student, MIN(line) AS first FROM {STAGING} GROUP BY competency_id, school_id, "
            "student HAVING COUNT(*) > 1) d ON d.competency_id = s.competency_id "
            "AND d.school_id = s.school_id AND d.student = s.student WHERE s.line > d.first"
        )
        for *row, first in iter(cursor.fetchone, None):
            reason = _("Row %(n)s has the same student and competency.") % {"n": first}
            bad.append((tuple(row), "student", row[3], reason))
        differs = (
            "r.score <> s.score OR r.grade <> s.grade OR r.section <> s.section "
            "OR r.gender <> s.gender OR COALESCE(r.level, -1) <> COALESCE(s.level, -1)"
        )
        join = (
            f"FROM {STAGING} s JOIN {Result._meta.db_table} r ON r.competency_id = s.competency_id "
            "AND r.school_id = s.school_id AND r.student = s.student"
        )
        cursor.execute(f"SELECT {staged}, r.score {join} WHERE {differs}")
        for *row, stored in iter(cursor.fetchone, None):
            reason = _(
                "This student already has a different stored result for this competency "
                "(score %(score)s); it is not replaced."
            ) % {"score": f"{stored:g}"}
            bad.append((tuple(row), "score", f"{row[7]:g}", reason))
        cursor.execute(f"SELECT COUNT(*) {join} WHERE NOT ({differs})")
        unchanged = int(cursor.fetchone()[0])
        lines = sorted({row[0] for row, *_rest in bad})
        for start in range(0, len(lines), BATCH):
            cursor.executemany(
                f"INSERT INTO {STAGING}_bad (line) VALUES (%s)",  # noqa: S608
                [(line,) for line in lines[start : start + BATCH]],
            )
    problems.lines += len(lines)
    for row, column, value, reason in sorted(bad, key=lambda item: item[0][0]):
        problems.add(row[0], checker.names.get(column, column), value, reason)
    if mode == ResultImport.Mode.QUARANTINE and bad:
        # Rebuilt from the checked values (each was valid on its own), as a results file.
        competencies = {c.id: (subject, c) for (subject, _code), c in checker.competencies.items()}
        schools = {school.id: school.code for school in checker.schools.values()}
        seen: set[int] = set()
        for row, *_rest in bad:
            line, comp_id, school_id, student, grade, section, gender, score, level = row
            if line in seen:
                continue
            seen.add(line)
            subject, comp = competencies[comp_id]
            quarantine.append(
                QuarantinedRow(
                    batch=batch,
                    line=line,
                    values={
                        "school": schools.get(str(school_id), ""),
                        "grade": str(grade),
                        "section": section,
                        "student": student,
                        "gender": gender,
                        "subject": subject,
                        "competency": comp.code,
                        "score": "" if comp.scale == Competency.Scale.LEVEL else f"{score:g}",
                        "level": comp.level_codes.get(level, "") if level is not None else "",
                    },
                )
            )
    return unchanged


def _finish(batch: ResultImport, began: float, problems: list[Problem]) -> ResultImport:
    batch.seconds = time.perf_counter() - began
    batch.save()
    ImportProblem.objects.bulk_create(
        (
            ImportProblem(batch=batch, line=p.line, column=p.column, value=p.value, reason=p.reason)
            for p in problems
        ),
        batch_size=BATCH,
    )
    return batch


def problems_csv(batch: ResultImport) -> Iterator[str]:
    """The error report: one line per problem (row, column, value, reason), streamed."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_("row"), _("column"), _("value"), _("reason")])
    for problem in batch.problems.order_by("line", "column").iterator(chunk_size=2000):
        writer.writerow([problem.line, problem.column, problem.value, problem.reason])
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def quarantine_csv(batch: ResultImport) -> Iterator[str]:
    """The rows set aside, in the columns of a results file, for correction and re-import."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    columns = [aliases[0] for aliases in COLUMNS.values()]
    writer.writerow(["row", *columns])
    for row in batch.quarantined.order_by("line").iterator(chunk_size=2000):
        writer.writerow([row.line, *(row.values.get(c, "") for c in COLUMNS)])
        if buffer.tell() > 65536:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()
