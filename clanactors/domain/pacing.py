"""When a member's profile is next worth reading: poll what is likely to change.

The profile interval is the budget, one read per online member per interval on average;
it is spent where news is likely:
- in orbit (or anywhere outside an activity) a start may come at any moment: read often;
- in an activity, by how long the clan's past runs of it lasted (`PastRuns`):
  - before its shortest runs ended: slower, up to `early_cap`, never past that moment;
  - while the runs still going typically had a long way to go (the middle of a raid):
    at `mid`;
  - once an end is near: often;
  - with too few past runs to say (a social space, say), or long after every past run
    ended (idle, or stuck data): at the interval, as if nothing were known;
- a resting fireteam mate (one watcher reads the party for the group) and a private
  profile (a read cannot show an activity) read at `far`.
"""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from clanactors.domain.presence import Presence

# Shares of the profile interval; with the clan's usual mix (a tenth of online time in
# orbit, most of it in activities that last 8 to 110 minutes) they spend no more than
# the interval's budget (docs/benchmarks.md, "Bungie calls" and "Detection latency").
ORBIT_SHARE = 0.45
NEAR_SHARE = 0.45
MID_SHARE = 0.8
EARLY_CAP_FACTOR = 2.0  # an activity's shown state is never older than this many intervals
FAR_FACTOR = 4.0  # resting mates and private profiles, as before pacing
# Past every run by this factor of the longest: idle or stuck, not about to end.
OVERDUE = 1.5
# The middle of a long activity: the runs still going typically had more than this many
# intervals left.
LONG_WAY = 40.0
# The earliest likely end: the duration this share of past runs ended within, from at
# least MIN_RUNS runs (with fewer, the activity may end at any moment).
EARLY_SHARE = 0.05
MIN_RUNS = 10


@dataclass(frozen=True)
class PastRuns:
    """Durations (seconds) of an activity's past runs, shortest first."""

    durations: tuple[float, ...]

    @classmethod
    def of(cls, durations: Iterable[float]) -> PastRuns | None:
        """The runs that lasted at all, or None with fewer than MIN_RUNS of them."""
        runs = tuple(sorted(d for d in durations if d > 0))
        return cls(runs) if len(runs) >= MIN_RUNS else None

    @property
    def earliest_end(self) -> float:
        """How long the shortest runs lasted: the EARLY_SHARE quantile."""
        return self.durations[int(EARLY_SHARE * (len(self.durations) - 1))]

    @property
    def longest(self) -> float:
        return self.durations[-1]

    def typical_left(self, elapsed: float) -> float:
        """The median time the runs that lasted `elapsed` had still to go (0: none did)."""
        left = [d - elapsed for d in self.durations if d >= elapsed]
        return statistics.median(left) if left else 0.0


class Read(NamedTuple):
    """When to read next, and why at that pace (bench/bungie_calls.py counts the whys)."""

    seconds: float
    # orbit; early (before the shortest runs ended); mid (far from a typical end); near
    # (an end may come soon); unknown (too few past runs); overdue (long past every
    # run); resting; private
    why: str


@dataclass(frozen=True)
class Pacing:
    interval: float  # the profile interval

    @property
    def orbit(self) -> float:
        return self.interval * ORBIT_SHARE

    @property
    def near(self) -> float:
        return self.interval * NEAR_SHARE

    @property
    def mid(self) -> float:
        return self.interval * MID_SHARE

    @property
    def early_cap(self) -> float:
        return self.interval * EARLY_CAP_FACTOR

    @property
    def far(self) -> float:
        return self.interval * FAR_FACTOR

    def next_read(
        self,
        presence: Presence,
        now: datetime,
        runs: PastRuns | None,
        *,
        resting: bool = False,
    ) -> Read:
        """When the member's profile is next read."""
        if resting:
            return Read(self.far, "resting")
        if presence.private:
            return Read(self.far, "private")
        if not presence.in_activity or presence.started_at is None:
            return Read(self.orbit, "orbit")
        if runs is None:
            return Read(self.interval, "unknown")
        elapsed = (now - presence.started_at).total_seconds()
        before_earliest = runs.earliest_end - elapsed
        if before_earliest > self.near:
            return Read(min(before_earliest, self.early_cap), "early")
        if elapsed > OVERDUE * runs.longest:
            return Read(self.interval, "overdue")
        if runs.typical_left(elapsed) > LONG_WAY * self.interval:
            return Read(self.mid, "mid")
        return Read(self.near, "near")
