"""What every CSV import shares: the all-or-nothing error and how a command reports it."""

from __future__ import annotations

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
