"""Tables behind the job registry: one row per scheduled run, one lock per job."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base
from lms.core.time import utcnow


class JobRun(Base):
    """One execution of a job for one scheduled time; the unique run key makes it happen once."""

    __tablename__ = "job_runs"
    __table_args__ = (
        UniqueConstraint("job_name", "run_key"),
        CheckConstraint("status IN ('running', 'succeeded', 'failed', 'expired')", name="status"),
        Index("ix_job_runs_job_name_started_at", "job_name", "started_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(100))
    run_key: Mapped[str] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(16), default="running")
    worker: Mapped[str] = mapped_column(String(200), default="")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    result: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<JobRun {self.job_name} {self.run_key} {self.status}>"


class JobLock(Base):
    """A lease on a job: only its holder runs the job until `lease_until` (crashes expire)."""

    __tablename__ = "job_locks"

    job_name: Mapped[str] = mapped_column(String(100), primary_key=True)
    holder: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[datetime | None]

    def __repr__(self) -> str:
        return f"<JobLock {self.job_name} {self.holder} until {self.lease_until}>"
