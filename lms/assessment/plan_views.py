"""Development plans: goals, chosen activities, learning requests and the follow-up talk."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("plans", __name__)
