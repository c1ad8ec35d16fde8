"""Coordinators define programmes: name, period, participating organisations and departments,
targets (issue 10; filled in by the programmes work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("programmes", __name__)
