"""Observation instruments as XLSForms, for ODK Collect / KoboToolbox, and back.

Works on instrument dicts in the schema of ``instruments/*.json`` (see ``instrument_load``);
no models are touched, so an import can be checked before anything is saved.

The mapping (header row is row 1; row numbers in messages are spreadsheet rows):

settings sheet
    ``form_id`` = key, ``version`` (given by the caller), ``form_title`` = English name,
    ``default_language`` = ``English (en)``.
survey sheet
    Columns ``type``, ``name``, ``label::<Language> (<code>)`` and ``hint::<Language> (<code>)``
    for English (en), Hindi (hi) and Marathi (mr) (and any other language in the data),
    ``calculation``, ``appearance``. Rows, in order:

    * ``note about``: label = instrument name, hint = description (the form's first screen).
    * ``calculate kind`` with calculation ``'full'`` or ``'quick'`` and
      ``calculate duration_minutes`` with calculation ``40``: carried into every submission.
    * one ``begin_group snapshot_<minute>`` … ``end_group`` per snapshot minute, holding the
      two questions the application fixes: ``select_one yes_no`` (is the teacher running a
      learning activity?) and ``select_one on_task`` (few / some / most students on task).
    * one ``begin_group <section code>`` … ``end_group`` per section, labelled with its name;
      inside, one ``select_one scale_<item code>`` question per item, named with the item code
      and labelled with its name; the guidance is its hint.
    * ``text evidence_notes`` (multiline) for the observer's evidence.
choices sheet
    ``list_name``, ``name``, ``label::…``. Each item has its own list ``scale_<item code>``
    with the five points ``1``–``5``; a point's label is ``"3 — <descriptor>"``, or just
    ``"3"`` where the instrument has no descriptor for it (in that language). Plus the fixed
    lists ``yes_no`` and ``on_task``.

Reading back follows the same conventions and is lenient where a team authoring a form would
reasonably differ: a plain ``label`` column counts as the default language, ``label::Hindi``
without a code is understood for English, Hindi and Marathi, a choice label need not start
with its number, and other question types (``text``, ``note``, metadata such as ``start``) are
ignored. Snapshot groups are the groups whose name starts with ``snapshot``; every other group
is a section, and every ``select_one`` in a section is an item.
"""

from __future__ import annotations

import os
import re
import zipfile
from collections.abc import Iterable, Mapping
from io import BytesIO
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils.exceptions import InvalidFileException

LANGUAGES: dict[str, str] = {"en": "English", "hi": "Hindi", "mr": "Marathi"}
DEFAULT_LANGUAGE = "en"
SCALE = ("1", "2", "3", "4", "5")
REQUIRED_POINTS = ("1", "3", "5")
KINDS = ("full", "quick")
SEPARATOR = " — "

# Same rules as the loader (services.instrument_load), so an import that passes here loads.
_KEY = re.compile(r"^[-a-z0-9_]{1,60}$")
_CODE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,59}$")
_SNAPSHOT = re.compile(r"^snapshot_(\d+)$")
_LANGUAGE_COLUMN = re.compile(r"^(label|hint)\s*::\s*(.+)$", re.IGNORECASE)
_LANGUAGE_CODE = re.compile(r"\(\s*([A-Za-z]{2,3}(?:-[A-Za-z0-9]+)*)\s*\)\s*$")
_POINT_PREFIX = re.compile(r"^\s*([1-5])\s*(?:[—–:.)-]\s*(.*))?$", re.DOTALL)

Texts = dict[str, str]
FileInput = bytes | str | os.PathLike[str] | IO[bytes]

# The snapshot questions are fixed by the application, so their wording lives here, not in
# the instrument files.
SNAPSHOT_LABEL: Texts = {
    "en": "Time-on-task snapshot at minute {minute}",
    "hi": "मिनट {minute}: विद्यार्थियों की कार्य-संलग्नता का त्वरित अवलोकन",
    "mr": "मिनिट {minute}: विद्यार्थ्यांच्या कार्यमग्नतेची झटपट नोंद",
}
SNAPSHOT_HINT: Texts = {
    "en": "Look around the whole room for about a minute, then answer.",
    "hi": "लगभग एक मिनट पूरी कक्षा पर नज़र डालें, फिर उत्तर दें।",
    "mr": "साधारण एक मिनिट संपूर्ण वर्गाचे निरीक्षण करा, मग उत्तर द्या.",
}
ACTIVITY_LABEL: Texts = {
    "en": "Is the teacher running a learning activity?",
    "hi": "क्या शिक्षक कोई अधिगम गतिविधि करवा रहे हैं?",
    "mr": "शिक्षक अध्ययनाची एखादी कृती घेत आहेत का?",
}
ON_TASK_LABEL: Texts = {
    "en": "How many students are on task?",
    "hi": "कितने विद्यार्थी दिए गए कार्य में संलग्न हैं?",
    "mr": "किती विद्यार्थी दिलेल्या कामात गुंतलेले आहेत?",
}
YES_NO: dict[str, Texts] = {
    "yes": {"en": "Yes", "hi": "हाँ", "mr": "होय"},
    "no": {"en": "No", "hi": "नहीं", "mr": "नाही"},
}
ON_TASK: dict[str, Texts] = {
    "few": {
        "en": "Few (under a third)",
        "hi": "बहुत कम (एक-तिहाई से कम)",
        "mr": "थोडे (एक तृतीयांशपेक्षा कमी)",
    },
    "some": {
        "en": "Some (a third to two thirds)",
        "hi": "कुछ (एक-तिहाई से दो-तिहाई)",
        "mr": "काही (एक तृतीयांश ते दोन तृतीयांश)",
    },
    "most": {
        "en": "Most (over two thirds)",
        "hi": "अधिकांश (दो-तिहाई से अधिक)",
        "mr": "बहुतेक (दोन तृतीयांशपेक्षा जास्त)",
    },
}
EVIDENCE_LABEL: Texts = {"en": "Evidence notes", "hi": "साक्ष्य टिप्पणियाँ", "mr": "पुराव्यांच्या नोंदी"}
EVIDENCE_HINT: Texts = {
    "en": "What you saw and heard that supports your scores: the teacher's words, students' work, examples.",
    "hi": "आपने जो देखा और सुना और जो आपके अंकों का आधार है: शिक्षक के शब्द, विद्यार्थियों का कार्य, उदाहरण।",
    "mr": "तुम्ही दिलेल्या गुणांना आधार देणारे, पाहिलेले व ऐकलेले: शिक्षकांचे शब्द, विद्यार्थ्यांचे काम, उदाहरणे.",
}


# --- normal form ------------------------------------------------------------------------


def _clean(texts: Any) -> Texts:
    """A multilingual text without blank entries and surrounding whitespace."""
    if not isinstance(texts, Mapping):
        return {}
    cleaned = {str(code): str(text or "").strip() for code, text in texts.items()}
    return {code: text for code, text in cleaned.items() if text}


def normalise_instrument(data: Mapping[str, Any]) -> dict[str, Any]:
    """The instrument as an import returns it: stripped texts, no blank entries, guidance only
    when there is some, descriptors in scale order, whole-number minutes."""
    sections = []
    for section in data.get("sections") or []:
        items = []
        for item in section.get("items") or []:
            descriptors = {
                point: _clean(item.get("descriptors", {}).get(point))
                for point in SCALE
                if _clean((item.get("descriptors") or {}).get(point))
            }
            guidance = _clean(item.get("guidance"))
            items.append(
                {
                    "code": str(item["code"]),
                    "name": _clean(item.get("name")),
                    **({"guidance": guidance} if guidance else {}),
                    "descriptors": descriptors,
                }
            )
        sections.append(
            {"code": str(section["code"]), "name": _clean(section.get("name")), "items": items}
        )
    return {
        "key": str(data["key"]).strip(),
        "kind": str(data.get("kind") or "full"),
        "name": _clean(data.get("name")),
        "description": _clean(data.get("description")),
        "duration_minutes": int(data["duration_minutes"]),
        "snapshot_minutes": [int(minute) for minute in data.get("snapshot_minutes") or []],
        "sections": sections,
    }


# --- export -----------------------------------------------------------------------------


def _languages(data: Mapping[str, Any]) -> list[str]:
    """English, Hindi, Marathi, then any other language the instrument's texts use."""
    found: set[str] = set()

    def visit(value: Any) -> None:
        if isinstance(value, Mapping):
            if value and all(isinstance(v, str) for v in value.values()):
                found.update(str(code) for code in value)
            else:
                for child in value.values():
                    visit(child)
        elif isinstance(value, list):
            for child in value:
                visit(child)

    visit({k: v for k, v in data.items() if k in ("name", "description", "sections")})
    return list(LANGUAGES) + sorted(code for code in found if code not in LANGUAGES)


def _column(kind: str, code: str) -> str:
    return f"{kind}::{LANGUAGES.get(code, code)} ({code})"


def _point_label(point: str, descriptor: str) -> str:
    return f"{point}{SEPARATOR}{descriptor}" if descriptor else point


def instrument_to_xlsform(data: Mapping[str, Any], *, version: str | int = 1) -> bytes:
    """The instrument as an XLSForm workbook (.xlsx bytes) that pyxform, ODK and Kobo accept."""
    instrument = normalise_instrument(data)
    languages = _languages(instrument)
    label_columns = [_column("label", code) for code in languages]
    hint_columns = [_column("hint", code) for code in languages]
    survey_header = ["type", "name", *label_columns, *hint_columns, "calculation", "appearance"]
    choices_header = ["list_name", "name", *label_columns]
    survey: list[dict[str, str]] = []
    choices: list[dict[str, str]] = []

    def row(
        type_: str,
        name: str = "",
        label: Mapping[str, str] | None = None,
        hint: Mapping[str, str] | None = None,
        **extra: str,
    ) -> None:
        cells = {"type": type_, "name": name, **extra}
        for code in languages:
            cells[_column("label", code)] = (label or {}).get(code, "")
            cells[_column("hint", code)] = (hint or {}).get(code, "")
        survey.append(cells)

    def choice(list_name: str, name: str, label: Mapping[str, str]) -> None:
        cells = {"list_name": list_name, "name": name}
        for code in languages:
            cells[_column("label", code)] = label.get(code, "")
        choices.append(cells)

    row("note", "about", instrument["name"], instrument["description"])
    row("calculate", "kind", calculation=f"'{instrument['kind']}'")
    row("calculate", "duration_minutes", calculation=str(instrument["duration_minutes"]))
    for minute in instrument["snapshot_minutes"]:
        group = f"snapshot_{minute}"
        label = {code: text.format(minute=minute) for code, text in SNAPSHOT_LABEL.items()}
        row("begin_group", group, label, SNAPSHOT_HINT)
        row("select_one yes_no", f"{group}_activity", ACTIVITY_LABEL)
        row("select_one on_task", f"{group}_on_task", ON_TASK_LABEL)
        row("end_group", group)
    for section in instrument["sections"]:
        row("begin_group", section["code"], section["name"])
        for item in section["items"]:
            list_name = f"scale_{item['code']}"
            row(f"select_one {list_name}", item["code"], item["name"], item.get("guidance"))
            for point in SCALE:
                descriptor = item["descriptors"].get(point, {})
                # Every language gets a label, so the number shows even without a descriptor.
                choice(
                    list_name,
                    point,
                    {code: _point_label(point, descriptor.get(code, "")) for code in languages},
                )
        row("end_group", section["code"])
    row("text", "evidence_notes", EVIDENCE_LABEL, EVIDENCE_HINT, appearance="multiline")
    for name, label in YES_NO.items():
        choice("yes_no", name, label)
    for name, label in ON_TASK.items():
        choice("on_task", name, label)

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "survey"
    _write(sheet, survey_header, survey)
    _write(workbook.create_sheet("choices"), choices_header, choices)
    settings = {
        "form_title": instrument["name"].get("en", instrument["key"]),
        "form_id": instrument["key"],
        "version": str(version),
        "default_language": f"{LANGUAGES[DEFAULT_LANGUAGE]} ({DEFAULT_LANGUAGE})",
    }
    _write(workbook.create_sheet("settings"), list(settings), [settings])
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _write(sheet: Any, header: list[str], rows: Iterable[Mapping[str, str]]) -> None:
    sheet.append(header)
    for number, cells in enumerate(rows, start=2):
        for index, column in enumerate(header, start=1):
            value = cells.get(column)
            if not value:
                continue  # blanks stay truly empty cells, not ""
            cell = sheet.cell(row=number, column=index, value=value)
            # openpyxl would store "=…" as a formula; a text is a text.
            cell.data_type = "s"
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    sheet.freeze_panes = "A2"
    for index, column in enumerate(header, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        wide = column.startswith(("label", "hint"))
        sheet.column_dimensions[letter].width = 60 if wide else 24
        if wide:
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.alignment = Alignment(wrap_text=True, vertical="top")


# --- import -----------------------------------------------------------------------------


class _Sheet:
    """One sheet read as text: its header and its non-empty rows with their row numbers."""

    def __init__(self, name: str, values: list[tuple[Any, ...]]) -> None:
        self.name = name
        header_values = values[0] if values else ()
        self.header = [_cell_text(value) for value in header_values]
        self.rows: list[tuple[int, dict[str, str]]] = []
        for number, row_values in enumerate(values[1:], start=2):
            cells = {
                column: _cell_text(value)
                for column, value in zip(self.header, row_values, strict=False)
                if column
            }
            if any(cells.values()):
                self.rows.append((number, cells))

    def column(self, *names: str) -> str | None:
        """The header as written for the first of these names (any case) the sheet has."""
        lowered = {column.lower().strip(): column for column in self.header if column}
        return next((lowered[name] for name in names if name in lowered), None)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 40.0 from a numeric cell is the minute 40
    return str(value).strip()


def _read_workbook(file: FileInput) -> dict[str, _Sheet]:
    if isinstance(file, bytes):
        stream: IO[bytes] = BytesIO(file)
    elif isinstance(file, str | os.PathLike):
        with open(file, "rb") as handle:
            stream = BytesIO(handle.read())
    else:
        stream = BytesIO(file.read())
    try:
        workbook = load_workbook(stream, read_only=True, data_only=True)
    except (zipfile.BadZipFile, InvalidFileException, KeyError, OSError, ValueError):
        raise ValidationError(_("The file is not an Excel workbook (.xlsx).")) from None
    try:
        return {
            sheet.title.strip().lower(): _Sheet(
                sheet.title.strip().lower(), list(sheet.iter_rows(values_only=True))
            )
            for sheet in workbook.worksheets
        }
    finally:
        workbook.close()


def _at(sheet: str, row: int, column: str | None, message: str) -> str:
    if column:
        return _("%(sheet)s row %(row)s, column %(column)s: %(message)s") % {
            "sheet": sheet,
            "row": row,
            "column": column,
            "message": message,
        }
    return _("%(sheet)s row %(row)s: %(message)s") % {
        "sheet": sheet,
        "row": row,
        "message": message,
    }


def _language_of(name: str) -> str | None:
    """The language code a column's language part names ("Hindi (hi)", "Hindi" or "hi")."""
    match = _LANGUAGE_CODE.search(name)
    if match:
        return match.group(1).lower()
    plain = name.strip().lower()
    by_name = {language.lower(): code for code, language in LANGUAGES.items()}
    return by_name.get(plain) or (plain if plain in LANGUAGES else None)


def _text_columns(sheet: _Sheet, default: str, errors: list[str]) -> dict[str, dict[str, str]]:
    """{"label": {column: language}, "hint": {...}} for the sheet's multilingual columns."""
    found: dict[str, dict[str, str]] = {"label": {}, "hint": {}}
    for column in sheet.header:
        plain = column.strip().lower()
        if plain in ("label", "hint"):
            found[plain][column] = default
            continue
        match = _LANGUAGE_COLUMN.match(column.strip())
        if not match:
            continue
        language = _language_of(match.group(2))
        if language is None:
            errors.append(
                _(
                    "%(sheet)s sheet, column %(column)s: name the language with its code in "
                    "brackets, e.g. “label::English (en)”."
                )
                % {"sheet": sheet.name, "column": column}
            )
            continue
        found[match.group(1).lower()][column] = language
    return found


def _texts(cells: Mapping[str, str], columns: Mapping[str, str]) -> Texts:
    return {language: cells[column] for column, language in columns.items() if cells.get(column)}


def _descriptor(point: str, label: str) -> str:
    """The descriptor in a choice label: "3 — text" gives "text", a bare "3" gives ""."""
    match = _POINT_PREFIX.match(label)
    if match and match.group(1) == point:
        return (match.group(2) or "").strip()
    return label.strip()


def xlsform_to_instrument(file: FileInput) -> dict[str, Any]:
    """The instrument an XLSForm describes (as ``instrument_to_xlsform`` writes them).

    Raises ValidationError listing every problem found, each naming sheet, row and column.
    """
    sheets = _read_workbook(file)
    errors: list[str] = []
    missing = [name for name in ("survey", "choices", "settings") if name not in sheets]
    if missing:
        raise ValidationError(
            [_("The workbook has no “%(sheet)s” sheet.") % {"sheet": sheet} for sheet in missing]
        )
    settings, survey, choices = sheets["settings"], sheets["survey"], sheets["choices"]

    for sheet, required in ((survey, ("type", "name")), (choices, ("list_name", "name"))):
        for column in required:
            aliases = (column, column.replace("_", " "))
            if sheet.column(*aliases) is None:
                errors.append(
                    _("%(sheet)s sheet: there is no “%(column)s” column.")
                    % {"sheet": sheet.name, "column": column}
                )
    if errors:
        raise ValidationError(errors)

    key, title, default = _read_settings(settings, errors)
    survey_text = _text_columns(survey, default, errors)
    choices_text = _text_columns(choices, default, errors)
    for sheet, columns in ((survey, survey_text), (choices, choices_text)):
        if DEFAULT_LANGUAGE not in columns["label"].values():
            errors.append(
                _(
                    "%(sheet)s sheet: there is no label column for English, e.g. “label::English (en)”."
                )
                % {"sheet": sheet.name}
            )
    lists = _read_choices(choices, choices_text["label"], errors)
    choice_columns = (
        choices.column("name") or "name",
        next((c for c, lang in choices_text["label"].items() if lang == DEFAULT_LANGUAGE), "label"),
    )
    result = _read_survey(survey, survey_text, lists, choice_columns, errors)
    if not result["name"]:
        # A form authored without the "about" note still has its title.
        result["name"] = {DEFAULT_LANGUAGE: title} if title else {}
        if not title:
            errors.append(_("The form needs a name: an “about” note or a form_title setting."))
    if errors:
        raise ValidationError(errors)
    return {"key": key, **result}


def _read_settings(settings: _Sheet, errors: list[str]) -> tuple[str, str, str]:
    """The form_id (the key), the form_title and the default language's code."""
    cells = settings.rows[0][1] if settings.rows else {}
    row = settings.rows[0][0] if settings.rows else 2
    form_id_column = settings.column("form_id", "id_string") or "form_id"
    key = cells.get(form_id_column, "")
    if not key:
        errors.append(
            _at(
                "settings", row, form_id_column, _("the form needs a form_id (the instrument key).")
            )
        )
    elif not _KEY.match(key):
        errors.append(
            _at(
                "settings",
                row,
                form_id_column,
                _("“%(key)s” is not a valid key: use lowercase letters, digits and dashes.")
                % {"key": key},
            )
        )
    default = DEFAULT_LANGUAGE
    language_column = settings.column("default_language")
    if language_column and cells.get(language_column):
        default = _language_of(cells[language_column]) or DEFAULT_LANGUAGE
    title_column = settings.column("form_title", "title")
    return key, cells.get(title_column, "") if title_column else "", default


def _read_choices(
    choices: _Sheet, label_columns: Mapping[str, str], errors: list[str]
) -> dict[str, list[tuple[int, str, Texts]]]:
    """Choice lists by name: (row, choice name, labels) in sheet order."""
    list_column = choices.column("list_name", "list name") or "list_name"
    name_column = choices.column("name") or "name"
    lists: dict[str, list[tuple[int, str, Texts]]] = {}
    seen: dict[tuple[str, str], int] = {}
    for number, cells in choices.rows:
        list_name, name = cells.get(list_column, ""), cells.get(name_column, "")
        if not list_name:
            errors.append(_at("choices", number, list_column, _("the choice has no list name.")))
            continue
        if not name:
            errors.append(_at("choices", number, name_column, _("the choice has no name.")))
            continue
        if (list_name, name) in seen:
            errors.append(
                _at(
                    "choices",
                    number,
                    name_column,
                    _("“%(name)s” is already a choice of list “%(list)s” (row %(row)s).")
                    % {"name": name, "list": list_name, "row": seen[list_name, name]},
                )
            )
            continue
        seen[list_name, name] = number
        lists.setdefault(list_name, []).append((number, name, _texts(cells, label_columns)))
    return lists


def _read_survey(
    survey: _Sheet,
    text_columns: Mapping[str, Mapping[str, str]],
    lists: Mapping[str, list[tuple[int, str, Texts]]],
    choice_columns: tuple[str, str],
    errors: list[str],
) -> dict[str, Any]:
    type_column = survey.column("type") or "type"
    name_column = survey.column("name") or "name"
    calculation_column = survey.column("calculation") or "calculation"
    english_label = next(
        (c for c, lang in text_columns["label"].items() if lang == DEFAULT_LANGUAGE), "label"
    )
    name: Texts = {}
    description: Texts = {}
    kind = ""
    duration: int | None = None
    settings_rows: dict[str, int] = {}  # the kind and duration_minutes rows
    snapshots: list[tuple[int, int]] = []
    sections: list[dict[str, Any]] = []
    section_rows: list[int] = []
    codes: dict[str, int] = {}  # section and item codes share one namespace, as in the loader
    # The open groups: (row, name, "section" | "snapshot" | "other", the section's dict).
    # A nested group is recorded as "other" so its end_group still balances.
    stack: list[tuple[int, str, str, dict[str, Any] | None]] = []

    def claim(code: str, number: int, what: str) -> bool:
        if not _CODE.match(code):
            errors.append(
                _at(
                    "survey",
                    number,
                    name_column,
                    _(
                        "“%(code)s” is not a valid %(what)s code: use lowercase letters, digits, dots, dashes and underscores, starting with a letter or digit."
                    )
                    % {"code": code, "what": what},
                )
            )
            return False
        if code in codes:
            errors.append(
                _at(
                    "survey",
                    number,
                    name_column,
                    _("the %(what)s code “%(code)s” is already used in row %(row)s.")
                    % {"code": code, "what": what, "row": codes[code]},
                )
            )
            return False
        codes[code] = number
        return True

    for number, cells in survey.rows:
        type_ = " ".join(cells.get(type_column, "").split())
        lowered = type_.lower()
        row_name = cells.get(name_column, "")
        label = _texts(cells, text_columns["label"])
        hint = _texts(cells, text_columns["hint"])
        if lowered in ("begin_group", "begin group"):
            if stack:
                errors.append(
                    _at(
                        "survey",
                        number,
                        type_column,
                        _("groups cannot be nested inside “%(group)s”.") % {"group": stack[-1][1]},
                    )
                )
                stack.append((number, row_name, "other", None))
            elif row_name.lower().startswith("snapshot"):
                match = _SNAPSHOT.match(row_name)
                if not match:
                    errors.append(
                        _at(
                            "survey",
                            number,
                            name_column,
                            _(
                                "“%(name)s” does not give the snapshot minute as a whole number: name snapshot groups snapshot_<minute>, e.g. snapshot_5."
                            )
                            % {"name": row_name},
                        )
                    )
                else:
                    snapshots.append((number, int(match.group(1))))
                stack.append((number, row_name, "snapshot", None))
            else:
                section_rows.append(number)
                section: dict[str, Any] = {"code": row_name, "name": label, "items": []}
                if claim(row_name, number, _("section")):
                    if DEFAULT_LANGUAGE not in label:
                        errors.append(
                            _at(
                                "survey",
                                number,
                                english_label,
                                _("section “%(code)s” has no English label.") % {"code": row_name},
                            )
                        )
                    sections.append(section)
                stack.append((number, row_name, "section", section))
        elif lowered in ("end_group", "end group"):
            if not stack:
                errors.append(
                    _at("survey", number, type_column, _("end_group without a begin_group."))
                )
                continue
            begun, group, role, closed = stack.pop()
            if role == "section" and closed is not None and not closed["items"]:
                errors.append(
                    _at(
                        "survey",
                        begun,
                        None,
                        _("section “%(code)s” has no items (select_one questions).")
                        % {"code": group},
                    )
                )
        elif lowered.split(" ")[0] in ("begin_repeat", "end_repeat") or lowered.startswith(
            ("begin repeat", "end repeat")
        ):
            errors.append(
                _at(
                    "survey",
                    number,
                    type_column,
                    _("repeats are not part of an observation instrument."),
                )
            )
        elif lowered.startswith("select_one ") or lowered.startswith("select_multiple "):
            where = stack[-1][2] if stack else "top"
            if where == "snapshot":
                continue  # the snapshot questions are fixed by the application
            if lowered.startswith("select_multiple "):
                if where == "section":
                    errors.append(
                        _at(
                            "survey",
                            number,
                            type_column,
                            _(
                                "an item is scored on one point of the scale: use select_one, not select_multiple."
                            ),
                        )
                    )
                continue
            list_name = type_.split(" ", 1)[1].strip().split(" ")[0]
            if list_name not in lists:
                errors.append(
                    _at(
                        "survey",
                        number,
                        type_column,
                        _("“%(type)s” uses a choice list that the choices sheet does not have.")
                        % {"type": type_},
                    )
                )
                continue
            owner = stack[-1][3] if stack else None
            if where != "section" or owner is None:
                errors.append(
                    _at(
                        "survey",
                        number,
                        type_column,
                        _(
                            "question “%(name)s” is outside any section group; items belong in a section."
                        )
                        % {"name": row_name},
                    )
                )
                continue
            if not claim(row_name, number, _("item")):
                continue
            if DEFAULT_LANGUAGE not in label:
                errors.append(
                    _at(
                        "survey",
                        number,
                        english_label,
                        _("item “%(code)s” has no English label.") % {"code": row_name},
                    )
                )
            descriptors = _descriptors(
                row_name, (number, type_column), list_name, lists[list_name], choice_columns, errors
            )
            owner["items"].append(
                {
                    "code": row_name,
                    "name": label,
                    **({"guidance": hint} if hint else {}),
                    "descriptors": descriptors,
                }
            )
        elif lowered == "calculate" and not stack and row_name in ("kind", "duration_minutes"):
            value = cells.get(calculation_column, "").strip().strip("'\"").strip()
            if row_name in settings_rows:
                errors.append(
                    _at(
                        "survey",
                        number,
                        name_column,
                        _("“%(name)s” is already given in row %(row)s.")
                        % {"name": row_name, "row": settings_rows[row_name]},
                    )
                )
                continue
            settings_rows[row_name] = number
            if row_name == "kind":
                if value in KINDS:
                    kind = value
                else:
                    errors.append(
                        _at(
                            "survey",
                            number,
                            calculation_column,
                            _("the kind must be 'full' or 'quick', not “%(value)s”.")
                            % {"value": value},
                        )
                    )
            elif value.isdigit() and 5 <= int(value) <= 180:
                duration = int(value)
            else:
                errors.append(
                    _at(
                        "survey",
                        number,
                        calculation_column,
                        _(
                            "the lesson length must be a whole number of minutes from 5 to 180, not “%(value)s”."
                        )
                        % {"value": value},
                    )
                )
        elif lowered == "note" and not stack and row_name == "about":
            name, description = label, hint
        # Any other row (text, note, metadata such as start or today) is not part of the
        # instrument's data, so it is left to the form.

    for begun, group, _role, _section in stack:
        errors.append(
            _at(
                "survey",
                begun,
                name_column,
                _("group “%(group)s” is never closed with end_group.") % {"group": group},
            )
        )
    if "kind" not in settings_rows:
        errors.append(
            _(
                "survey sheet: there is no “calculate” row named “kind” (calculation 'full' or 'quick')."
            )
        )
    if "duration_minutes" not in settings_rows:
        errors.append(
            _(
                "survey sheet: there is no “calculate” row named “duration_minutes” (the lesson length)."
            )
        )
    if not section_rows:
        errors.append(_("survey sheet: there is no section group with items."))
    previous = 0
    for number, minute in snapshots:
        if minute <= previous:
            errors.append(
                _at(
                    "survey",
                    number,
                    name_column,
                    _(
                        "snapshot minute %(minute)s does not come after the previous one (%(previous)s)."
                    )
                    % {"minute": minute, "previous": previous},
                )
            )
        elif duration is not None and not 1 <= minute <= duration:
            errors.append(
                _at(
                    "survey",
                    number,
                    name_column,
                    _("snapshot minute %(minute)s is outside the lesson (1 to %(n)s).")
                    % {"minute": minute, "n": duration},
                )
            )
        previous = max(previous, minute)
    return {
        "kind": kind,
        "name": name,
        "description": description,
        "duration_minutes": duration or 0,
        "snapshot_minutes": [minute for _number, minute in snapshots],
        "sections": sections,
    }


def _descriptors(
    code: str,
    where: tuple[int, str],
    list_name: str,
    choices: list[tuple[int, str, Texts]],
    columns: tuple[str, str],
    errors: list[str],
) -> dict[str, Texts]:
    """An item's descriptors from its choice list: the five points, 1, 3 and 5 described."""
    number, type_column = where
    name_column, label_column = columns
    descriptors: dict[str, Texts] = {}
    rows: dict[str, int] = {}
    for row, point, labels in choices:
        if point not in SCALE:
            errors.append(
                _at(
                    "choices",
                    row,
                    name_column,
                    _("“%(name)s” is not a point of the 1–5 scale (list “%(list)s”).")
                    % {"name": point, "list": list_name},
                )
            )
            continue
        rows[point] = row
        texts = {language: _descriptor(point, label) for language, label in labels.items()}
        texts = {language: text for language, text in texts.items() if text}
        if texts and DEFAULT_LANGUAGE not in texts:
            errors.append(
                _at(
                    "choices",
                    row,
                    label_column,
                    _("point %(point)s of item “%(code)s” has a descriptor but none in English.")
                    % {"point": point, "code": code},
                )
            )
        if texts:
            descriptors[point] = texts
    lacking = [point for point in SCALE if point not in rows]
    if lacking:
        errors.append(
            _at(
                "survey",
                number,
                type_column,
                _(
                    "choice list “%(list)s” lacks the points %(points)s: the scale has all five points, labelled with just the number where there is no descriptor."
                )
                % {"list": list_name, "points": ", ".join(lacking)},
            )
        )
    for point in REQUIRED_POINTS:
        if point in rows and DEFAULT_LANGUAGE not in descriptors.get(point, {}):
            errors.append(
                _at(
                    "choices",
                    rows[point],
                    label_column,
                    _("item “%(code)s” has no descriptor for %(point)s (1, 3 and 5 need one).")
                    % {"code": code, "point": point},
                )
            )
    return {point: descriptors[point] for point in SCALE if point in descriptors}
