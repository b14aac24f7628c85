"""The feed actor: the only writer of `events`. Persist first, then publish.

An event that finishes recording work (an announced PGCR) is stored in the same
transaction that deletes the work, and a roster poll is stored in the same transaction
as the joins, leaves and online changes it implies: nothing is half done. The Discord
messages those events owe (the outbox) are written in that same transaction too.
"""

from __future__ import annotations

import logging
from typing import Any, assert_never

from sqlalchemy.orm import Session

from clanactors.actors.base import BaseActor
from clanactors.actors.messages import ApplyRoster, Drain, EventStored, FeedMessage, Record
from clanactors.core import metrics
from clanactors.domain.events import StoredEvent
from clanactors.store.eventlog import record_event
from clanactors.store.live import EVENTS_CHANNEL, notify
from clanactors.store.outbox import enqueue_events
from clanactors.store.recording import finish
from clanactors.store.roster import apply_roster

log = logging.getLogger(__name__)


class FeedActor(BaseActor[FeedMessage]):
    role = "feed"

    def handle(self, message: FeedMessage) -> Any:
        match message:
            case Record():
                return self.record(message)
            case ApplyRoster():
                return self.apply_roster(message)
            case _:
                assert_never(message)

    def record(self, message: Record) -> int | None:
        event = message.event
        # A database error propagates: the base actor tells this Record again later, so
        # the event is stored (once, by its dedupe key) and only then published.
        with self.ctx.db.session() as session:
            event_id = record_event(session, event, self.ctx.clock.now())
            if message.done is not None:
                finish(session, message.done)
            owed = 0
            if event_id is not None:
                notify(session, EVENTS_CHANNEL, str(event_id))
                owed = self._owe(session, [StoredEvent(event_id, event)])
        if event_id is None:
            log.debug("duplicate event key=%s", event.dedupe_key)
            return None
        self._published(StoredEvent(event_id, event))
        self._owed(owed)
        return event_id

    def apply_roster(self, message: ApplyRoster) -> bool:
        """Store a roster poll; True once it is in the database."""
        with self.ctx.db.session() as session:
            stored = apply_roster(
                session, self.ctx.clan_id, message.group, list(message.members), message.polled_at
            )
            for event in stored or ():
                notify(session, EVENTS_CHANNEL, str(event.id))
            owed = self._owe(session, stored or [])
        for event in stored or ():
            self._published(event)
        self._owed(owed)
        return True

    def _owe(self, session: Session, stored: list[StoredEvent]) -> int:
        """Owe the Discord webhooks their messages, in the transaction of the events."""
        settings = self.ctx.notify
        if settings is None or not stored:
            return 0
        now = self.ctx.clock.now()
        return enqueue_events(session, stored, settings.webhook_ids, settings.kinds, now)

    def _owed(self, owed: int) -> None:
        if owed:
            self.ctx.peers.notifier.tell(Drain())

    def _published(self, stored: StoredEvent) -> None:
        log.info("event id=%d kind=%s %s", stored.id, stored.event.kind, stored.event.text)
        metrics.EVENTS_RECORDED.labels(stored.event.kind).inc()
        self.ctx.peers.listeners.publish(EventStored(stored))
