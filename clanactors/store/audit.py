"""Events written from the web side (the admin pages' `admin_action`): the event, its
doorbell and the Discord messages it owes, in one transaction, as the feed actor writes
its own (actors/feed.py). Used when no feed actor runs in this process."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.orm import Session

from clanactors.domain.events import Event, StoredEvent
from clanactors.store.eventlog import record_event
from clanactors.store.live import EVENTS_CHANNEL, notify
from clanactors.store.outbox import enqueue_events


def record_with_outbox(
    session: Session,
    event: Event,
    now: datetime,
    webhook_ids: Sequence[str],
    kinds: Iterable[str],
) -> int | None:
    """Store `event` once (by its dedupe key), ring the doorbell, owe the webhooks."""
    event_id = record_event(session, event, now)
    if event_id is None:
        return None
    notify(session, EVENTS_CHANNEL, str(event_id))
    enqueue_events(session, [StoredEvent(event_id, event)], webhook_ids, kinds, now)
    return event_id
