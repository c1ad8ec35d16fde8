"""Login throttling per account and per IP with Flask-Limiter (memory or Redis).

Two moving-window limits guard the login POST:

- per account: every attempt for an e-mail address counts (an atomic hit in the
  storage, so parallel attempts on several workers cannot slip past the limit);
  a successful login clears the account's count, so the figure is "failed attempts
  since the last success";
- per IP: only failed attempts count (a deduction after the response), so an office
  behind one address is not locked out by its own successful logins.

The storage is `memory://` in the embedded mode (one process) and Redis when
`LMS_REDIS_URL` is set, so every gunicorn worker shares the counts.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, g, request
from flask_limiter import Limiter, RequestLimit
from flask_limiter.errors import RateLimitExceeded

ACCOUNT_PREFIX = "account:"
IP_PREFIX = "ip:"
_FAILED_FLAG = "lms_login_failed"


def account_key() -> str:
    """The limit key of the account a login POST names (the e-mail, trimmed, lower case)."""
    email = request.form.get("email", "").strip().lower()
    return ACCOUNT_PREFIX + (email or "-")


def ip_key() -> str:
    return IP_PREFIX + (request.remote_addr or "unknown")


def mark_login_failed() -> None:
    """Tell the per-IP limit that this login attempt failed (it deducts after the response)."""
    setattr(g, _FAILED_FLAG, True)


def _login_failed(_response: Response) -> bool:
    return bool(g.get(_FAILED_FLAG))


def _answer_with_response(error: RateLimitExceeded) -> Any:
    return error.get_response()


class LoginThrottle:
    """The application's Flask-Limiter and its two login limits."""

    def __init__(
        self, app: Flask, storage_url: str, per_account: int, per_ip: int, window_seconds: int
    ) -> None:
        self.window = window_seconds
        self.per_account = per_account
        self.per_ip = per_ip
        self.storage_uri = storage_url or "memory://"
        self.limiter = Limiter(
            ip_key,
            app=app,
            storage_uri=self.storage_uri,
            strategy="moving-window",
            key_prefix="lms-login",
            headers_enabled=False,
        )
        app.register_error_handler(RateLimitExceeded, _answer_with_response)

    def protect(
        self, view: Callable[..., Any], on_breach: Callable[[int], Response]
    ) -> Callable[..., Any]:
        """The login view with the two limits on its POST; `on_breach(minutes)` answers a
        refusal. The caller registers the returned view in place of `view`."""

        def breached(limit: RequestLimit) -> Response:
            wait = max(1, int(limit.reset_at - time.time()))
            return on_breach(max(1, -(-min(wait, self.window) // 60)))

        common: dict[str, Any] = {"methods": ["POST"], "on_breach": breached}
        per_account = self.limiter.limit(
            f"{self.per_account} per {self.window} second", key_func=account_key, **common
        )
        per_ip = self.limiter.limit(
            f"{self.per_ip} per {self.window} second",
            key_func=ip_key,
            deduct_when=_login_failed,
            **common,
        )
        return per_ip(per_account(view))

    def clear_account(self) -> None:
        """Forget the current request's account attempts (after a successful login)."""
        for current in self.limiter.current_limits:
            if any(str(arg).startswith(ACCOUNT_PREFIX) for arg in current.request_args):
                self.limiter.limiter.clear(current.limit, *current.request_args)

    def reset(self) -> None:
        """Forget every count (tests start from zero)."""
        self.limiter.reset()
