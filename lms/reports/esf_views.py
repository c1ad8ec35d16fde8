"""The ESF report pages: per programme or period, department filter, exports, the funder's
per-person listing (issue 10; filled in by the report pages work)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("esf_reports", __name__)
