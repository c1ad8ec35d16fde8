"""Recommendation pages (helper C writes this)."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("recommend", __name__)
