"""The growth report as an Excel workbook and as a PDF, and a CRC's one-page profile."""

from __future__ import annotations

import datetime
import io
import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles import finders
from django.db.models import QuerySet
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from clusterwise.org.models import OrgUnit
from clusterwise.programme.models import Cohort, CohortMember
from clusterwise.skills import growth as growth_module
from clusterwise.skills.growth import Growth, GrowthReport, whole_level
from clusterwise.skills.models import LEVEL_NAMES, LEVELS, Assessment, Rating, Round, Skill

from . import charts


@dataclass
class GrowthExport:
    """What every export of a growth report shows."""

    cohort: Cohort
    before: str
    after: str
    unit: OrgUnit | None
    report: GrowthReport[int]
    skills: list[Skill]
    crcs: QuerySet[CohortMember]

    @property
    def before_label(self) -> str:
        return str(Round(self.before).label)

    @property
    def after_label(self) -> str:
        return str(Round(self.after).label)

    @property
    def area(self) -> str:
        return self.unit.name if self.unit else _("The whole cohort")

    def rows(self) -> list[tuple[str, str, Growth | None]]:
        """(kind, label, growth): overall, then each theme, then each skill."""
        rows: list[tuple[str, str, Growth | None]] = [
            ("overall", _("All skills"), self.report.overall)
        ]
        seen = []
        for skill in self.skills:
            if skill.theme_id not in seen:
                seen.append(skill.theme_id)
                rows.append(("theme", str(skill.theme), self.report.themes.get(skill.theme.code)))
        rows += [("skill", str(s), self.report.skills.get(s.pk)) for s in self.skills]
        return rows

    def filename(self, extension: str) -> str:
        name = slugify(self.cohort.name) or "cohort"
        return f"growth-{name}-{self.before}-{self.after}.{extension}"

    def headline(self) -> str:
        g = self.report.overall
        if not g.compared:
            return _("No CRC has both rounds complete yet, so there is nothing to compare.")
        return _("%(p)s%% of %(n)s CRCs moved up at least one level.") % {
            "p": round(100 * (g.share_moved_up or 0)),
            "n": g.compared,
        }


def definitions() -> list[str]:
    """The definitions of skills/growth.py's docstring, one per item."""
    text = (growth_module.__doc__ or "").split("Definitions", 1)[-1]
    items = re.split(r"\n- ", text)
    return [" ".join(item.split()) for item in items[1:]]


def _number(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def growth_workbook(export: GrowthExport) -> bytes:
    """Summary, per-CRC levels and definitions, written row by row (write-only mode)."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)

    def header(sheet: Any, names: Iterable[str]) -> None:
        cells = []
        for name in names:
            cell = WriteOnlyCell(sheet, value=name)
            cell.font = bold
            cells.append(cell)
        sheet.append(cells)

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
        summary.append([label, value])
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
        summary.append(
            [
                kinds[kind],
                label,
                g.compared,
                g.excluded,
                g.moved_up,
                g.stayed,
                g.moved_down,
                _number(g.share_moved_up, 4),
                _number(g.mean_change, 3),
                g.test.w_plus,
                g.test.w_minus,
                _number(g.test.p_value, 6),
                _number(g.test.effect_size, 3),
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
    for row in _crc_levels(export):
        levels.append(row)

    notes = book.create_sheet(_("Definitions"))
    for item in definitions():
        notes.append([item])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _crc_levels(export: GrowthExport) -> Iterable[list[Any]]:
    levels: dict[Any, dict[str, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    ratings = Rating.objects.filter(
        cohort=export.cohort, kind=Assessment.Kind.COACH, round__in=[export.before, export.after]
    ).filter(member__in=export.crcs.order_by().values("pk"))
    for member_id, skill_id, round_, level in ratings.values_list(
        "member_id", "skill_id", "round", "level"
    ).iterator(chunk_size=20000):
        levels[member_id][round_][skill_id] = level
    crcs = list(
        export.crcs.order_by("org_path", "person__name").values_list(
            "pk", "person__name", "org_path"
        )
    )
    step = OrgUnit.steplen
    wanted = {path[: n * step] for _pk, _name, path in crcs for n in (2, 3, 4)}
    names = dict(OrgUnit.objects.filter(path__in=wanted).values_list("path", "name"))
    for pk, name, path in crcs:
        b, a = levels[pk][export.before], levels[pk][export.after]
        row: list[Any] = [
            name,
            names.get(path[: 2 * step], ""),
            names.get(path[: 3 * step], ""),
            names.get(path[: 4 * step], ""),
        ]
        row += [b.get(s.pk) for s in export.skills] + [a.get(s.pk) for s in export.skills]
        complete = all(s.pk in b and s.pk in a for s in export.skills)
        if complete:
            mean_b = sum(b[s.pk] for s in export.skills) / len(export.skills)
            mean_a = sum(a[s.pk] for s in export.skills) / len(export.skills)
            moved = _("yes") if whole_level(mean_a) > whole_level(mean_b) else _("no")
            row += [round(mean_b, 2), round(mean_a, 2), moved]
        else:
            row += [None, None, _("excluded")]
        yield row


# --- PDFs ---------------------------------------------------------------------------------


def _css() -> str:
    path = finders.find("reports/print.css")
    return Path(path).read_text(encoding="utf-8") if path else ""


def render_pdf(template: str, context: dict[str, Any]) -> bytes:
    from weasyprint import HTML

    html = render_to_string(template, {**context, "css": _css()})
    return HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


def growth_pdf(export: GrowthExport) -> bytes:
    spec = charts.levels_before_after_spec(
        export.report.ratings_before,
        export.report.ratings_after,
        level_names={lv: str(LEVEL_NAMES[lv]) for lv in LEVELS},
        before_label=export.before_label,
        after_label=export.after_label,
        count_label=_("Ratings"),
    )
    return render_pdf(
        "reports/growth_pdf.html",
        {
            "export": export,
            "headline": export.headline(),
            "rows": [
                {
                    "kind": kind,
                    "label": label,
                    "g": g,
                    "percent": round(100 * g.share_moved_up)
                    if g and g.share_moved_up is not None
                    else None,
                }
                for kind, label, g in export.rows()
            ],
            "chart": charts.svg(spec),
            "definitions": definitions(),
            "generated": timezone.localtime(),
        },
    )


def profile_pdf(context: dict[str, Any]) -> bytes:
    return render_pdf(
        "reports/profile_pdf.html",
        {**context, "generated": timezone.localtime(), "today": datetime.date.today()},
    )
