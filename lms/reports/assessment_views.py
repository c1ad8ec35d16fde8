"""Assessment analytics pages: aggregates per round and between rounds, tables and charts."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("assessment_reports", __name__)
