"""The coordinator dashboard: participants and hours over time against targets, top activities,
feedback, Transfer of Training rates, links to assessment analytics (issue 10)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("report_dashboard", __name__)
