"""The Discord outbox (README "Discord"): messages owed to each webhook, oldest first.

Rows are written in the transaction that stores their event (`enqueue_events`), read by
the notifier in order per webhook (`pending`), and marked once Discord accepted them.
Everything returned is a frozen record; no ORM row leaves its session.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from clanactors.domain.events import StoredEvent
from clanactors.store.eventlog import row_to_event
from clanactors.store.models import (
    ActivityInstance,
    DiscordWebhook,
    EventRow,
    Member,
    OutboxRow,
    Pgcr,
)
from clanactors.store.upsert import insert_for


@dataclass(frozen=True)
class ClearDetails:
    """What the log knows about a cleared instance beyond the event itself."""

    names: dict[str, str]  # membershipId -> display name (clan members of the event)
    duration_seconds: int | None
    guests: int | None


@dataclass(frozen=True)
class OutboxItem:
    id: int
    webhook_id: str
    key: str
    attempts: int
    created_at: datetime
    event: StoredEvent | None  # an event to announce, or
    message: dict[str, Any] | None  # a message built when it was owed (the digest)
    details: ClearDetails | None = None


@dataclass(frozen=True)
class OutboxBacklog:
    count: int  # messages owed to webhooks that are not disabled
    disabled: tuple[str, ...]  # webhook ids
    used: bool = True  # anything was ever owed to a webhook in this database


def event_key(event_id: int, webhook_id: str) -> str:
    return f"event:{event_id}:{webhook_id}"


def enqueue_events(
    session: Session,
    stored: Iterable[StoredEvent],
    webhook_ids: Sequence[str],
    kinds: Iterable[str],
    now: datetime,
) -> int:
    """Owe each webhook a message for each stored event of a notified kind; in the
    caller's transaction (the one that stored the events). Returns rows written."""
    wanted = set(kinds)
    rows = [
        {
            "key": event_key(s.id, hook),
            "webhook_id": hook,
            "event_id": s.id,
            "message": None,
            "created_at": now,
            "attempts": 0,
            "failed": False,
        }
        for s in stored
        if s.event.kind in wanted
        for hook in webhook_ids
    ]
    for values in rows:
        stmt = insert_for(session, OutboxRow, values).on_conflict_do_nothing(index_elements=["key"])
        session.execute(stmt)
    return len(rows)


def enqueue_message(
    session: Session, key: str, webhook_id: str, message: dict[str, Any], now: datetime
) -> bool:
    """Owe `webhook_id` a prepared message once per `key`; False when already owed."""
    values = {
        "key": key,
        "webhook_id": webhook_id,
        "event_id": None,
        "message": message,
        "created_at": now,
        "attempts": 0,
        "failed": False,
    }
    stmt = (
        insert_for(session, OutboxRow, values)
        .on_conflict_do_nothing(index_elements=["key"])
        .returning(OutboxRow.id)
    )
    return session.execute(stmt).scalar_one_or_none() is not None


def is_owed(session: Session, key: str) -> bool:
    return session.scalar(select(OutboxRow.id).where(OutboxRow.key == key)) is not None


def pending(session: Session, webhook_id: str, limit: int) -> list[OutboxItem]:
    """The oldest `limit` messages not yet sent to `webhook_id`, in the order owed."""
    rows = list(
        session.scalars(
            select(OutboxRow)
            .where(OutboxRow.webhook_id == webhook_id, OutboxRow.sent_at.is_(None))
            .order_by(OutboxRow.id)
            .limit(limit)
        )
    )
    event_ids = [r.event_id for r in rows if r.event_id is not None]
    events = {
        e.id: row_to_event(e)
        for e in session.scalars(select(EventRow).where(EventRow.id.in_(event_ids)))
    }
    items = []
    for row in rows:
        stored = events.get(row.event_id) if row.event_id is not None else None
        details = (
            clear_details(session, stored)
            if stored is not None and stored.event.instance_id
            else None
        )
        items.append(
            OutboxItem(
                row.id,
                row.webhook_id,
                row.key,
                row.attempts,
                row.created_at,
                stored,
                dict(row.message) if row.message is not None else None,
                details,
            )
        )
    return items


def clear_details(session: Session, stored: StoredEvent) -> ClearDetails:
    event = stored.event
    names = {
        m.membership_id: m.display_name
        for m in session.scalars(select(Member).where(Member.membership_id.in_(event.members)))
    }
    duration = None
    guests = None
    if event.instance_id:
        instance = session.get(ActivityInstance, event.instance_id)
        if instance is not None and instance.duration_seconds:
            duration = instance.duration_seconds
        pgcr = session.get(Pgcr, event.instance_id)
        if pgcr is not None:
            players = _pgcr_players(pgcr.payload)
            if players:
                guests = len(players - set(event.members))
    return ClearDetails(names, duration, guests)


def _pgcr_players(payload: dict[str, Any]) -> set[str]:
    """Distinct membershipIds in a stored PGCR (raw Bungie JSON, read defensively)."""
    body = payload.get("Response", payload)
    players = set()
    for entry in body.get("entries") or ():
        info = (entry.get("player") or {}).get("destinyUserInfo") or {}
        if info.get("membershipId"):
            players.add(str(info["membershipId"]))
    return players


def attempted(session: Session, ids: Sequence[int]) -> None:
    session.execute(
        update(OutboxRow).where(OutboxRow.id.in_(ids)).values(attempts=OutboxRow.attempts + 1)
    )


def mark_sent(session: Session, ids: Sequence[int], now: datetime, *, failed: bool = False) -> None:
    session.execute(
        update(OutboxRow)
        .where(OutboxRow.id.in_(ids), OutboxRow.sent_at.is_(None))
        .values(sent_at=now, failed=failed)
    )


def prune(session: Session, sent_before: datetime) -> int:
    """Forget messages sent before `sent_before` (what is owed is never pruned)."""
    result = session.execute(
        delete(OutboxRow).where(OutboxRow.sent_at.is_not(None), OutboxRow.sent_at < sent_before)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def disable(session: Session, webhook_id: str, status: int, now: datetime) -> None:
    row = session.get(DiscordWebhook, webhook_id)
    if row is None:
        session.add(DiscordWebhook(webhook_id=webhook_id, disabled_at=now, status=status))
    else:
        row.disabled_at = now
        row.status = status


def enable(session: Session, webhook_ids: Sequence[str]) -> None:
    """Give configured webhooks another chance (at start: the URL may have been fixed)."""
    session.execute(delete(DiscordWebhook).where(DiscordWebhook.webhook_id.in_(webhook_ids)))


def backlog(session: Session) -> OutboxBacklog:
    disabled = tuple(
        session.scalars(
            select(DiscordWebhook.webhook_id)
            .where(DiscordWebhook.disabled_at.is_not(None))
            .order_by(DiscordWebhook.webhook_id)
        )
    )
    count = session.scalar(
        select(func.count(OutboxRow.id)).where(
            OutboxRow.sent_at.is_(None), OutboxRow.webhook_id.not_in(disabled)
        )
    )
    used = bool(disabled) or session.scalar(select(OutboxRow.id).limit(1)) is not None
    return OutboxBacklog(int(count or 0), disabled, used)
