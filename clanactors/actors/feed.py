"""The feed actor: the only writer of `events`. Persist first, then publish."""

from __future__ import annotations

import logging
from typing import Any

from clanactors.actors.base import BaseActor
from clanactors.actors.messages import EventStored, Record
from clanactors.events import StoredEvent
from clanactors.store.eventlog import record_event
from clanactors.store.live import EVENTS_CHANNEL, notify

log = logging.getLogger(__name__)


class FeedActor(BaseActor):
    def handle(self, message: Any) -> Any:
        if isinstance(message, Record):
            return self.record(message)
        raise TypeError(f"unexpected message {message!r}")

    def record(self, message: Record) -> int | None:
        event = message.event
        # A database error propagates: the base actor tells this Record again later, so
        # the event is stored (once, by its dedupe key) and only then published.
        with self.ctx.db.session() as session:
            event_id = record_event(session, event, self.ctx.clock.now())
            if event_id is not None:
                notify(session, EVENTS_CHANNEL, str(event_id))
        if event_id is None:
            log.debug("duplicate event key=%s", event.dedupe_key)
            return None
        log.info("event id=%d kind=%s %s", event_id, event.kind, event.text)
        self.ctx.publish(EventStored(StoredEvent(event_id, event)))
        return event_id
