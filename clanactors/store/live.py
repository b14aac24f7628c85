"""What the polling process shares with the other `serve` processes (README "Several
processes"): the newest snapshot in `live_snapshot`, and PostgreSQL NOTIFY as the doorbell
for new events and snapshots. The `events` table stays the record.

The snapshot is kept as the document the web side renders (`render.wire`); the store
neither builds nor reads it, it only keeps the newest one with its version."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

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


@dataclass(frozen=True)
class SharedSnapshot:
    version: int
    document: Any


def save_snapshot(session: Session, snapshot: SharedSnapshot, now: datetime) -> None:
    values = {
        "id": 1,
        "version": snapshot.version,
        "payload": snapshot.document,
        "updated_at": now,
    }
    upsert(session, LiveSnapshot, values, ["id"], ["version", "payload", "updated_at"])
    notify(session, SNAPSHOT_CHANNEL, str(snapshot.version))


def load_snapshot(session: Session) -> SharedSnapshot | None:
    """The newest shared snapshot; None if there is none."""
    row = session.scalars(select(LiveSnapshot).where(LiveSnapshot.id == 1)).first()
    return None if row is None else SharedSnapshot(row.version, row.payload)
