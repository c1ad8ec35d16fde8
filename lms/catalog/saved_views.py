"""Saving activities for later ("Spara till senare") and the saved list."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("saved", __name__)
