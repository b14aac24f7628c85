"""The outbox store: owed once per key, in order, marked, pruned, backlog by webhook."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clanactors.domain import events
from clanactors.domain.events import StoredEvent
from clanactors.store import outbox
from clanactors.store.db import Database
from clanactors.store.eventlog import record_event

NOW = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)


def test_owed_in_order_marked_and_pruned(db: Database) -> None:
    with db.session() as session:
        stored = []
        for n in range(3):
            event = events.member_joined(str(n), f"N{n}", NOW + timedelta(seconds=n))
            event_id = record_event(session, event, NOW)
            assert event_id is not None
            stored.append(StoredEvent(event_id, event))
        online = events.member_online("1", "N1", NOW)
        online_id = record_event(session, online, NOW)
        assert online_id is not None
        stored.append(StoredEvent(online_id, online))
        kinds = ["member_joined"]
        assert outbox.enqueue_events(session, stored, ["10", "20"], kinds, NOW) == 6
        outbox.enqueue_events(session, stored, ["10"], kinds, NOW)  # again: owed once
        assert outbox.enqueue_message(session, "digest:w:10", "10", {"content": "d"}, NOW)
        assert not outbox.enqueue_message(session, "digest:w:10", "10", {"content": "d"}, NOW)
    with db.session() as session:
        owed = outbox.pending(session, "10", 25)
        assert [i.event.event.text if i.event else i.message for i in owed] == [
            "N0 joined the clan",
            "N1 joined the clan",
            "N2 joined the clan",
            {"content": "d"},
        ]
        outbox.mark_sent(session, [owed[0].id, owed[1].id], NOW)
        assert outbox.backlog(session) == outbox.OutboxBacklog(5, (), True)
    with db.session() as session:
        assert [i.id for i in outbox.pending(session, "10", 25)] == [owed[2].id, owed[3].id]
        assert outbox.prune(session, NOW + timedelta(days=1)) == 2
        assert outbox.backlog(session).count == 5
        outbox.disable(session, "20", 404, NOW)
        assert outbox.backlog(session) == outbox.OutboxBacklog(2, ("20",), True)
        outbox.enable(session, ["20"])
        assert outbox.backlog(session).disabled == ()
