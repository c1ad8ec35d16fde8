"""The manager's pages: the team's assessments and the conversation (agreed levels, notes)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("conversation", __name__)
