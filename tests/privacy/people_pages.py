"""Helpers for the privacy walks: the text of a response (HTML, CSV, JSON or an XLSX workbook's
cells) and the GET cases of the URL map for a role."""

from __future__ import annotations

import html
import io
import zipfile
from collections.abc import Iterator

from flask import Flask
from werkzeug.routing import Rule

from tests.security.walk import Result, Walker, rules

XLSX = "spreadsheetml"


def text_of(body: bytes, content_type: str = "") -> str:
    """Everything a reader of a response could see, entities and workbook XML unpacked."""
    if XLSX in content_type or body[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(body)) as book:
            parts = [book.read(name).decode("utf-8", "replace") for name in book.namelist()]
        return html.unescape("\n".join(parts))
    return html.unescape(body.decode("utf-8", "replace"))


FILES = {"static", "editor.uploaded_file"}  # files served as they are: images and CSS


def get_rules(app: Flask) -> list[Rule]:
    """Every GET rule except the ones serving static files and uploaded images."""
    return [r for r in rules(app) if "GET" in (r.methods or set()) and r.endpoint not in FILES]


def walk_gets(
    app: Flask, walker: Walker, role: str, relations: tuple[str, ...]
) -> Iterator[tuple[Rule, str, Result]]:
    """Each GET rule for `role`, with the objects of each relation (once for rules without
    arguments); cases the world has no object for are left out."""
    for rule in get_rules(app):
        for relation in relations if rule.arguments else ("-",):
            result = walker.request(rule, "GET", role, relation)
            if result is not None:
                yield rule, relation, result
