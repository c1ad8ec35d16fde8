"""Problem reports from the accessibility statement page."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from lms.core.db import Base
from lms.core.time import utcnow


class AccessibilityReport(Base):
    """A visitor's report of an accessibility problem (required of public-sector services)."""

    __tablename__ = "accessibility_reports"
    __table_args__ = (CheckConstraint("status IN ('new', 'handled')", name="status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    page_url: Mapped[str] = mapped_column(String(500))
    description: Mapped[str] = mapped_column(Text)
    contact_email: Mapped[str | None] = mapped_column(String(320))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(16), default="new")

    def __repr__(self) -> str:
        return f"<AccessibilityReport {self.id} {self.status}>"
