"""The event log: insert-or-ignore by dedupe key, and reads by id or filter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from clanactors.domain.events import ActivityRef, Event, Kind, StoredEvent
from clanactors.domain.names import NamedMember, find_member
from clanactors.store.models import EventMember, EventRow, Member
from clanactors.store.upsert import insert_for


def record_event(session: Session, event: Event, recorded_at: datetime) -> int | None:
    """Store `event` unless its dedupe key is already there.

    Returns the new id, or None when it was a duplicate. One INSERT ... ON CONFLICT DO
    NOTHING, so two writers racing on the same key cannot both win.
    """
    values: dict[str, Any] = {
        "kind": event.kind,
        "occurred_at": event.occurred_at,
        "recorded_at": recorded_at,
        "membership_ids": list(event.members),
        "activity_hash": event.activity.hash if event.activity else None,
        "activity_mode": event.activity.mode if event.activity else None,
        "instance_id": event.instance_id,
        "text": event.text,
        "payload": _payload(event),
        "dedupe_key": event.dedupe_key,
    }
    stmt = (
        insert_for(session, EventRow, values)
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(EventRow.id)
    )
    event_id = session.execute(stmt).scalar_one_or_none()
    if event_id is not None and event.members:
        session.execute(
            insert(EventMember),
            [{"event_id": event_id, "membership_id": m} for m in event.members],
        )
    return event_id


def _payload(event: Event) -> dict[str, Any]:
    return {
        "activity": event.activity.to_json() if event.activity else None,
        **event.extra,
    }


def row_to_event(row: EventRow) -> StoredEvent:
    activity_json = (row.payload or {}).get("activity")
    activity = (
        ActivityRef(activity_json["hash"], activity_json["name"], activity_json.get("mode"))
        if activity_json
        else None
    )
    extra = {k: v for k, v in (row.payload or {}).items() if k != "activity"}
    return StoredEvent(
        row.id,
        Event(
            kind=Kind(row.kind),
            occurred_at=row.occurred_at,
            members=tuple(row.membership_ids),
            text=row.text,
            dedupe_key=row.dedupe_key,
            activity=activity,
            instance_id=row.instance_id,
            extra=extra,
        ),
    )


def events_after(session: Session, after: int, limit: int) -> list[StoredEvent]:
    """Events with id > `after`, oldest first."""
    rows = session.scalars(
        select(EventRow).where(EventRow.id > after).order_by(EventRow.id).limit(limit)
    )
    return [row_to_event(r) for r in rows]


def last_event_id(session: Session) -> int:
    return session.scalar(select(func.coalesce(func.max(EventRow.id), 0))) or 0


@dataclass(frozen=True)
class EventFilter:
    kind: str | None = None
    member: str | None = None  # a display name, Bungie name or membershipId (see names.py)
    since: datetime | None = None
    limit: int = 50


def find_events(session: Session, flt: EventFilter) -> list[StoredEvent]:
    """The newest `limit` events matching `flt`, returned oldest first."""
    stmt = select(EventRow)
    if flt.kind:
        stmt = stmt.where(EventRow.kind == flt.kind)
    if flt.since:
        stmt = stmt.where(EventRow.occurred_at >= flt.since)
    if flt.member:
        member_ids = {m.membership_id for m in members_named(session, flt.member)}
        member_ids.add(flt.member.strip())  # an id of someone no longer in `members`
        event_ids = select(EventMember.event_id).where(EventMember.membership_id.in_(member_ids))
        stmt = stmt.where(EventRow.id.in_(event_ids))
    rows = list(session.scalars(stmt.order_by(EventRow.id.desc()).limit(flt.limit)))
    return [row_to_event(r) for r in reversed(rows)]


def members_named(session: Session, needle: str) -> list[NamedMember]:
    """The stored members (former ones too) `needle` names, ignoring case and accents."""
    rows = session.execute(
        select(Member.membership_id, Member.display_name, Member.bungie_name)
    ).all()
    return find_member(needle, (NamedMember(*row) for row in rows))
