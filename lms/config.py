"""Settings read from LMS_* environment variables; tests pass overrides."""

from __future__ import annotations

import os
import re
import secrets
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from lms.core.markdown import DEFAULT_VIDEO_HOSTS

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = REPO_ROOT / "instance"
INSECURE_SECRETS = {"", "dev", "change-me", "secret"}


class ConfigError(RuntimeError):
    """Raised when the configuration cannot run safely."""


def _bool(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class Settings:
    """Every setting the application reads, with the embedded defaults."""

    env: str = "embedded"  # embedded | production | test
    instance_path: Path = DEFAULT_INSTANCE
    database_url: str = ""
    secret_key: str = ""
    base_url: str = "http://127.0.0.1:5000"
    smtp_host: str = ""
    smtp_port: int = 25
    smtp_user: str = ""
    smtp_password: str = ""
    smtp_from: str = "Lärlyft <noreply@larlyft.example>"
    smtp_starttls: bool = False
    min_group_size: int = 5
    # Retention per record class in days (0 = keep forever); see README "Retention".
    retention_assessments_days: int = 1095  # after the round closed
    retention_plans_days: int = 1095  # after the plan ended
    retention_completions_days: int = 3650  # after the completion; never inside a programme
    retention_logs_days: int = 730  # audit events, job runs, mails, notifications
    redis_url: str = ""
    # Reverse proxies in front of the app whose X-Forwarded-For/-Proto/-Host are trusted
    # (0: none — the client address is the socket's). Behind one nginx: 1.
    trusted_proxies: int = 0
    login_attempts_per_account: int = 5
    login_attempts_per_ip: int = 30
    login_window_seconds: int = 900
    remember_days: int = 14
    reset_token_hours: int = 2
    invite_token_days: int = 14
    accessibility_contact: str = "tillganglighet@larlyft.example"
    video_hosts: tuple[str, ...] = DEFAULT_VIDEO_HOSTS
    job_intervals: dict[str, int] = field(default_factory=dict)  # job name → seconds
    debug: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def is_production(self) -> bool:
        return self.env == "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def with_overrides(self, **overrides: Any) -> Settings:
        return replace(self, **overrides)


_ENV_MAP: dict[str, tuple[str, type]] = {
    "LMS_ENV": ("env", str),
    "LMS_INSTANCE_PATH": ("instance_path", Path),
    "LMS_DATABASE_URL": ("database_url", str),
    "LMS_SECRET_KEY": ("secret_key", str),
    "LMS_BASE_URL": ("base_url", str),
    "LMS_SMTP_HOST": ("smtp_host", str),
    "LMS_SMTP_PORT": ("smtp_port", int),
    "LMS_SMTP_USER": ("smtp_user", str),
    "LMS_SMTP_PASSWORD": ("smtp_password", str),
    "LMS_SMTP_FROM": ("smtp_from", str),
    "LMS_SMTP_STARTTLS": ("smtp_starttls", bool),
    "LMS_MIN_GROUP_SIZE": ("min_group_size", int),
    "LMS_RETENTION_ASSESSMENTS_DAYS": ("retention_assessments_days", int),
    "LMS_RETENTION_PLANS_DAYS": ("retention_plans_days", int),
    "LMS_RETENTION_COMPLETIONS_DAYS": ("retention_completions_days", int),
    "LMS_RETENTION_LOGS_DAYS": ("retention_logs_days", int),
    "LMS_REDIS_URL": ("redis_url", str),
    "LMS_TRUSTED_PROXIES": ("trusted_proxies", int),
    "LMS_LOGIN_ATTEMPTS_PER_ACCOUNT": ("login_attempts_per_account", int),
    "LMS_LOGIN_ATTEMPTS_PER_IP": ("login_attempts_per_ip", int),
    "LMS_ACCESSIBILITY_CONTACT": ("accessibility_contact", str),
    "LMS_DEBUG": ("debug", bool),
    "LMS_VIDEO_HOSTS": ("video_hosts", tuple),
    "LMS_JOB_INTERVALS": ("job_intervals", dict),
}
INTERVAL_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_INTERVAL = re.compile(r"(?P<name>[a-z_][a-z0-9_]*)\s*=\s*(?P<count>[0-9]+)(?P<unit>[smhd])")


def parse_job_intervals(raw: str) -> dict[str, int]:
    """`send_outbox=2s,cleanup_tokens=1h` → {"send_outbox": 2, "cleanup_tokens": 3600}."""
    intervals: dict[str, int] = {}
    for part in (piece.strip() for piece in raw.split(",")):
        if not part:
            continue
        match = _INTERVAL.fullmatch(part)
        if match is None or int(match["count"]) == 0:
            raise ValueError(f"{part!r} is not NAME=NUMBER followed by s, m, h or d (e.g. 2s)")
        intervals[match["name"]] = int(match["count"]) * INTERVAL_UNITS[match["unit"]]
    return intervals


def _convert(raw: str, kind: type) -> Any:
    if kind is bool:
        return _bool(raw)
    if kind is int:
        return int(raw)
    if kind is tuple:
        return tuple(part.strip().lower() for part in raw.split(",") if part.strip())
    if kind is dict:
        return parse_job_intervals(raw)
    return kind(raw)


def load_settings(environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from the environment, then apply explicit overrides."""
    environ = dict(os.environ if environ is None else environ)
    values: dict[str, Any] = {}
    for var, (name, kind) in _ENV_MAP.items():
        if environ.get(var, "") != "":
            try:
                values[name] = _convert(environ[var], kind)
            except ValueError as exc:
                raise ConfigError(f"{var}: {exc}") from exc
    known = {f.name for f in fields(Settings)}
    unknown = set(overrides) - known
    if unknown:
        raise ConfigError(f"unknown settings: {', '.join(sorted(unknown))}")
    values.update(overrides)
    settings = Settings(**values)
    instance = Path(settings.instance_path)
    if not settings.database_url:
        settings = replace(settings, database_url=f"sqlite:///{instance / 'larlyft.db'}")
    return replace(settings, instance_path=instance)


def resolve_secret_key(settings: Settings) -> str:
    """Return the secret key; embedded mode creates and keeps one under instance/."""
    if settings.secret_key:
        if settings.is_production and settings.secret_key in INSECURE_SECRETS:
            raise ConfigError("LMS_SECRET_KEY is a well-known value; set a random one")
        if settings.is_production and len(settings.secret_key) < 32:
            raise ConfigError("LMS_SECRET_KEY must be at least 32 characters in production")
        return settings.secret_key
    if settings.is_production:
        raise ConfigError("production needs LMS_SECRET_KEY; refusing to start without it")
    key_file = Path(settings.instance_path) / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="ascii").strip()
    key_file.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    tmp = key_file.with_suffix(".tmp")
    tmp.write_text(key, encoding="ascii")
    tmp.chmod(0o600)
    tmp.replace(key_file)
    return key


def validate_production(settings: Settings) -> None:
    """Refuse unsafe production settings before anything is served."""
    if not settings.is_production:
        return
    if settings.debug:
        raise ConfigError("LMS_DEBUG must be off in production")
    if not settings.base_url.startswith("https://"):
        raise ConfigError("LMS_BASE_URL must be https:// in production")
