"""Secret URL tokens (calendar feeds): how they are made and what one can look like."""

from __future__ import annotations

import re
import secrets

TOKEN_BYTES = 32  # token_urlsafe(32) is 43 characters; the columns hold 64
TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")


def new_token() -> str:
    """A fresh random URL-safe token (256 bits)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def is_token_shaped(token: str) -> bool:
    """Whether `token` could be one of ours: refuses junk before it reaches the database
    (a NUL byte in a query parameter is an error in PostgreSQL, not a miss)."""
    return bool(TOKEN_PATTERN.fullmatch(token))
