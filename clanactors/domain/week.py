"""The weekly reset (Tuesday 17:00 UTC, when the digest of the week is posted) and the
periods the leaderboards count: the week, the season, all time."""

from __future__ import annotations

from dataclasses import dataclass
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


PERIODS = ("week", "season", "all")


@dataclass(frozen=True)
class Period:
    """What a leaderboard counts: `week` since the reset, `season` since the current
    season's start, `all` of it (`start` and `end` None)."""

    key: str
    name: str
    start: datetime | None
    end: datetime | None


def week_period(now: datetime) -> Period:
    return Period("week", "This week", last_reset(now), next_reset(now))


def season_period(name: str, start: datetime, end: datetime | None) -> Period:
    return Period("season", name, start, end)


ALL_TIME = Period("all", "All time", None, None)
