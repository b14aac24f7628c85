"""What the polling process shares with the other `serve` processes (CONTRACT §7): the
newest snapshot in `live_snapshot`, and PostgreSQL NOTIFY as the doorbell for new events
and snapshots. The `events` table stays the record."""

from __future__ import annotations

import dataclasses
from datetime import datetime

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from clanactors.snapshot import Snapshot
from clanactors.store.models import LiveSnapshot
from clanactors.store.upsert import upsert

EVENTS_CHANNEL = "clanactors_events"
SNAPSHOT_CHANNEL = "clanactors_snapshot"


def notify(session: Session, channel: str, payload: str) -> None:
    """Ring the doorbell (PostgreSQL only); delivered when the transaction commits."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": channel, "payload": payload}
        )


def save_snapshot(session: Session, snapshot: Snapshot, now: datetime) -> None:
    values = {
        "id": 1,
        "version": snapshot.version,
        "payload": dataclasses.asdict(snapshot),
        "updated_at": now,
    }
    upsert(session, LiveSnapshot, values, ["id"], ["version", "payload", "updated_at"])
    notify(session, SNAPSHOT_CHANNEL, str(snapshot.version))


def load_snapshot(session: Session) -> Snapshot | None:
    row = session.scalars(select(LiveSnapshot).where(LiveSnapshot.id == 1)).first()
    if row is None:
        return None
    try:
        return Snapshot(**row.payload)
    except TypeError:
        return None  # written by another version of clanactors
