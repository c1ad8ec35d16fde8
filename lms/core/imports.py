"""What every CSV import shares: the all-or-nothing error and how a command reports it."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import TypeVar

import click
from sqlalchemy.orm import Session

from lms.core.db import db

T = TypeVar("T")


class ImportFailed(Exception):
    """The file has problems; `errors` holds one "<file>:<line>: <reason>" per problem."""

    def __init__(self, errors: list[str], what: str = "file") -> None:
        super().__init__(f"{len(errors)} problem(s) in the {what}")
        self.errors = errors


def run_import(work: Callable[[Session], T]) -> T:
    """Run an import in one transaction; on problems print them, write nothing, exit 1."""
    try:
        with db.transaction() as session:
            return work(session)
    except ImportFailed as failed:
        for line in failed.errors:
            click.echo(line, err=True)
        click.echo(f"{len(failed.errors)} problem(s); nothing was imported.", err=True)
        raise SystemExit(1) from None


CsvRecord = tuple[int, list[str]]  # (first line of the record, its stripped values)


def read_csv_records(text: str) -> tuple[list[CsvRecord], list[tuple[int, str]]]:
    """The non-empty records of a CSV text (BOM dropped; comma or semicolon, by the header)
    with the line each starts on, or no records and the (line, reason) of invalid CSV."""
    text = text.removeprefix("\ufeff")
    first = text.split("\n", 1)[0]
    delimiter = ";" if first.count(";") > first.count(",") else ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    records: list[CsvRecord] = []
    try:
        while True:
            start = reader.line_num + 1
            values = next(reader)
            if any(value.strip() for value in values):
                records.append((start, [value.strip() for value in values]))
    except StopIteration:
        pass
    except csv.Error as error:
        return [], [(reader.line_num, f"the line is not valid CSV ({error})")]
    return records, []
