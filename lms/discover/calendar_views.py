"""The calendar of upcoming sessions (month, week, list) and the shared iCalendar feeds."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("calendar", __name__)
