"""admin_action events written from the web side: the event, its Discord outbox rows (when
the kind is configured) and its dedupe key, in one transaction; on both databases."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from clanactors.domain.events import Kind, admin_action
from clanactors.store.audit import record_with_outbox
from clanactors.store.db import Database, migrate
from clanactors.store.eventlog import EventFilter, find_events
from clanactors.store.models import OutboxRow

NOW = datetime(2026, 12, 1, 18, 0, tzinfo=UTC)


def test_an_admin_action_is_stored_once_and_owed_to_discord_when_configured(
    database_url: str,
) -> None:
    migrate(database_url)
    db = Database(database_url)
    try:
        kicked = admin_action(
            ("1", "Founder#0001"), "kick", {"2": "<b>Bold</b>#0002"}, ["2"], True, "", NOW, "k1"
        )
        refused = admin_action(
            ("1", "Founder#0001"), "ban", {"3": "Zoë#0003"}, ["3"], False,
            "Your rank does not permit that action.", NOW, "k2",
        )  # fmt: skip
        with db.session() as session:
            first = record_with_outbox(session, kicked, NOW, ["hook"], [Kind.ADMIN_ACTION])
            again = record_with_outbox(session, kicked, NOW, ["hook"], [Kind.ADMIN_ACTION])
            quiet = record_with_outbox(session, refused, NOW, ["hook"], [Kind.MEMBER_LEFT])
        assert first is not None and quiet is not None and again is None
        with db.session() as session:
            owed = session.scalars(select(OutboxRow.event_id)).all()
            stored = find_events(session, EventFilter(kind="admin_action"))
        assert owed == [first]
        texts = [s.event.text for s in stored]
        assert texts == [
            "Founder#0001 kicked <b>Bold</b>#0002",
            "Founder#0001 could not ban Zoë#0003: Your rank does not permit that action.",
        ]
        assert stored[1].event.extra["outcome"] == "refused"
        assert stored[0].event.members == ("1", "2")
    finally:
        db.dispose()
