from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest

from clanactors.domain import events
from clanactors.render.events import event_json
from clanactors.store.db import Database
from clanactors.store.eventlog import (
    EventFilter,
    events_after,
    find_events,
    last_event_id,
    record_event,
)
from clanactors.store.models import EventMember, Member

T0 = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)
VOG = events.ActivityRef(3881495763, "Vault of Glass: Standard", 4)


def _cleared(instance_id: str = "14024618384") -> events.Event:
    return events.activity_finished(
        {"4611686018400000001": "Alice", "4611686018400000002": "Bob"},
        VOG,
        instance_id,
        T0 + timedelta(hours=1),
        cleared=True,
    )


def test_same_dedupe_key_is_recorded_once(db: Database) -> None:
    with db.session() as s:
        first = record_event(s, _cleared(), T0)
    with db.session() as s:
        second = record_event(s, _cleared(), T0)
    assert first is not None
    assert second is None
    with db.session() as s:
        stored = events_after(s, 0, 10)
        assert [e.id for e in stored] == [first]
        assert s.query(EventMember).count() == 2


def test_a_finished_instance_is_one_event_whichever_kind(db: Database) -> None:
    ended = events.activity_finished(
        {"4611686018400000002": "Bob"}, VOG, "14024618384", T0, cleared=False
    )
    with db.session() as s:
        assert record_event(s, _cleared(), T0) is not None
        assert record_event(s, ended, T0) is None


def test_round_trip_keeps_the_contract_shape(db: Database) -> None:
    with db.session() as s:
        event_id = record_event(s, _cleared(), T0)
    with db.session() as s:
        (stored,) = events_after(s, 0, 10)
    assert event_json(stored) == {
        "id": event_id,
        "kind": "activity_cleared",
        "occurredAt": "2026-11-01T21:00:00Z",
        "members": ["4611686018400000001", "4611686018400000002"],
        "activity": {"hash": 3881495763, "name": "Vault of Glass: Standard", "mode": 4},
        "instanceId": "14024618384",
        "text": "Alice and Bob cleared Vault of Glass: Standard",
    }
    assert stored.event.occurred_at.tzinfo is not None


def test_ids_increase_and_after_pages_in_order(db: Database) -> None:
    with db.session() as s:
        ids = [
            record_event(
                s,
                events.member_online(
                    str(4611686018400000000 + i), f"M{i}", T0 + timedelta(minutes=i)
                ),
                T0,
            )
            for i in range(5)
        ]
    assert ids == sorted(ids)
    with db.session() as s:
        assert [e.id for e in events_after(s, ids[1], 2)] == ids[2:4]
        assert last_event_id(s) == ids[-1]


def test_find_events_filters_by_kind_member_since_and_limit(db: Database) -> None:
    with db.session() as s:
        s.add(
            Member(
                membership_id="4611686018400000001",
                membership_type=3,
                display_name="Alice_100%",
                bungie_name="Alice_100%#0042",
                rank="Admin",
                is_online=True,
                in_clan=True,
                updated_at=T0,
            )
        )
        record_event(
            s, events.member_joined("4611686018400000001", "Alice", T0 - timedelta(days=9)), T0
        )
        record_event(
            s, events.member_online("4611686018400000002", "Bob", T0 - timedelta(hours=2)), T0
        )
        record_event(s, _cleared(), T0)
    with db.session() as s:
        assert [e.event.kind for e in find_events(s, EventFilter(member="alice_100%"))] == [
            "member_joined",
            "activity_cleared",
        ]
        assert find_events(s, EventFilter(member="alice_1000")) == []
        assert [e.event.kind for e in find_events(s, EventFilter(kind="member_online"))] == [
            "member_online"
        ]
        recent = find_events(s, EventFilter(since=T0 - timedelta(days=1)))
        assert [e.event.kind for e in recent] == ["member_online", "activity_cleared"]
        newest = find_events(s, EventFilter(limit=1))
        assert [e.event.kind for e in newest] == ["activity_cleared"]


@pytest.mark.postgres
def test_two_threads_racing_on_one_key_record_it_once(postgres_url: str) -> None:
    from clanactors.store.db import migrate

    migrate(postgres_url)
    db = Database(postgres_url)
    barrier = threading.Barrier(8)
    results: list[int | None] = []
    lock = threading.Lock()

    def writer(instance_id: str) -> None:
        barrier.wait()
        with db.session() as s:
            got = record_event(s, _cleared(instance_id), T0)
        with lock:
            results.append(got)

    try:
        for round_no in range(5):
            results.clear()
            threads = [
                threading.Thread(target=writer, args=(str(900 + round_no),)) for _ in range(8)
            ]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert len(results) == 8
            assert sum(r is not None for r in results) == 1, results
        with db.session() as s:
            assert len(events_after(s, 0, 100)) == 5
    finally:
        db.dispose()
