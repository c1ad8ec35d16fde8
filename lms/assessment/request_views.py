"""The coordinators' view of learning requests: aggregated wishes, answered with an activity."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("learning_requests", __name__)
