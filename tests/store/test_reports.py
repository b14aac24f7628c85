"""The clan pages' reads on both databases: clears per member by week and all time, time
played, who played together, presence, the feed's cursor pages, and recent instances
that prefer shared ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clanactors.domain.week import last_reset
from clanactors.store.db import Database
from clanactors.store.recording import recent_instances
from clanactors.store.reports import (
    Clears,
    FeedQuery,
    clears_by_member,
    feed_page,
    played_together,
    played_with,
    presence,
    time_played,
)
from tests.pages_data import CONTROL, DUALITY, LAST_WISH, ClanLog

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday
RESET = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # the Tuesday before


def clan(db: Database) -> ClanLog:
    log = ClanLog(db, NOW)
    for mid, name in (("1", "Ana"), ("2", "Bo"), ("3", "Cy"), ("4", "Di")):
        log.member(mid, name)
    return log


def test_the_week_starts_at_the_tuesday_reset(db: Database) -> None:
    assert last_reset(NOW) == RESET
    log = clan(db)
    log.play({"1": 3000}, LAST_WISH, RESET - timedelta(minutes=1))  # 16:59: last week
    log.play({"2": 3000}, LAST_WISH, RESET + timedelta(minutes=1))  # 17:01: this week
    with db.session() as session:
        week = clears_by_member(session, RESET)
        ever = clears_by_member(session)
    assert week == {"2": Clears(raids=1)}
    assert ever == {"1": Clears(raids=1), "2": Clears(raids=1)}


def test_clears_count_raids_and_dungeons_not_other_modes_or_failures(db: Database) -> None:
    log = clan(db)
    log.play({"1": 3000, "2": 2000}, LAST_WISH, NOW - timedelta(hours=5))
    log.play({"1": 1800}, DUALITY, NOW - timedelta(hours=4))
    log.play({"1": 1800}, DUALITY, NOW - timedelta(hours=3), cleared=False)
    log.play({"1": 600, "3": 600}, CONTROL, NOW - timedelta(hours=2))
    with db.session() as session:
        assert clears_by_member(session, RESET) == {
            "1": Clears(raids=1, dungeons=1),
            "2": Clears(raids=1),
        }
        assert clears_by_member(session, member="2") == {"2": Clears(raids=1)}
        assert time_played(session, RESET) == {"1": 3000 + 1800 + 1800 + 600, "2": 2000, "3": 600}


def test_played_together_sums_the_shorter_time_per_shared_instance(db: Database) -> None:
    log = clan(db)
    log.play({"1": 3000, "2": 2000, "3": 1000}, LAST_WISH, NOW - timedelta(hours=5))
    log.play({"2": 500, "3": 900}, CONTROL, NOW - timedelta(hours=2))
    log.play({"1": 7000, "4": 7000}, CONTROL, RESET - timedelta(hours=2))  # last week
    with db.session() as session:
        pairs = played_together(session, RESET, limit=10)
        with_two = played_with(session, "2", RESET)
        month = played_with(session, "1", NOW - timedelta(days=30))
    assert [(p.first, p.second, p.seconds, p.instances) for p in pairs] == [
        ("1", "2", 2000, 1),
        ("2", "3", 1500, 2),
        ("1", "3", 1000, 1),
    ]
    assert with_two == {"1": 2000, "3": 1500}
    assert month == {"2": 2000, "3": 1000, "4": 7000}


def test_presence_is_the_members_online_and_offline_changes(db: Database) -> None:
    log = clan(db)
    start = NOW - timedelta(days=2)
    log.session_online("1", start, start + timedelta(hours=2))
    log.session_online("2", start, start + timedelta(hours=1))
    log.session_online("1", NOW - timedelta(hours=1), None)
    with db.session() as session:
        changes = presence(session, "1", NOW - timedelta(days=28))
    assert [k for k, _ in changes] == ["member_online", "member_offline", "member_online"]
    assert changes[0][1] == start


def test_feed_pages_by_cursor_both_ways_with_filters(db: Database) -> None:
    log = clan(db)
    for hour in range(7):
        log.play({"1": 600, "2": 600}, CONTROL, NOW - timedelta(hours=10 - hour))
        log.play({"3": 600}, DUALITY, NOW - timedelta(hours=10 - hour, minutes=30))
    with db.session() as session:
        first = feed_page(session, FeedQuery(limit=5))
        ids = [e.id for e in first.events]
        assert ids == sorted(ids, reverse=True) and len(ids) == 5
        assert first.newer is None and first.older == ids[-1]
        second = feed_page(session, FeedQuery(limit=5, before=first.older))
        assert all(e.id < ids[-1] for e in second.events) and len(second.events) == 5
        assert second.newer == second.events[0].id
        back = feed_page(session, FeedQuery(limit=5, after=second.newer))
        assert [e.id for e in back.events] == ids
        assert back.newer is None and back.older == ids[-1]
        last = feed_page(session, FeedQuery(limit=5, before=second.older))
        assert len(last.events) == 4 and last.older is None

        mine = feed_page(session, FeedQuery(limit=50, member="3"))
        assert len(mine.events) == 7 and all("3" in e.event.members for e in mine.events)
        kind = feed_page(session, FeedQuery(limit=3, kind="activity_cleared", member="1"))
        assert len(kind.events) == 3 and kind.older is not None
        assert all(e.event.kind == "activity_cleared" for e in kind.events)
        assert feed_page(session, FeedQuery(limit=5, member="999")).events == []


def test_recent_prefers_instances_two_clan_members_shared(db: Database) -> None:
    log = clan(db)
    raid = log.play({"1": 3000, "2": 3000, "3": 3000}, LAST_WISH, NOW - timedelta(hours=6))
    solos = [log.play({"4": 600}, CONTROL, NOW - timedelta(hours=h)) for h in (3, 2, 1)]
    pair = log.play({"1": 600, "2": 600}, CONTROL, NOW - timedelta(hours=4))
    with db.session() as session:
        rows = recent_instances(session, 3)
    # Two shared instances, then the newest solo one fills the third place; newest first.
    assert [r.instance.instance_id for r in rows] == [solos[2], pair, raid]
    assert rows[2].members == ("1", "2", "3")
    with db.session() as session:
        assert [r.instance.instance_id for r in recent_instances(session, 1)] == [pair]
