"""The hours of the week a member is usually online, from their online/offline events
and the activities in their history. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clanactors.domain.events import Kind

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LEVELS = 4  # shades above "never": 1..4


@dataclass(frozen=True)
class Heatmap:
    """`seconds[day][hour]`: seconds online in that hour of the week (UTC, Monday first)
    summed over `weeks` weeks."""

    seconds: tuple[tuple[int, ...], ...]
    weeks: int

    def share(self, day: int, hour: int) -> float:
        """The share of that hour, over the weeks, the member was online (0..1)."""
        return self.seconds[day][hour] / (3600 * self.weeks)

    def level(self, day: int, hour: int) -> int:
        """0 when never online in that hour, else 1..LEVELS by share of the time."""
        share = self.share(day, hour)
        return 0 if share <= 0 else min(LEVELS, 1 + int(share * LEVELS))

    @property
    def empty(self) -> bool:
        return not any(any(day) for day in self.seconds)


def online_spans(
    changes: Sequence[tuple[str, datetime]], now: datetime, online_now: bool
) -> list[tuple[datetime, datetime]]:
    """Online intervals from (kind, when) changes, oldest first. Only what the log saw
    begin: an offline change with no online change before it is left out (when that
    session began is unknown); a member online now is online until `now`."""
    spans = []
    started: datetime | None = None
    for kind, when in changes:
        if kind == Kind.MEMBER_ONLINE:
            if started is None:
                started = when
        elif kind == Kind.MEMBER_OFFLINE:
            if started is not None and when > started:
                spans.append((started, when))
            started = None
    if started is not None and online_now and now > started:
        spans.append((started, now))
    return spans


def merged(*groups: Sequence[tuple[datetime, datetime]]) -> list[tuple[datetime, datetime]]:
    """The union of intervals: online sessions the log saw, and activities from history
    (playing one means being online), counted once where they overlap."""
    spans = sorted(span for group in groups for span in group)
    out: list[tuple[datetime, datetime]] = []
    for begin, end in spans:
        if out and begin <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((begin, end))
    return out


def heatmap(spans: Sequence[tuple[datetime, datetime]], weeks: int) -> Heatmap:
    grid = [[0] * 24 for _ in DAYS]
    for begin, end in spans:
        moment = begin.astimezone(UTC)
        end = end.astimezone(UTC)
        while moment < end:
            hour_end = moment.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)
            until = min(hour_end, end)
            grid[moment.weekday()][moment.hour] += int((until - moment).total_seconds())
            moment = until
    return Heatmap(tuple(tuple(day) for day in grid), weeks)
