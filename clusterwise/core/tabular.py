"""Read CSV and Excel files into rows of strings, numbered as a person sees them in the file.

Pure helpers with no models, so they are easy to test on their own.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any


class TabularError(ValueError):
    """The file itself cannot be read (wrong type, no header, bad encoding)."""


@dataclass(frozen=True)
class Row:
    number: int  # the line (CSV) or row (Excel) number, header = 1
    values: dict[str, str]


def _clean_header(header: Sequence[Any]) -> list[str]:
    names = [str(h).strip().lower().replace(" ", "_") if h is not None else "" for h in header]
    if not any(names):
        raise TabularError("The first row must name the columns.")
    seen: set[str] = set()
    for name in names:
        if name and name in seen:
            raise TabularError(f"The column '{name}' appears twice in the header.")
        seen.add(name)
    return names


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _rows(records: Iterator[Sequence[Any]]) -> Iterator[Row]:
    try:
        header = _clean_header(next(records))
    except StopIteration:
        raise TabularError("The file is empty.") from None
    for number, record in enumerate(records, start=2):
        cells = [_cell(v) for v in record]
        if not any(cells):
            continue  # blank lines are not rows
        values = {
            name: (cells[i] if i < len(cells) else "") for i, name in enumerate(header) if name
        }
        yield Row(number=number, values=values)


def read_rows(source: str | Path | IO[bytes], filename: str | None = None) -> list[Row]:
    """All non-blank rows of a .csv, .xlsx or .xls file, keyed by lower-cased header names."""
    name = (filename or str(getattr(source, "name", source))).lower()
    data = Path(source).read_bytes() if isinstance(source, (str, Path)) else source.read()
    if name.endswith(".csv"):
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise TabularError(
                f"The CSV file is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'."
            ) from None
        return list(_rows(iter(csv.reader(io.StringIO(text, newline="")))))
    if name.endswith((".xlsx", ".xlsm", ".xls", ".ods")):
        from python_calamine import CalamineWorkbook

        try:
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
            sheet = workbook.get_sheet_by_index(0)
        except Exception as exc:  # calamine raises its own error types per format
            raise TabularError(f"The spreadsheet cannot be read: {exc}") from None
        return list(_rows(iter(sheet.to_python(skip_empty_area=False))))
    raise TabularError("Upload a .csv or .xlsx file.")
