"""Competence areas and competences with level descriptors, role expectations, subjects."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.db import Base


class CompetenceArea(Base):
    __tablename__ = "competence_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)

    competences: Mapped[list[Competence]] = relationship(
        back_populates="area", order_by="Competence.position"
    )

    def __repr__(self) -> str:
        return f"<CompetenceArea {self.code} {self.name!r}>"


class Competence(Base):
    """A sub-competence such as 2.3, with what each level 1–5 means."""

    __tablename__ = "competences"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_id: Mapped[int] = mapped_column(
        ForeignKey("competence_areas.id", ondelete="RESTRICT"), index=True
    )
    code: Mapped[str] = mapped_column(String(8), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    digcomp: Mapped[str | None] = mapped_column(String(8))
    description: Mapped[str] = mapped_column(Text, default="")
    levels: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    position: Mapped[int] = mapped_column(default=0)

    area: Mapped[CompetenceArea] = relationship(back_populates="competences")

    def __repr__(self) -> str:
        return f"<Competence {self.code} {self.name!r}>"

    def level_text(self, level: int) -> str:
        return str(self.levels.get(str(level), ""))


class RoleExpectation(Base):
    """The level a job role is expected to have in a competence (absent = does not apply)."""

    __tablename__ = "role_expectations"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level"),)

    job_role_id: Mapped[int] = mapped_column(
        ForeignKey("job_roles.id", ondelete="CASCADE"), primary_key=True
    )
    competence_id: Mapped[int] = mapped_column(
        ForeignKey("competences.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    level: Mapped[int]

    competence: Mapped[Competence] = relationship()

    def __repr__(self) -> str:
        return f"<RoleExpectation role={self.job_role_id} {self.competence_id}={self.level}>"


class Subject(Base):
    """An ämnesområde that cuts across the competence areas."""

    __tablename__ = "subjects"

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(default=0)

    def __repr__(self) -> str:
        return f"<Subject {self.slug}>"
