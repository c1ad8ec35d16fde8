"""Every table of the application, read from the metadata once every domain's models are in."""

from __future__ import annotations

from sqlalchemy import Table

# Imported for their tables (lms.models stands above this package in the layers).
from lms.accounts import models as _accounts  # noqa: F401
from lms.assessment import models as _assessment  # noqa: F401
from lms.catalog import models as _catalog  # noqa: F401
from lms.core import audit as _audit  # noqa: F401
from lms.core import jobs_models as _jobs  # noqa: F401
from lms.core import outbox as _outbox  # noqa: F401
from lms.core.db import Base
from lms.framework import models as _framework  # noqa: F401
from lms.home import models as _home  # noqa: F401
from lms.notify import models as _notify  # noqa: F401
from lms.progress import models as _progress  # noqa: F401
from lms.recommend import models as _recommend  # noqa: F401
from lms.reports import models as _reports  # noqa: F401
from lms.transfer import models as _transfer  # noqa: F401


def all_tables() -> dict[str, Table]:
    """Every table of the application, by name."""
    return dict(Base.metadata.tables)
