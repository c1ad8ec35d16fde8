"""The per-user recommendation cache, "not interested" marks and each person's cache state."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.catalog.models import Activity
from lms.core.db import Base
from lms.core.time import utcnow


class Recommendation(Base):
    """One cached recommendation: `user`'s activity at `position` (1 = best), with its reasons.

    Written only by `lms.recommend.cache` (all of a person's rows at once); read by the
    start page, the list page and the plan page.
    """

    __tablename__ = "recommendations"
    __table_args__ = (
        CheckConstraint("position > 0", name="position"),
        Index("ix_recommendations_user_position", "user_id", "position"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[int]
    score: Mapped[float]
    competence_id: Mapped[int | None] = mapped_column(
        ForeignKey("competences.id", ondelete="SET NULL")
    )
    # [{"kind": "gap", "params": {...}}, …]: lms.recommend.data.Reason.to_json()
    reasons: Mapped[list[Any]] = mapped_column(JSON, default=list)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[Activity] = relationship()

    def __repr__(self) -> str:
        return f"<Recommendation {self.user_id}:{self.activity_id} #{self.position}>"


class NotInterested(Base):
    """A person's "inte intresserad" on an activity: never recommended to them again."""

    __tablename__ = "not_interested"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    activity_id: Mapped[int] = mapped_column(
        ForeignKey("activities.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    activity: Mapped[Activity] = relationship()

    def __repr__(self) -> str:
        return f"<NotInterested {self.user_id}:{self.activity_id}>"


class RecommendationState(Base):
    """When a person's cache was last computed and whether something changed since.

    No row means never computed; `stale_since` set means their assessment, plan,
    completions or an activity that concerns them changed after `refreshed_at`.
    """

    __tablename__ = "recommendation_states"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    refreshed_at: Mapped[datetime | None]
    stale_since: Mapped[datetime | None] = mapped_column(index=True)

    def __repr__(self) -> str:
        return f"<RecommendationState {self.user_id} stale={self.stale_since is not None}>"
