"""Reading the ESF report files back in tests: CSV rows, workbook values, and a check that a
report workbook holds a report dict's numbers in every sheet."""

from __future__ import annotations

import csv
import io
import math
from html.parser import HTMLParser
from typing import Any

from openpyxl import load_workbook


def read_csv(data: bytes, delimiter: str = ",") -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig")), delimiter=delimiter))


def workbook(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data))


def values(sheet: Any) -> list[list[Any]]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def same(got: Any, expected: Any) -> bool:
    """Equal, floats to the 16 significant digits a workbook stores (Excel shows 15)."""
    if isinstance(expected, float) and isinstance(got, int | float):
        return math.isclose(got, expected, rel_tol=1e-15)
    if isinstance(expected, list | tuple):
        return len(got) == len(expected) and all(map(same, got, expected))
    return bool(got == expected)


def check_workbook(book: Any, report: dict[str, Any]) -> None:
    """Every sheet of the report workbook holds the report's numbers."""
    summary, gender, departments, organisations, months, areas, formats, sources = (
        values(book[name])[1:] for name in book.sheetnames[:8]
    )
    participants, hours, per = (row[1:] for row in summary[-3:])
    targets, reached = report["targets"] or {}, report["attainment"] or {}
    expected = {
        "participants": [report["participants"]["total"], targets.get("participants"),
                         reached.get("participants")],
        "hours": [report["hours"]["total"], targets.get("hours"), reached.get("hours")],
        "per": [report["hours"]["per_participant"], targets.get("hours_per_participant"),
                reached.get("hours_per_participant")],
    }  # fmt: skip
    assert same([participants, hours, per], list(expected.values()))
    keys = ("women", "men", "non_binary", "not_stated")
    tables = [
        (gender, 1, [
            *([report["participants"][k], report["hours_by_gender"][k]] for k in keys),
            [report["participants"]["total"], report["hours"]["total"]],
        ]),
        (departments, 2, [[r["participants"], r["hours"]] for r in report["by_department"]]),
        (organisations, 1, [[r["participants"], r["hours"]] for r in report["by_organisation"]]),
        (months, 0, [[r["month"], r["hours"], r["new_participants"]] for r in report["by_month"]]),
        (areas, 0, [[r["area"], r["name"], r["hours"], r["completions"]]
                    for r in report["by_area"]]),
        (formats, 1, [[r["hours"], r["completions"]] for r in report["by_format"]]),
        (sources, 1, [[report["by_source"][k], report["completions_by_source"][k]]
                      for k in ("catalogue", "attendance", "import", "external")]),
    ]  # fmt: skip
    for rows, skip, wanted in tables:
        assert same([row[skip:] for row in rows], wanted), (rows, wanted)


class _Tables(HTMLParser):
    """Each <table id=…>'s rows as lists of cell texts, and the key figures by their key."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, list[list[str]]] = {}
        self.figures: dict[str, str] = {}
        self._table: str | None = None
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self._figure: str | None = None
        self._in_caption = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if tag == "table" and found.get("id"):
            self._table = found["id"]
            self.tables[self._table or ""] = []
        elif tag == "tr" and self._table:
            self._row = []
        elif tag in ("th", "td") and self._row is not None:
            self._cell = []
        elif tag == "caption":
            self._in_caption = True
        elif found.get("data-figure"):
            self._figure = found["data-figure"]
            self.figures[self._figure or ""] = ""

    def handle_endtag(self, tag: str) -> None:
        if tag == "table":
            self._table = None
        elif tag == "tr" and self._table and self._row is not None:
            self.tables[self._table].append(self._row)
            self._row = None
        elif tag in ("th", "td") and self._row is not None and self._cell is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "caption":
            self._in_caption = False
        elif tag == "span" and self._figure:
            self._figure = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None and not self._in_caption:
            self._cell.append(data)
        elif self._figure:
            self.figures[self._figure] += data.strip()


def page_tables(html: str) -> tuple[dict[str, list[list[str]]], dict[str, str]]:
    """The report page's tables (header row first) and key figures, as text."""
    parser = _Tables()
    parser.feed(html)
    return parser.tables, parser.figures


def number(text: str) -> float:
    """A number as the Swedish page writes it: "28 237,0" → 28237.0, "−3,5" → -3.5."""
    cleaned = text.replace("\xa0", "").replace("\u202f", "").replace(" ", "")
    return float(cleaned.replace("−", "-").replace(",", "."))


def shown(text: str, value: float, decimals: int = 1) -> bool:
    """The page's text is `value` rounded to `decimals` places."""
    return abs(number(text) - value) <= 0.5 * 10**-decimals + 1e-9
