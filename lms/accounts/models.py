"""Organisation, Department, JobRole, User and one-time AuthToken tables."""

from __future__ import annotations

import enum
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from lms.core.access import Permission
from lms.core.db import Base
from lms.core.i18n import _l
from lms.core.time import utcnow


class Gender(enum.StrEnum):
    """The ESF+ reporting categories."""

    WOMAN = "woman"
    MAN = "man"
    NON_BINARY = "non_binary"
    UNSTATED = "unstated"


class ReportScope(enum.StrEnum):
    """What a coordinator's reports cover: their department, their organisation or all."""

    DEPARTMENT = "department"
    ORGANISATION = "organisation"
    ALL = "all"


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)

    departments: Mapped[list[Department]] = relationship(
        back_populates="organisation", order_by="Department.name"
    )

    def __repr__(self) -> str:
        return f"<Organisation {self.name!r}>"


class Department(Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id", ondelete="SET NULL"))

    organisation: Mapped[Organisation] = relationship(back_populates="departments")
    parent: Mapped[Department | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<Department {self.name!r}>"


# A pseudonymised (departed) person's address: `pseudonym-<hex>@invalid` (RFC 2606, never
# routable). lms.privacy makes it; the account rules here refuse to bring such a person back.
PSEUDONYM_PREFIX = "pseudonym-"
PSEUDONYM_DOMAIN = "invalid"


class JobRole(Base):
    __tablename__ = "job_roles"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)

    def __repr__(self) -> str:
        return f"<JobRole {self.name!r}>"


class User(UserMixin, Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("gender IN ('woman', 'man', 'non_binary', 'unstated')", name="gender"),
        CheckConstraint("permissions >= 0 AND permissions < 32", name="permissions"),
        CheckConstraint(
            "report_scope IN ('department', 'organisation', 'all')", name="report_scope"
        ),
        CheckConstraint("session_version >= 1", name="session_version"),
        CheckConstraint("manager_id IS NULL OR manager_id <> id", name="not_own_manager"),
        Index("ix_users_name", "name"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    job_role_id: Mapped[int | None] = mapped_column(
        ForeignKey("job_roles.id", ondelete="SET NULL"), index=True
    )
    manager_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    gender: Mapped[str] = mapped_column(String(16), default=Gender.UNSTATED)
    is_protected_identity: Mapped[bool] = mapped_column(default=False)
    permissions: Mapped[int] = mapped_column(default=0)
    # Coordinators: what their reports cover (admins always see everything).
    report_scope: Mapped[str] = mapped_column(
        String(16), default=ReportScope.ORGANISATION, server_default="organisation"
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    password_hash: Mapped[str | None] = mapped_column(String(200))
    session_version: Mapped[int] = mapped_column(default=1)
    language: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]

    organisation: Mapped[Organisation] = relationship()
    department: Mapped[Department | None] = relationship()
    job_role: Mapped[JobRole | None] = relationship()
    manager: Mapped[User | None] = relationship(remote_side=[id])

    def __repr__(self) -> str:
        return f"<User {self.id} {self.email}>"

    def get_id(self) -> str:
        # The session version rides in the id, so logging out everywhere,
        # a password change or a deactivation invalidates every old cookie.
        return f"{self.id}:{self.session_version}"

    @property
    def permission_flags(self) -> Permission:
        return Permission(self.permissions)

    def has(self, permission: Permission) -> bool:
        return bool(self.permission_flags & permission)

    @property
    def permission_keys(self) -> list[str]:
        return [p.key for p in Permission if p in self.permission_flags]

    @property
    def has_password(self) -> bool:
        return self.password_hash is not None

    @property
    def public_name(self) -> str:
        """The name as shown outside the person's own manager chain: a protected identity is
        never named in lists, logs or pickers (the funder's participant file excepted)."""
        return str(_l("Name withheld")) if self.is_protected_identity else self.name

    @property
    def is_pseudonymised(self) -> bool:
        return self.email.startswith(PSEUDONYM_PREFIX) and self.email.endswith(
            f"@{PSEUDONYM_DOMAIN}"
        )


class TokenPurpose(enum.StrEnum):
    RESET = "reset"
    INVITE = "invite"


class AuthToken(Base):
    """A one-time token for a password reset or an invitation; only its hash is stored."""

    __tablename__ = "auth_tokens"
    __table_args__ = (CheckConstraint("purpose IN ('reset', 'invite')", name="purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    purpose: Mapped[str] = mapped_column(String(16))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    used_at: Mapped[datetime | None]

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<AuthToken {self.purpose} user={self.user_id}>"
