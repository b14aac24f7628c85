"""Poll pacing: often where a change is likely, slower early in a long activity and in
its middle, and what past runs say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clanactors.domain.pacing import LONG_WAY, MIN_RUNS, Pacing, PastRuns
from clanactors.domain.presence import Presence

NOW = datetime(2026, 12, 3, 20, 0, tzinfo=UTC)
PACING = Pacing(30.0)


def presence(
    activity: int | None = 1234, minutes_in: float = 0.0, *, private: bool = False
) -> Presence:
    started = NOW - timedelta(minutes=minutes_in) if activity is not None else None
    return Presence("1", 3, activity, started, "c1", frozenset(), private, ("c1",))


def runs(*minutes: float) -> PastRuns:
    past = PastRuns.of(60.0 * m for m in minutes)
    assert past is not None
    return past


def read(minutes_in: float | None, past: PastRuns | None, **kw: bool) -> tuple[float, str]:
    activity = None if minutes_in is None else 1234
    return PACING.next_read(presence(activity, minutes_in or 0.0), NOW, past, **kw)


def test_the_paces_share_the_interval() -> None:
    assert PACING.orbit < PACING.interval and PACING.near < PACING.mid < PACING.interval
    assert PACING.far == 4 * PACING.interval
    assert Pacing(3.0).orbit == pytest.approx(PACING.orbit / 10)  # they scale with it


def test_orbit_is_read_often_a_start_may_come_any_moment() -> None:
    assert read(None, None) == (PACING.orbit, "orbit")


def test_an_activity_with_too_few_runs_is_read_at_the_interval() -> None:
    assert PastRuns.of([600.0] * (MIN_RUNS - 1)) is None
    assert read(1, None) == (PACING.interval, "unknown")  # a social space, say


def test_early_in_an_activity_reads_slow_down_but_never_past_its_earliest_end() -> None:
    crucible = runs(*[8 + i / 25 for i in range(100)])  # 8 to 12 minutes
    assert crucible.earliest_end == pytest.approx(8.16 * 60)
    assert read(1, crucible) == (PACING.early_cap, "early")
    assert PACING.early_cap == 2 * PACING.interval  # shown state at most 2 intervals old
    # 7.5 minutes in: the next read lands on the earliest end, not a minute later.
    assert read(7.5, crucible) == (pytest.approx(39.6), "early")
    assert read(8.1, crucible) == (PACING.near, "near")
    assert read(12.5, crucible) == (PACING.near, "near")  # past every run: may end now
    # Long past every run: idle or stuck data, not about to end.
    assert read(20, crucible) == (PACING.interval, "overdue")


def test_the_middle_of_a_long_activity_is_read_at_the_mid_pace() -> None:
    raid = runs(*range(45, 111))  # 45 to 110 minutes
    assert read(10, raid)[1] == "early"
    assert read(50, raid) == (PACING.mid, "mid")  # the runs still going had ~30 min left
    left = LONG_WAY * PACING.interval / 60  # minutes: nearer than this is near
    assert read(110 - 2 * left + 2, raid) == (PACING.near, "near")


def test_a_resting_mate_and_a_private_profile_read_at_the_far_pace() -> None:
    assert read(50, None, resting=True) == (PACING.far, "resting")
    private = PACING.next_read(presence(None, private=True), NOW, None)
    assert private == (PACING.far, "private")


def test_past_runs_ignore_runs_that_did_not_last() -> None:
    past = PastRuns.of([0.0] * 50 + [900.0] * MIN_RUNS)
    assert past is not None and past.earliest_end == 900.0
    assert past.typical_left(300.0) == 600.0
    assert past.typical_left(1000.0) == 0.0  # no run lasted that long
