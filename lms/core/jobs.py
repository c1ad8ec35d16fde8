"""The job contract: a scheduled job is a plain function of a JobContext returning counts.

Each domain keeps its jobs in its own `jobs.py`; `lms/jobs.py` registers them all in one
place as `JobSpec`s; `lms/core/scheduler.py` runs them (APScheduler, Europe/Stockholm),
taking a lease per scheduled run so that two scheduler processes never run the same run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session


@dataclass
class JobContext:
    """What a job gets: a session (the runner commits), the scheduled time, the app, a log."""

    session: Session
    now: datetime  # the scheduled time of this run, aware UTC
    app: Flask
    log: logging.Logger
    # Tests (and one-off commands) may run a job with other settings than the app's,
    # e.g. the outbox sender pointed at an in-process SMTP server.
    settings_override: Any = None

    @property
    def settings(self) -> Any:
        if self.settings_override is not None:
            return self.settings_override
        return self.app.config["LMS"]


JobFunction = Callable[[JobContext], Mapping[str, int]]


@dataclass(frozen=True)
class JobSpec:
    """A job in the registry: when it runs (an APScheduler trigger) and what it does."""

    name: str
    func: JobFunction
    description: str
    trigger: str  # "interval" or "cron"
    trigger_args: dict[str, Any] = field(default_factory=dict)  # e.g. {"minutes": 1}
    lease_seconds: int = 600  # a crashed run's lease expires after this
