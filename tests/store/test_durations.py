"""How long an activity's past runs lasted, on both databases, and the actors' cache of
it: read once an hour, bounded, and "unknown" while the database cannot answer."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from clanactors.actors import durations as cache
from clanactors.actors.durations import ActivityDurations
from clanactors.core.clock import FakeClock
from clanactors.store.db import Database
from clanactors.store.durations import mode_durations, recent_durations
from clanactors.store.models import ActivityDefinition, ActivityInstance

START = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)
RAID, STRIKE = 3881495763, 1964120205
NEW_RAID, OLD_RAID, MIDTOWN = 1044919065, 910380154, 2442950172


def store_runs(
    db: Database, activity_hash: int, minutes: list[float], first: int = 0, mode: int = 4
) -> None:
    with db.session() as session:
        for i, m in enumerate(minutes):
            session.add(
                ActivityInstance(
                    instance_id=str(activity_hash % 10**6 * 1000 + first + i),
                    activity_hash=activity_hash,
                    mode=mode,
                    period=START + timedelta(hours=first + i),
                    duration_seconds=int(m * 60),
                    completed=True,
                )
            )


def earliest(durations: ActivityDurations, activity_hash: int) -> float:
    runs = durations.runs(activity_hash)
    assert runs is not None
    return runs.earliest_end


def test_recent_durations_are_the_newest_runs_of_that_activity(db: Database) -> None:
    store_runs(db, RAID, [50, 60, 0, 70])
    store_runs(db, STRIKE, [12], first=10)
    with db.session() as session:
        assert recent_durations(session, RAID) == [4200, 3600, 3000]  # newest first, no zero
        assert recent_durations(session, RAID, limit=2) == [4200, 3600]
        assert recent_durations(session, 42) == []


def test_the_cache_reads_once_an_hour_and_stays_bounded(db: Database, monkeypatch) -> None:
    clock = FakeClock()
    durations = ActivityDurations(db, clock)
    store_runs(db, RAID, [45 + i for i in range(20)])
    assert earliest(durations, RAID) == 45 * 60
    store_runs(db, RAID, [5] * 20, first=100)  # newer, much shorter runs
    assert earliest(durations, RAID) == 45 * 60  # kept
    clock.advance(cache.KEEP + 1)
    assert earliest(durations, RAID) == 5 * 60  # read again
    assert durations.runs(STRIKE) is None  # never played: unknown

    monkeypatch.setattr(cache, "MAX_ACTIVITIES", 3)
    for activity_hash in range(10):
        durations.runs(activity_hash)
    durations.runs(8)  # used again: kept over 7, the least recently used
    durations.runs(10)
    assert list(durations._known) == [9, 8, 10]


def test_a_database_that_cannot_answer_means_unknown_and_a_retry(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'missing' / 'no.db'}"  # its folder does not exist
    clock = FakeClock()
    durations = ActivityDurations(Database(url), clock)
    assert durations.runs(RAID) is None
    figure, until = durations._known[RAID]
    assert figure is None and until == clock.monotonic() + cache.RETRY


def test_a_database_known_to_be_down_is_not_asked(db: Database, monkeypatch) -> None:
    store_runs(db, RAID, [45 + i for i in range(20)])
    durations = ActivityDurations(db, FakeClock())
    db.state.down = True
    monkeypatch.setattr(db, "session", lambda: pytest.fail("asked a database known down"))
    assert durations.runs(RAID) is None


def test_an_activity_with_few_runs_is_judged_by_its_modes_runs(db: Database) -> None:
    store_runs(db, OLD_RAID, [40 + i for i in range(20)], mode=4)
    store_runs(db, STRIKE, [3] * 20, first=50, mode=3)
    store_runs(db, MIDTOWN, [9], first=80, mode=10)  # a map: reported as Control
    store_runs(db, 777, [8] * 20, first=90, mode=10)
    with db.session() as session:
        session.add(
            ActivityDefinition(hash=NEW_RAID, name="Salvation's Edge", mode=4, fetched_at=START)
        )
        session.add(ActivityDefinition(hash=MIDTOWN, name="Midtown", mode=5, fetched_at=START))
    durations = ActivityDurations(db, FakeClock())
    # Never played: its definition says Raid, and raids' shortest runs took 40 minutes.
    assert earliest(durations, NEW_RAID) == 40 * 60
    # One run of its own: the mode its runs reported (Control), not its definition's.
    assert earliest(durations, MIDTOWN) == 8 * 60
    with db.session() as session:
        assert mode_durations(session, 424242) == []  # neither runs nor a definition
        assert len(mode_durations(session, OLD_RAID)) == 20
