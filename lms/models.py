"""Imports every domain's models so metadata is complete (Alembic, tests)."""

from lms.accounts import models as accounts_models
from lms.core import audit, outbox
from lms.home import models as home_models

__all__ = ["accounts_models", "audit", "home_models", "outbox"]
