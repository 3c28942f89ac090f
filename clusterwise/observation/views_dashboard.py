"""The observation dashboard: coverage, item scores and time on task for an area, its charts
(SVG drawn on the server, as reports.charts does) and its Excel export. Thin: parse the
filters, ask observation.dashboard, render."""

from __future__ import annotations

import datetime
import tempfile
from typing import IO, Any
from urllib.parse import urlencode

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from clusterwise.core.scope import scope_paths
from clusterwise.org.models import LEVEL_LABELS
from clusterwise.reports import charts

from . import dashboard
from .dashboard import MAX_MONTHS, ON_TASK, Area, Dashboard, Selection
from .models import SCALE, OnTask

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MONTH = "%Y-%m"


# --- the filters ----------------------------------------------------------------------------


class MonthInput(forms.DateInput):
    input_type = "month"

    def __init__(self) -> None:
        super().__init__(format=MONTH, attrs={"class": "form-control"})


class DashboardForm(forms.Form):
    start = forms.DateField(
        label=gettext_lazy("From month"), input_formats=[MONTH], widget=MonthInput()
    )
    end = forms.DateField(
        label=gettext_lazy("To month"), input_formats=[MONTH], widget=MonthInput()
    )
    instrument = forms.ChoiceField(
        label=gettext_lazy("Instrument"),
        required=False,
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, data: Any, *, today: datetime.date) -> None:
        default = Selection.default(today)
        data = data.copy()
        for name, month in (("start", default.first_month), ("end", default.last_month)):
            if not data.get(name):
                data[name] = month.strftime(MONTH)
        super().__init__(data)
        instrument = self.fields["instrument"]
        assert isinstance(instrument, forms.ChoiceField)
        instrument.choices = [("", _("All instruments"))] + dashboard.instrument_choices()

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("start"), data.get("end")
        if start and end:
            start, end = start.replace(day=1), end.replace(day=1)
            if start > end:
                raise forms.ValidationError(_("The first month comes after the last one."))
            if len(Selection(start, end).months) > MAX_MONTHS:
                raise forms.ValidationError(_("Choose at most %(n)s months.") % {"n": MAX_MONTHS})
            data["start"], data["end"] = start, end
        return data

    def selection(self) -> Selection:
        d = self.cleaned_data
        return Selection(d["start"], d["end"], d.get("instrument") or "")

    def query(self, **extra: Any) -> str:
        d = self.cleaned_data
        values = {
            "start": d["start"].strftime(MONTH),
            "end": d["end"].strftime(MONTH),
            "instrument": d.get("instrument") or "",
            **extra,
        }
        return urlencode({k: v for k, v in values.items() if v})


def _parse(request: HttpRequest) -> tuple[Area, DashboardForm]:
    """The area (403 without the role, 404 outside the scope) and the filters."""
    area = dashboard.area_for(request.user, request.GET.get("unit"))  # type: ignore[arg-type]
    return area, DashboardForm(request.GET, today=timezone.localdate())


def _unit_param(area: Area) -> dict[str, str]:
    return {"unit": str(area.unit.pk)} if area.unit is not None else {}


# --- the page -------------------------------------------------------------------------------


def definitions(selection: Selection) -> list[str]:
    """How to read the figures: on the page and in the export, in the reader's language."""
    return [
        _("Only submitted observations count; drafts never do."),
        _("An observation counts in the month of the lesson and in the unit of its school."),
        _(
            "Teachers are the people who hold a teacher's or headteacher's post at a school of "
            "the unit today."
        ),
        _(
            "A teacher was observed in a month, a term or the months chosen when at least one "
            "submitted observation of their lessons falls in it. The term runs from %(term)s to "
            "the end of the last month chosen. A teacher observed who has since moved still "
            "counts, so a share can pass 100%%."
        )
        % {"term": date_format(selection.term_start, "DATE_FORMAT")},
        _(
            "Planned visits count by the day they were planned for: done (an observation was "
            "submitted for it), still planned, or cancelled. “Planned” counts every visit not "
            "cancelled. A plan names no instrument, so the instrument filter leaves them as "
            "they are."
        ),
        _(
            "Item scores: every submitted observation scores each item from 1 to 5; the chart "
            "counts the scores each item got. Items (and sections) with the same code in "
            "different versions of an instrument count together, under the newest version's "
            "name."
        ),
        _("A section's mean is the mean of every score of its items in the month."),
        _(
            "Time on task: at set minutes of the lesson the observer notes whether the teacher "
            "runs a learning activity and whether few (under a third), some or most (over two "
            "thirds) of the students are on task. Shares are of the snapshots of the month."
        ),
        _(
            "These figures describe the practice of teachers and observers, adults, not "
            "children: small numbers are shown as they are and nothing is suppressed. Read a "
            "figure drawn from a few observations with care."
        ),
        _("You see your own area only: no figure includes a unit outside it."),
    ]


def _month_label(month: datetime.date) -> str:
    return date_format(month, "M Y")


@login_required
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """Coverage, item scores and time on task for an area, drilling down the org tree."""
    area, form = _parse(request)
    context: dict[str, Any] = {"area": area, "form": form}
    if form.is_valid():
        selection = form.selection()
        d = dashboard.dashboard_for(request.user, area, selection)  # type: ignore[arg-type]
        here = reverse("observation:dashboard")
        context.update(
            d=d,
            selection=selection,
            query=form.query(**_unit_param(area)),
            units=[(row, f"{here}?{form.query(unit=row.unit.pk)}") for row in d.coverage.units],
            ancestors=[(unit, f"{here}?{form.query(unit=unit.pk)}") for unit in area.ancestors],
            # A user posted in several areas starts with them side by side: link back.
            top_url=f"{here}?{form.query()}"
            if area.unit and len(scope_paths(request.user)) > 1
            else "",
            level_label=_rows_label(area),
            scale=SCALE,
            on_task_labels=[OnTask(level).label for level in ON_TASK],
            months=selection.months,
            sections=[(s, s.means(selection.months)) for s in d.sections],
            definitions=definitions(selection),
        )
    return render(request, "observation/dashboard.html", context)


def _level_label(level: str) -> str:
    return str(LEVEL_LABELS.get(level, level))


def _rows_label(area: Area) -> str:
    """The level of the rows ("Block"), or "Unit" when several roots differ in level."""
    levels = {unit.level for unit in area.rows}
    return _level_label(levels.pop()) if len(levels) == 1 else _("Unit")


# --- the charts -----------------------------------------------------------------------------

# Colour-blind-safe sequential colours for the scores 1–5 (ColorBrewer "YlGnBu", 5 classes:
# the family of charts.LEVEL_COLOURS) and for few/some/most on task (3 classes).
SCORE_COLOURS = ("#ffffcc", "#a1dab4", "#41b6c4", "#2c7fb8", "#253494")
ON_TASK_COLOURS = ("#edf8b1", "#7fcdbb", "#2c7fb8")
# Sections are categories, not an order: the Okabe–Ito colours, which stay apart for the
# common kinds of colour blindness, and a point shape per section besides.
SECTION_COLOURS = ("#0072b2", "#e69f00", "#009e73", "#cc79a7", "#56b4e9", "#d55e00", "#000000")
# Candidates for reports.charts once another page needs them.


def _spec(**parts: Any) -> dict[str, Any]:
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "width": 320,
        "config": {"font": "Noto Sans, Noto Sans Devanagari, sans-serif"},
    } | parts


def _month_axis(months: list[datetime.date]) -> dict[str, Any]:
    return {
        "field": "month",
        "type": "ordinal",
        "title": None,
        "scale": {"domain": [_month_label(m) for m in months]},
        "axis": {"labelAngle": 0},
    }


def scores_spec(rows: list[dashboard.ItemRow]) -> dict[str, Any]:
    """Stacked bars: per item, how many scores of 1 to 5."""
    points = [str(point) for point in SCALE]
    values = [
        {"item": row.label, "score": str(point), "n": n}
        for row in rows
        for point, n in row.counts.items()
        if n
    ]
    return _spec(
        width=240,  # and up to 150 for the item names: a phone shows it at a readable size
        height={"step": 22},
        data={"values": values},
        mark={"type": "bar", "stroke": "#555", "strokeWidth": 0.5},
        encoding={
            "y": {
                "field": "item",
                "type": "nominal",
                "title": None,
                "sort": [row.label for row in rows],
                "axis": {"labelLimit": 150},
            },
            "x": {
                "field": "n",
                "type": "quantitative",
                "title": _("Scores"),
                "stack": "zero",
                "axis": {"tickMinStep": 1, "format": "d"},
            },
            "color": {
                "field": "score",
                "type": "ordinal",
                "title": _("Score"),
                "scale": {"domain": points, "range": list(SCORE_COLOURS)},
                "legend": {"orient": "bottom", "direction": "horizontal"},
            },
            "order": {"field": "score", "type": "ordinal"},
        },
    )


def sections_spec(
    sections: list[dashboard.SectionTrend], months: list[datetime.date]
) -> dict[str, Any]:
    """Lines: the mean score of each section, month by month."""
    values = [
        {"month": _month_label(month), "section": s.name, "mean": round(mean, 2)}
        for s in sections
        for month, mean in zip(months, s.means(months), strict=True)
        if mean is not None
    ]
    names = [s.name for s in sections]
    legend = {"orient": "bottom", "columns": 1}
    palette = {"range": list(SECTION_COLOURS)}
    by_section = {"field": "section", "type": "nominal", "title": _("Section"), "sort": names}
    return _spec(
        height=200,
        data={"values": values},
        encoding={
            "x": _month_axis(months),
            "y": {
                "field": "mean",
                "type": "quantitative",
                "title": _("Mean score"),
                "scale": {"domain": [1, 5]},
            },
            "color": {**by_section, "scale": palette, "legend": legend},
        },
        # Okabe–Ito colours stay apart for colour-blind readers; the point shapes differ
        # too (in a layered chart Vega-Lite would not merge a shape legend into this one).
        layer=[
            {"mark": "line"},
            {
                "mark": {"type": "point", "filled": True, "size": 60},
                "encoding": {"shape": {**by_section, "legend": None}},
            },
        ],
    )


def on_task_spec(months: list[dashboard.TimeOnTask]) -> dict[str, Any]:
    """Stacked bars: per month, the shares of snapshots with few, some and most on task."""
    labels = [str(OnTask(level).label) for level in ON_TASK]
    values = [
        {"month": _month_label(m.month), "level": label, "order": i, "share": share}
        for m in months
        for i, (label, share) in enumerate(zip(labels, m.shares, strict=True))
        if share
    ]
    return _spec(
        height=200,
        data={"values": values},
        mark={"type": "bar", "stroke": "#555", "strokeWidth": 0.5},
        encoding={
            "x": _month_axis([m.month for m in months]),
            "y": {
                "field": "share",
                "type": "quantitative",
                "title": _("Share of snapshots"),
                "stack": "zero",
                "scale": {"domain": [0, 1]},
                "axis": {"format": "%"},
            },
            "color": {
                "field": "level",
                "type": "ordinal",
                "title": _("Students on task"),
                "scale": {"domain": labels, "range": list(ON_TASK_COLOURS)},
                "legend": {"orient": "bottom", "columns": 1},
            },
            "order": {"field": "order", "type": "ordinal"},
        },
    )


def activity_spec(months: list[dashboard.TimeOnTask]) -> dict[str, Any]:
    """A line: per month, the share of snapshots in which a learning activity ran."""
    values = [
        {"month": _month_label(m.month), "share": m.share_activity}
        for m in months
        if m.share_activity is not None
    ]
    return _spec(
        height=160,
        data={"values": values},
        mark={"type": "line", "point": True, "color": charts.ROUND_COLOURS[1]},
        encoding={
            "x": _month_axis([m.month for m in months]),
            "y": {
                "field": "share",
                "type": "quantitative",
                "title": _("Learning activity"),
                "scale": {"domain": [0, 1]},
                "axis": {"format": "%"},
            },
        },
    )


def _chart_spec(name: str, user: Any, area: Area, selection: Selection) -> dict[str, Any]:
    if name == "scores":
        return scores_spec(dashboard.item_distribution(user, area, selection))
    if name == "sections":
        sections = dashboard.section_trends(user, area, selection)
        return sections_spec(sections, selection.months)
    if name == "on-task":
        return on_task_spec(dashboard.time_on_task(user, area, selection))
    if name == "activity":
        return activity_spec(dashboard.time_on_task(user, area, selection))
    raise Http404


@login_required
def dashboard_chart(request: HttpRequest, name: str) -> HttpResponse:
    """One chart of the dashboard as SVG, for the page's <img> (same filters, same scope)."""
    area, form = _parse(request)
    if not form.is_valid():
        raise Http404
    spec = _chart_spec(name, request.user, area, form.selection())
    response = HttpResponse(charts.svg(spec), content_type="image/svg+xml")
    response["Cache-Control"] = "private, max-age=300"
    return response


# --- Excel ----------------------------------------------------------------------------------


def _sheet_title(title: str) -> str:
    """Excel refuses []:*?/\\ in a sheet's name and keeps 31 characters."""
    return "".join(c for c in title if c not in "[]:*?/\\")[:31]


def _spool() -> IO[bytes]:
    """A temporary file for the export; FileResponse closes (and so deletes) it."""
    return tempfile.TemporaryFile(prefix="clusterwise-export-")


def workbook(d: Dashboard) -> IO[bytes]:
    """The dashboard's tables, one sheet each, with the definitions (written row by row)."""
    book = Workbook(write_only=True)
    bold = Font(bold=True)
    selection = d.selection
    last = _month_label(selection.last_month)

    def cell(sheet: Any, value: Any, *, font: Font | None = None, fmt: str = "") -> Any:
        c = WriteOnlyCell(sheet, value=value)
        if font:
            c.font = font
        if fmt:
            c.number_format = fmt
        return c

    def sheet(title: str, names: list[str]) -> Any:
        s = book.create_sheet(_sheet_title(title))
        s.append([cell(s, name, font=bold) for name in names])
        return s

    def pct(s: Any, value: float | None) -> Any:
        return cell(s, value, fmt="0%")

    def coverage_cells(s: Any, c: dashboard.Coverage) -> list[Any]:
        return [
            c.observations,
            c.teachers,
            c.observed_period,
            pct(s, c.share_period),
            c.observed_month,
            pct(s, c.share_month),
            c.observed_term,
            pct(s, c.share_term),
            c.visits_planned,
            c.done,
            c.planned,
            c.cancelled,
        ]

    units = sheet(
        _("Coverage by unit"),
        [
            _("Unit"),
            _("Code"),
            _("Level"),
            _("Observations"),
            _("Teachers"),
            _("Teachers observed"),
            _("Share"),
            _("Observed in %(month)s") % {"month": last},
            _("Share"),
            _("Observed this term"),
            _("Share"),
            _("Visits planned"),
            _("Done"),
            _("Still planned"),
            _("Cancelled"),
        ],
    )
    for row in d.coverage.units:
        unit = row.unit
        units.append(
            [unit.name, unit.code, _level_label(unit.level)] + coverage_cells(units, row.coverage)
        )
    units.append(
        [cell(units, _("Total"), font=bold), "", ""] + coverage_cells(units, d.coverage.total)
    )

    months = sheet(
        _("Coverage by month"),
        [
            _("Month"),
            _("Observations"),
            _("Teachers observed"),
            _("Teachers"),
            _("Share"),
            _("Visits planned"),
            _("Done"),
            _("Still planned"),
            _("Cancelled"),
        ],
    )
    for m in d.coverage.months:
        c = m.coverage
        months.append(
            [
                cell(months, m.month, fmt="mmm yyyy"),
                c.observations,
                c.observed_month,
                c.teachers,
                pct(months, c.share_month),
                c.visits_planned,
                c.done,
                c.planned,
                c.cancelled,
            ]
        )

    if d.area.by_observer:
        people = sheet(
            _("Observers"),
            [
                _("Observer"),
                _("Role"),
                _("Visits in %(month)s") % {"month": last},
                _("Planned in %(month)s") % {"month": last},
                _("Done"),
                _("Cancelled"),
                _("Observations"),
                _("Teachers observed"),
            ],
        )
        for o in d.coverage.observers:
            people.append(
                [
                    o.person.name,
                    ", ".join(o.roles),
                    o.month_visits,
                    o.month_planned,
                    o.month_done,
                    o.month_cancelled,
                    o.observations,
                    o.teachers,
                ]
            )

    items = sheet(
        _("Item scores"),
        [_("Instrument"), _("Section"), _("Code"), _("Item")]
        + [str(point) for point in SCALE]
        + [_("Scores"), _("Mean")],
    )
    for item in d.items:
        items.append(
            [item.instrument, item.section, item.code, item.name]
            + item.cells
            + [item.total, cell(items, item.mean, fmt="0.00")]
        )

    section_sheet = sheet(
        _("Section means"),
        [_("Instrument"), _("Section")] + [_month_label(m) for m in selection.months],
    )
    for s in d.sections:
        section_sheet.append(
            [s.instrument, s.name]
            + [cell(section_sheet, mean, fmt="0.00") for mean in s.means(selection.months)]
        )

    task = sheet(
        _("Time on task"),
        [
            _("Month"),
            _("Snapshots"),
            _("With a learning activity"),
            _("Share"),
        ]
        + [str(OnTask(level).label) for level in ON_TASK]
        + [_("Share: %(level)s") % {"level": OnTask(level).label} for level in ON_TASK],
    )
    for t in d.on_task:
        task.append(
            [cell(task, t.month, fmt="mmm yyyy"), t.snapshots, t.activity]
            + [pct(task, t.share_activity)]
            + [getattr(t, level) for level in ON_TASK]
            + [pct(task, share) for share in t.shares]
        )

    notes = book.create_sheet(_sheet_title(_("Definitions")))
    instrument = dict(dashboard.instrument_choices()).get(selection.instrument_key)
    for label, value in (
        (_("Area"), d.area.name),
        (_("From month"), _month_label(selection.first_month)),
        (_("To month"), last),
        (_("Instrument"), instrument or _("All instruments")),
        (_("Generated"), timezone.localtime().strftime("%Y-%m-%d %H:%M")),
    ):
        notes.append([cell(notes, label, font=bold), value])
    notes.append([])
    for text in definitions(selection):
        notes.append([text])

    out = _spool()
    book.save(out)
    out.seek(0)
    return out


def _filename(d: Dashboard) -> str:
    """ASCII only: observations-<unit code>-<first month>-<last month>.xlsx."""
    code = slugify(d.area.unit.code) if d.area.unit is not None else "area"
    s = d.selection
    return f"observations-{code or 'area'}-{s.first_month:%Y-%m}-{s.last_month:%Y-%m}.xlsx"


@login_required
def dashboard_xlsx(request: HttpRequest) -> FileResponse:
    """The dashboard as an Excel workbook: same filters, same scope."""
    area, form = _parse(request)
    if not form.is_valid():
        raise Http404
    d = dashboard.dashboard_for(request.user, area, form.selection())  # type: ignore[arg-type]
    response = FileResponse(
        workbook(d), as_attachment=True, filename=_filename(d), content_type=XLSX
    )
    response["Cache-Control"] = "private, no-store"
    return response
