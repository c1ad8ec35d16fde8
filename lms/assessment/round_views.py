"""The coordinators' round pages: create and edit rounds, progress per department (counts)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("rounds", __name__)
