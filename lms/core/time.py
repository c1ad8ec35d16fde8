"""Time helpers: store UTC, show and compute dates in Europe/Stockholm."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

STOCKHOLM = ZoneInfo("Europe/Stockholm")

__all__ = ["STOCKHOLM", "UTC", "local_date", "start_of_local_day", "to_local", "utcnow"]


def utcnow() -> datetime:
    """The current time as an aware UTC datetime."""
    return datetime.now(UTC)


def to_local(moment: datetime) -> datetime:
    """An aware datetime converted to Europe/Stockholm."""
    return moment.astimezone(STOCKHOLM)


def local_date(moment: datetime) -> date:
    """The Stockholm calendar date of an aware datetime."""
    return to_local(moment).date()


def start_of_local_day(day: date) -> datetime:
    """Midnight in Stockholm of a date, as aware UTC."""
    return datetime.combine(day, time.min, tzinfo=STOCKHOLM).astimezone(UTC)
