"""The weekly reset: Tuesday 17:00 UTC, when the digest of the week is posted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

RESET_WEEKDAY = 1  # Tuesday
RESET_HOUR = 17
WEEK = timedelta(days=7)


def last_reset(now: datetime) -> datetime:
    """The most recent reset at or before `now`."""
    now = now.astimezone(UTC)
    day = now.replace(hour=RESET_HOUR, minute=0, second=0, microsecond=0)
    day -= timedelta(days=(now.weekday() - RESET_WEEKDAY) % 7)
    return day if day <= now else day - WEEK


def next_reset(now: datetime) -> datetime:
    return last_reset(now) + WEEK
