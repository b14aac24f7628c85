"""The feed actor: the only writer of `events`. Persist first, then publish."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

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
        try:
            with self.ctx.db.session() as session:
                event_id = record_event(session, event, self.ctx.clock.now())
                if event_id is not None:
                    notify(session, EVENTS_CHANNEL, str(event_id))
        except SQLAlchemyError as exc:
            # Not stored, so not published; the producer's next poll produces it again.
            log.error("event not recorded kind=%s key=%s: %s", event.kind, event.dedupe_key, exc)
            return None
        if event_id is None:
            log.debug("duplicate event key=%s", event.dedupe_key)
            return None
        log.info("event id=%d kind=%s %s", event_id, event.kind, event.text)
        self.ctx.publish(EventStored(StoredEvent(event_id, event)))
        return event_id
