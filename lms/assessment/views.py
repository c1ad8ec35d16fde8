"""The employee's pages: my assessments over time and the self-assessment form."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("assessment", __name__)
