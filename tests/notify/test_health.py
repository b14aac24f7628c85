"""/healthz notes the Discord outbox: messages owed, webhooks disabled (ids only)."""

from __future__ import annotations

from datetime import UTC, datetime

import requests

from clanactors.domain import events
from clanactors.domain.events import StoredEvent
from clanactors.store import outbox
from clanactors.store.db import Database, migrate
from clanactors.store.eventlog import record_event
from clanactors.testing.web import WebServer


def test_healthz_shows_the_backlog_and_disabled_webhooks(sqlite_url: str) -> None:
    migrate(sqlite_url)
    db = Database(sqlite_url)
    now = datetime(2026, 11, 29, 20, 0, tzinfo=UTC)
    with db.session() as session:
        event = events.member_joined("1", "Newbie", now)
        event_id = record_event(session, event, now)
        assert event_id is not None
        outbox.enqueue_events(
            session, [StoredEvent(event_id, event)], ["10", "20"], ["member_joined"], now
        )
        outbox.disable(session, "20", 404, now)
    web = WebServer(db).start()
    try:
        health = requests.get(f"{web.url}/healthz", timeout=10).json()
    finally:
        web.stop()
        db.dispose()
    assert health["notifications"] == {"backlog": 1, "disabled": ["20"]}
