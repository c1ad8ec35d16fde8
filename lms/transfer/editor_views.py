"""The course owner's pages: editing an activity's tasks and its Transfer of Training figures."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("transfer_editor", __name__)
