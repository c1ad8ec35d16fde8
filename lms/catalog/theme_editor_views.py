"""The coordinators' theme month pages: write, curate, preview, publish or schedule."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("theme_editor", __name__)
