"""The learner's and the manager's pages: Mina uppgifter, answering a task, confirming one."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("transfer", __name__)
