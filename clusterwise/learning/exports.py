"""The gap analysis as an Excel workbook: the same figures as the page, hidden ones blank."""

from __future__ import annotations

import tempfile
from typing import IO, Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from clusterwise.core.i18n import localized

from .selectors import Figure, Report, UnitFigures

HIDDEN = "•"


def _value(figure: Figure | None, field: str) -> Any:
    if figure is None:
        return None
    if figure.hidden:
        return HIDDEN
    return getattr(figure, field)


def report_workbook(report: Report) -> IO[bytes]:
    """Summary per competency, then the units above, beside and below, in one workbook."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def header(sheet: Any, names: list[str]) -> None:
        row = []
        for name in names:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            row.append(cell)
        sheet.append(row)

    names = [localized(c.name) or c.code for c in report.competencies]
    summary = book.create_sheet(_("Competencies"))
    for label, value in (
        (_("Round"), localized(report.round.name)),
        (_("Unit"), f"{report.unit.name} ({report.unit.code})"),
        (_("Grade"), report.grade),
        (_("Subject"), report.subject),
        (_("Generated"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        (
            _("Hidden"),
            _(
                "%(mark)s: fewer than %(n)s children, or a figure from which a small group "
                "could be worked out."
            )
            % {"mark": HIDDEN, "n": settings.SMALL_CELL},
        ),
    ):
        summary.append([label, value])
    summary.append([])
    columns = [
        _("Competency"),
        _("Children"),
        _("% proficient"),
        # xgettext:no-python-format
        _("Mean score (% of maximum)"),
        _("Girls: % proficient"),
        _("Boys: % proficient"),
    ]
    if report.earlier is not None:
        columns += [
            _("%(round)s: %% proficient") % {"round": localized(report.earlier.name)},
            _("Change (points)"),
        ]
    header(summary, columns)
    for row in report.rows:
        figure = row["figure"]
        line = [
            localized(row["competency"].name) or row["competency"].code,
            _value(figure, "students"),
            _value(figure, "proficient"),
            _value(figure, "mean"),
            _value(row["girls"], "proficient"),
            _value(row["boys"], "proficient"),
        ]
        if report.earlier is not None:
            line += [_value(row["earlier"], "proficient"), row["change"]]
        summary.append(line)

    def units(title: str, rows: list[UnitFigures]) -> None:
        if not rows:
            return
        sheet = book.create_sheet(title)
        header(
            sheet,
            [_("Code"), _("Name"), _("Level")]
            + [_("%(competency)s: %% proficient") % {"competency": n} for n in names],
        )
        for unit in rows:
            sheet.append(
                [unit.unit.code, unit.unit.name, unit.unit.level]
                + [_value(f, "proficient") for f in unit.ordered]
            )

    units(_("Above and beside"), [*report.ancestors, report.figures, *report.siblings])
    units(_("Below"), report.children)
    # Closed (and so deleted) by the FileResponse that sends it.
    spool = tempfile.TemporaryFile(prefix="clusterwise-export-")  # noqa: SIM115
    book.save(spool)
    spool.seek(0)
    return spool
