"""Report files for spreadsheet users: CSV (UTF-8 with BOM, so Excel reads it right) and XLSX.

Every string cell is neutralised against formula injection (OWASP's CSV injection advice): a
name or title someone typed, such as `=HYPERLINK(…)`, must never become a formula when a
coordinator opens the file. Numbers stay numbers, so a negative number is never touched.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, islice
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.cell import WriteOnlyCell  # type: ignore[import-untyped]
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE  # type: ignore[import-untyped]
from openpyxl.styles import Font  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]
from openpyxl.worksheet._write_only import WriteOnlyWorksheet  # type: ignore[import-untyped]

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
INTEGER_FORMAT = "#,##0"
DECIMAL_FORMAT = "#,##0.0"
PERCENT_FORMAT = "0.0%"
DATE_FORMAT = "yyyy-mm-dd"
WIDTH_SAMPLE = 200  # rows looked at to size the columns (the rest streams)
MIN_WIDTH, MAX_WIDTH = 8, 60


def _could_be_formula(text: str) -> bool:
    # Also behind leading spaces (an import that trims them) and in fullwidth forms (＝, ＋),
    # which some spreadsheets' input conversion turns into the ASCII sign.
    if text.startswith(FORMULA_STARTS):
        return True
    head = unicodedata.normalize("NFKC", text.lstrip(" \u00a0\u3000")[:1])
    return head != "" and head in "=+-@"


def neutralise(value: Any) -> Any:
    """`value` made safe for a spreadsheet cell: a string that a spreadsheet would read as a
    formula gets a leading apostrophe; numbers, dates and None are returned as they are."""
    if isinstance(value, str) and _could_be_formula(value):
        return "'" + value
    return value


def _csv_cell(value: Any, decimal_comma: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        # repr keeps every digit, so the file holds the report's numbers exactly.
        return repr(value).replace(".", ",") if decimal_comma else repr(value)
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(value)


def csv_chunks(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    delimiter: str = ",",
    decimal_comma: bool = False,
) -> Iterator[bytes]:
    """The CSV file in pieces (the BOM and header first, then about 500 rows at a time), so a
    long listing can stream; `decimal_comma` writes 1,5 for Swedish Excel's `;` files."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    buffer.write(BOM)
    writer.writerow([neutralise(name) for name in header])
    iterator = iter(rows)
    while True:
        batch = list(islice(iterator, 500))
        for row in batch:
            writer.writerow([_csv_cell(value, decimal_comma) for value in row])
        yield buffer.getvalue().encode("utf-8")
        buffer.seek(0)
        buffer.truncate()
        if not batch:
            return


def csv_bytes(
    header: Sequence[str],
    rows: Iterable[Sequence[Any]],
    *,
    delimiter: str = ",",
    decimal_comma: bool = False,
) -> bytes:
    """A whole CSV file: UTF-8 with BOM, CRLF line ends, every string cell neutralised."""
    return b"".join(csv_chunks(header, rows, delimiter=delimiter, decimal_comma=decimal_comma))


@dataclass(frozen=True)
class Sheet:
    """One worksheet: a title (at most 31 characters), a header row and rows of plain values.

    `formats` overrides the number format of a column (by index); otherwise integers get
    "#,##0", other numbers "#,##0.0" and dates "yyyy-mm-dd"."""

    title: str
    header: Sequence[str]
    rows: Iterable[Sequence[Any]]
    formats: Mapping[int, str] = field(default_factory=dict)


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", neutralise(value))
    return value


def _number_format(value: Any, column: int, formats: Mapping[int, str]) -> str | None:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return None
    if column in formats:
        return formats[column]
    if isinstance(value, int):
        return INTEGER_FORMAT
    if isinstance(value, float):
        return DECIMAL_FORMAT
    if isinstance(value, date):
        return DATE_FORMAT
    return None


def _width(value: Any) -> int:
    if isinstance(value, float):
        return len(f"{value:,.1f}")
    if isinstance(value, int):
        return len(f"{value:,}")
    return len(str(value)) if value is not None else 0


def _column_widths(header: Sequence[str], sample: Sequence[Sequence[Any]]) -> list[int]:
    widths = [len(name) for name in header]
    for row in sample:
        for index, value in enumerate(row):
            if index < len(widths):
                widths[index] = max(widths[index], _width(value))
    return [min(max(width + 2, MIN_WIDTH), MAX_WIDTH) for width in widths]


def _write_sheet(worksheet: WriteOnlyWorksheet, sheet: Sheet) -> None:
    iterator = iter(sheet.rows)
    sample = list(islice(iterator, WIDTH_SAMPLE))
    for index, width in enumerate(_column_widths(sheet.header, sample), start=1):
        worksheet.column_dimensions[get_column_letter(index)].width = width
    worksheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header = []
    for name in sheet.header:
        cell = WriteOnlyCell(worksheet, value=_xlsx_value(name))
        cell.font = bold
        header.append(cell)
    worksheet.append(header)
    for row in chain(sample, iterator):
        cells = []
        for index, value in enumerate(row):
            cell = WriteOnlyCell(worksheet, value=_xlsx_value(value))
            number_format = _number_format(value, index, sheet.formats)
            if number_format:
                cell.number_format = number_format
            cells.append(cell)
        worksheet.append(cells)


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """A workbook with one formatted worksheet per `Sheet` (bold, frozen header row; columns
    sized to their contents; numbers stored as numbers with a number format)."""
    workbook = Workbook(write_only=True)
    for sheet in sheets:
        _write_sheet(workbook.create_sheet(title=sheet.title[:31]), sheet)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
