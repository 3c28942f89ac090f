"""The growth report as an Excel workbook and as a PDF, and a CRC's one-page profile.

Each export is written to a temporary file, which the view hands to FileResponse: memory
stays flat whatever the size of the cohort, and the download has a Content-Length."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from clusterwise.org.models import OrgUnit
from clusterwise.programme.models import Cohort, CohortMember
from clusterwise.skills.growth import Growth, GrowthReport, whole_level
from clusterwise.skills.models import LEVEL_NAMES, LEVELS, Round, Skill, Theme

from . import charts, selectors
from .selectors import Profile


@dataclass
class GrowthExport:
    """What every export of a growth report shows."""

    cohort: Cohort
    before: str
    after: str
    unit: OrgUnit | None  # the area asked for (`within`), if any
    whole_cohort: bool  # the user sees every CRC of the cohort
    report: GrowthReport[int]
    skills: list[Skill]
    crcs: QuerySet[CohortMember]  # scoped by the user, under `unit`

    @property
    def before_label(self) -> str:
        return str(Round(self.before).label)

    @property
    def after_label(self) -> str:
        return str(Round(self.after).label)

    @property
    def area(self) -> str:
        if self.unit:
            return self.unit.name
        return _("The whole cohort") if self.whole_cohort else _("The CRCs you may see")

    def themes(self) -> list[tuple[Theme, list[Skill]]]:
        groups: list[tuple[Theme, list[Skill]]] = []
        for skill in self.skills:
            if not groups or groups[-1][0].pk != skill.theme_id:
                groups.append((skill.theme, []))
            groups[-1][1].append(skill)
        return groups

    def rows(self) -> list[tuple[str, str, Growth | None]]:
        """(kind, label, growth): overall, then each theme, then each skill."""
        rows: list[tuple[str, str, Growth | None]] = [
            ("overall", _("All skills"), self.report.overall)
        ]
        rows += [("theme", str(t), self.report.themes.get(t.code)) for t, _s in self.themes()]
        rows += [("skill", str(s), self.report.skills.get(s.pk)) for s in self.skills]
        return rows

    def filename(self, extension: str) -> str:
        """ASCII only, so every browser keeps it: growth-<cohort>-<before>-<after>.<ext>."""
        name = slugify(self.cohort.name) or "cohort"
        return f"growth-{name}-{self.before}-{self.after}.{extension}"

    def headline(self) -> str:
        g = self.report.overall
        if not g.compared:
            return _("No CRC has both rounds complete yet, so there is nothing to compare.")
        # The same message as the growth page, so both read alike in every language.
        return ngettext(
            "%(p)s%% of %(n)s CRC moved up at least one level.",
            "%(p)s%% of %(n)s CRCs moved up at least one level.",
            g.compared,
        ) % {"p": round(100 * (g.share_moved_up or 0)), "n": g.compared}


def definitions() -> list[str]:
    """How to read the report: the growth page's explanations (skills/growth.py's
    docstring defines the terms), in the reader's language."""
    return [
        _("Only the coaches' assessments count; self-assessments are kept apart."),
        _("A skill moves up when its level in the later round is higher than in the earlier one."),
        _(
            "A CRC's level on a theme, or overall, is the mean of their skill levels rounded to "
            "the nearest whole level (halves round up: a mean of 2.5 is level 3). They moved up "
            "when that level is higher in the later round."
        ),
        _(
            "A CRC is compared only when both rounds rate every skill in question; the others "
            "are excluded and counted."
        ),
        _("Mean change is the average difference in level (or mean level), later minus earlier."),
        _(
            "The Wilcoxon signed-rank test asks whether the rises outweigh the falls by more "
            "than chance: the changes are ranked by size (zero changes left out), W+ adds the "
            "ranks of the rises and W− those of the falls. A small p (for example below 0.05) "
            "means chance alone would rarely give such a difference. It is two-sided, exact for "
            "up to 50 changes without ties, otherwise a normal approximation corrected for ties."
        ),
        _(
            "The effect size r = (W+ − W−) / (W+ + W−) runs from −1 (everyone fell) to 1 "
            "(everyone rose)."
        ),
    ]


def _spool() -> IO[bytes]:
    """A temporary file for an export; FileResponse closes (and so deletes) it."""
    return tempfile.TemporaryFile(prefix="clusterwise-export-")


# --- Excel ----------------------------------------------------------------------------------


def growth_workbook(export: GrowthExport) -> IO[bytes]:
    """Summary, every CRC's levels and the definitions, written row by row (write-only)."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def cell(sheet: Any, value: Any, *, font: Font | None = None, number_format: str = "") -> Any:
        c = WriteOnlyCell(sheet, value=value)
        if font:
            c.font = font
        if number_format:
            c.number_format = number_format
        return c

    def header(sheet: Any, names: Iterable[str]) -> None:
        sheet.append([cell(sheet, name, font=bold) for name in names])

    summary = book.create_sheet(_("Summary"))
    for label, value in (
        (_("Cohort"), export.cohort.name),
        (_("Skill framework"), str(export.cohort.framework)),
        (_("From round"), export.before_label),
        (_("To round"), export.after_label),
        (_("Area"), export.area),
        (_("Generated"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
        (_("Result"), export.headline()),
    ):
        summary.append([cell(summary, label, font=bold), value])
    summary.append([])
    header(
        summary,
        [
            _("Level"),
            _("Name"),
            _("Compared"),
            _("Excluded"),
            _("Moved up"),
            _("Stayed"),
            _("Moved down"),
            _("Share moved up"),
            _("Mean change"),
            "W+",
            "W−",
            "p",
            _("Effect size r"),
        ],
    )
    kinds = {"overall": _("Overall"), "theme": _("Theme"), "skill": _("Skill")}
    for kind, label, g in export.rows():
        if g is None:
            summary.append([kinds[kind], label])
            continue
        t = g.test
        summary.append(
            [
                kinds[kind],
                label,
                g.compared,
                g.excluded,
                g.moved_up,
                g.stayed,
                g.moved_down,
                cell(summary, g.share_moved_up, number_format="0%"),
                cell(summary, g.mean_change, number_format="+0.00;-0.00;0.00"),
                t.w_plus,
                t.w_minus,
                cell(summary, t.p_value, number_format="0.0000"),
                cell(summary, t.effect_size, number_format="0.00"),
            ]
        )

    levels = book.create_sheet(_("Levels"))
    skills = export.skills
    header(
        levels,
        [_("CRC"), _("District"), _("Block"), _("Cluster")]
        + [f"{s.code} {export.before_label}" for s in skills]
        + [f"{s.code} {export.after_label}" for s in skills]
        + [_("Mean before"), _("Mean after"), _("Moved up")],
    )
    yes, no, excluded = _("yes"), _("no"), _("excluded")
    ids = [s.pk for s in skills]
    for crc in selectors.crc_levels(
        export.crcs, export.cohort, before=export.before, after=export.after
    ):
        b, a = crc.before, crc.after
        row: list[Any] = [crc.name, crc.district, crc.block, crc.cluster]
        row += [b.get(i) for i in ids] + [a.get(i) for i in ids]
        if ids and all(i in b and i in a for i in ids):
            mean_b = sum(b[i] for i in ids) / len(ids)
            mean_a = sum(a[i] for i in ids) / len(ids)
            moved = yes if whole_level(mean_a) > whole_level(mean_b) else no
            row += [round(mean_b, 2), round(mean_a, 2), moved]
        else:
            row += [None, None, excluded]
        levels.append(row)

    notes = book.create_sheet(_("Definitions"))
    for item in definitions():
        notes.append([item])
    out = _spool()
    book.save(out)
    out.seek(0)
    return out


# --- PDFs -----------------------------------------------------------------------------------


def _css() -> str:
    path = finders.find("reports/print.css")
    return Path(path).read_text(encoding="utf-8") if path else ""


def render_pdf(template: str, context: dict[str, Any]) -> IO[bytes]:
    from weasyprint import HTML  # loads Pango: only when a PDF is asked for

    html = render_to_string(template, {**context, "css": _css()})
    out = _spool()
    HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf(out)
    out.seek(0)
    return out


def _table_row(label: str, g: Growth | None) -> dict[str, Any]:
    share = g.share_moved_up if g else None
    return {"label": label, "g": g, "percent": None if share is None else round(100 * share)}


def growth_pdf(export: GrowthExport) -> IO[bytes]:
    report = export.report
    level_names = [(lv, str(LEVEL_NAMES[lv])) for lv in LEVELS]
    spec = charts.levels_before_after_spec(
        report.ratings_before,
        report.ratings_after,
        level_names=dict(level_names),
        before_label=export.before_label,
        after_label=export.after_label,
        count_label=_("Ratings"),
        words=False,  # the words go beside the chart (see charts.levels_before_after_spec)
    )
    return render_pdf(
        "reports/growth_pdf.html",
        {
            "export": export,
            "headline": export.headline(),
            "overall": _table_row(_("All skills"), report.overall),
            "theme_rows": [
                _table_row(str(t), report.themes.get(t.code)) for t, _s in export.themes()
            ],
            "skill_groups": [
                (t, [_table_row(str(s), report.skills.get(s.pk)) for s in skills])
                for t, skills in export.themes()
            ],
            "chart": charts.svg(spec),
            "chart_rows": [
                (lv, name, report.ratings_before[lv], report.ratings_after[lv])
                for lv, name in level_names
            ],
            "definitions": definitions(),
            "generated": timezone.localtime(),
        },
    )


def profile_pdf(profile: Profile) -> IO[bytes]:
    return render_pdf(
        "reports/profile_pdf.html",
        {
            "p": profile,
            "member": profile.member,
            "cohort": profile.member.cohort,
            "level_names": {lv: str(LEVEL_NAMES[lv]) for lv in LEVELS},
            "generated": timezone.localtime(),
        },
    )


def profile_filename(member: CohortMember) -> str:
    """ASCII only: profile-<name>-<cohort>.pdf, or the member's id for a name in Devanagari."""
    name = slugify(member.person.name) or str(member.pk)[:8]
    return f"profile-{name}-{slugify(member.cohort.name) or 'cohort'}.pdf"
