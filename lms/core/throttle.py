"""Login throttling per account and per IP over a moving window (memory or Redis)."""

from __future__ import annotations

from dataclasses import dataclass

from limits import RateLimitItemPerSecond, storage, strategies


@dataclass(frozen=True)
class ThrottleDecision:
    allowed: bool
    retry_after_seconds: int = 0


class LoginThrottle:
    """Counts failed logins; refuses further attempts once a limit is reached."""

    def __init__(
        self, storage_url: str, per_account: int, per_ip: int, window_seconds: int
    ) -> None:
        self._storage = storage.storage_from_string(storage_url or "memory://")
        self._limiter = strategies.MovingWindowRateLimiter(self._storage)
        self._per_account = RateLimitItemPerSecond(per_account, window_seconds)
        self._per_ip = RateLimitItemPerSecond(per_ip, window_seconds)
        self._window = window_seconds

    def _keys(self, account: str, ip: str) -> list[tuple[RateLimitItemPerSecond, str]]:
        return [
            (self._per_account, "login-account:" + account.strip().lower()),
            (self._per_ip, "login-ip:" + ip),
        ]

    def check(self, account: str, ip: str) -> ThrottleDecision:
        """May another attempt be made for this account from this address?"""
        for item, key in self._keys(account, ip):
            if not self._limiter.test(item, key):
                reset_at, _remaining = self._limiter.get_window_stats(item, key)
                import time

                wait = max(1, int(reset_at - time.time()))
                return ThrottleDecision(False, min(wait, self._window))
        return ThrottleDecision(True)

    def record_failure(self, account: str, ip: str) -> None:
        for item, key in self._keys(account, ip):
            self._limiter.hit(item, key)

    def clear_account(self, account: str) -> None:
        """Forget an account's failures after a successful login or reset."""
        self._limiter.clear(self._per_account, "login-account:" + account.strip().lower())

    def reset(self) -> None:
        self._storage.reset()
