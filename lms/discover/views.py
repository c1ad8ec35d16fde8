"""Theme month pages and their archive, subject, competence area and department entrances."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("discover", __name__)
