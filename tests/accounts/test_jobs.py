"""The accounts jobs: old reset and invitation tokens are deleted, live ones kept."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.accounts.jobs import cleanup_tokens
from lms.accounts.models import AuthToken
from lms.core.jobs import JobContext
from lms.core.time import UTC
from tests import factories

NOW = datetime(2026, 6, 1, 1, 15, tzinfo=UTC)


def _token(session: Session, label: str, expires: float, used: float | None = None) -> AuthToken:
    """A token expiring `expires` days from NOW (negative: ago), used `used` days ago."""
    token = AuthToken(
        user_id=factories.user(session).id,
        purpose="reset",
        token_hash=label.ljust(64, "0"),
        created_at=NOW - timedelta(days=30),
        expires_at=NOW + timedelta(days=expires),
        used_at=None if used is None else NOW - timedelta(days=used),
    )
    session.add(token)
    return token


def test_cleanup_deletes_tokens_used_or_expired_over_a_week_ago(
    app: Flask, session: Session
) -> None:
    _token(session, "expired8", expires=-8)
    _token(session, "used8", expires=5, used=8)
    kept = {
        _token(session, "expired6", expires=-6).token_hash,
        _token(session, "used6", expires=-1, used=6).token_hash,
        _token(session, "live", expires=1).token_hash,
        _token(session, "invite", expires=14).token_hash,
    }
    session.flush()
    ctx = JobContext(session=session, now=NOW, app=app, log=logging.getLogger("test"))
    assert cleanup_tokens(ctx) == {"tokens_deleted": 2}
    session.expire_all()
    assert set(session.scalars(select(AuthToken.token_hash))) == kept
