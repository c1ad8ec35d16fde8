"""Imports every domain's models so metadata is complete (Alembic, tests)."""

from lms.accounts import models as accounts_models
from lms.assessment import models as assessment_models
from lms.catalog import models as catalog_models
from lms.core import audit, jobs_models, outbox
from lms.framework import models as framework_models
from lms.home import models as home_models
from lms.notify import models as notify_models
from lms.progress import models as progress_models
from lms.recommend import models as recommend_models
from lms.reports import models as reports_models
from lms.transfer import models as transfer_models

__all__ = [
    "accounts_models",
    "assessment_models",
    "audit",
    "catalog_models",
    "framework_models",
    "home_models",
    "jobs_models",
    "notify_models",
    "outbox",
    "progress_models",
    "recommend_models",
    "reports_models",
    "transfer_models",
]
