"""The recorder's durable memory: history checkpoints, the work queue and activity rows.

Every function takes a session (the caller owns the transaction) and returns frozen
records, never ORM rows, so nothing from one session is carried into another.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from clanactors.bungie.models import HistoryEntry, Pgcr
from clanactors.core.clock import utc_iso
from clanactors.store.models import (
    ActivityInstance,
    Clan,
    EventRow,
    HistoryCheckpoint,
    Member,
    MemberActivity,
    RecordingWork,
)
from clanactors.store.models import Pgcr as PgcrRow
from clanactors.store.upsert import insert_for, upsert

HISTORY = "history"
PGCR = "pgcr"  # fetch the report and record the instance's event
PREFETCH = "prefetch"  # fetch the report only (a recent activity someone may click)


@dataclass(frozen=True)
class Work:
    key: str
    kind: str
    subject: str
    payload: dict[str, Any]
    attempts: int
    next_try_at: datetime
    created_at: datetime
    priority: int = 0

    def history(self) -> HistoryRead:
        """The payload of a history read (kind HISTORY)."""
        return HistoryRead.from_json(self.payload)


@dataclass(frozen=True)
class Checkpoint:
    membership_id: str
    character_id: str
    checked_through: datetime | None
    checked_at: datetime


@dataclass(frozen=True)
class KnownMember:
    """What the recorder needs of a member: who they are and their characters."""

    membership_id: str
    membership_type: int
    display_name: str
    in_clan: bool
    is_online: bool
    last_online_at: datetime | None
    character_ids: tuple[str, ...]
    joined_at: datetime | None = None


@dataclass(frozen=True)
class Backlog:
    count: int
    oldest: datetime | None


def work_key(kind: str, subject: str) -> str:
    return f"{kind}:{subject}"


# ----------------------------------------------------------------------- work queue


def enqueue(
    session: Session,
    kind: str,
    subject: str,
    payload: dict[str, Any],
    now: datetime,
    *,
    bump: bool = True,
    priority: int = 0,
) -> None:
    """Add work, or make existing work due now; with `bump` false, existing work keeps
    its schedule. (History reads go through `enqueue_history`, which merges.)"""
    values = {
        "key": work_key(kind, subject),
        "kind": kind,
        "subject": subject,
        "payload": payload,
        "priority": priority,
        "attempts": 0,
        "next_try_at": now,
        "created_at": now,
    }
    stmt = insert_for(session, RecordingWork, values)
    if not bump:
        session.execute(stmt.on_conflict_do_nothing(index_elements=["key"]))
        return
    changes = {"next_try_at": stmt.excluded.next_try_at}
    session.execute(stmt.on_conflict_do_update(index_elements=["key"], set_=changes))


@dataclass(frozen=True)
class Candidate:
    """A member whose history may hold the activity; no characters listed: all of them."""

    membership_id: str
    characters: tuple[str, ...] = ()


@dataclass(frozen=True)
class Expected:
    """The activity a fireteam's end expects to find in the history."""

    activity_hash: int
    started_at: datetime


@dataclass(frozen=True)
class HistoryRead:
    """The payload of a history read: whose history, and what it should show."""

    candidates: tuple[Candidate, ...]
    expect: Expected | None = None

    def to_json(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "candidates": [
                {"id": c.membership_id, "characters": list(c.characters)} for c in self.candidates
            ]
        }
        if self.expect is not None:
            payload["expect"] = {
                "hash": self.expect.activity_hash,
                "startedAt": utc_iso(self.expect.started_at),
            }
        return payload

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> HistoryRead:
        candidates = tuple(
            Candidate(str(c["id"]), tuple(c.get("characters") or ()))
            for c in payload.get("candidates", [])
        )
        expect = payload.get("expect")
        return cls(
            candidates,
            Expected(
                int(expect["hash"]),
                datetime.fromisoformat(str(expect["startedAt"]).replace("Z", "+00:00")),
            )
            if expect
            else None,
        )


def merge_history(old: HistoryRead, new: HistoryRead) -> HistoryRead:
    """One history read that does what both asked: every candidate of both (the new
    ones first), each with the characters either wanted (none listed means all of them),
    and the newer expectation."""
    characters: dict[str, tuple[str, ...]] = {}
    for candidate in [*new.candidates, *old.candidates]:
        mine = candidate.characters
        if candidate.membership_id not in characters:
            characters[candidate.membership_id] = mine
        else:
            theirs = characters[candidate.membership_id]
            both = tuple(sorted(set(theirs) | set(mine))) if theirs and mine else ()
            characters[candidate.membership_id] = both
    return HistoryRead(
        tuple(Candidate(k, v) for k, v in characters.items()), new.expect or old.expect
    )


def enqueue_history(
    session: Session,
    membership_id: str,
    read: HistoryRead,
    now: datetime,
    priority: int = 0,
) -> None:
    """Ask for a read of this member's history now; merged with one already asked for,
    so no request narrows another (only the recorder calls this: one writer)."""
    key = work_key(HISTORY, membership_id)
    row = session.get(RecordingWork, key)
    if row is None:
        session.add(
            RecordingWork(
                key=key,
                kind=HISTORY,
                subject=membership_id,
                payload=read.to_json(),
                priority=priority,
                attempts=0,
                next_try_at=now,
                created_at=now,
            )
        )
        return
    row.payload = merge_history(HistoryRead.from_json(dict(row.payload or {})), read).to_json()
    row.next_try_at = min(row.next_try_at, now)
    row.priority = min(row.priority, priority)
    if read.expect is not None:
        row.attempts = 0  # a new expectation gets its own retries


def due_work(session: Session, now: datetime, limit: int, skip: Iterable[str] = ()) -> list[Work]:
    """Work whose time has come: news before first looks, history before PGCRs (it
    creates them), oldest first."""
    stmt = select(RecordingWork).where(RecordingWork.next_try_at <= now)
    skip = list(skip)
    if skip:
        stmt = stmt.where(RecordingWork.key.not_in(skip))
    rows = session.scalars(
        stmt.order_by(RecordingWork.priority, RecordingWork.kind, RecordingWork.next_try_at).limit(
            limit
        )
    )
    return [_work(r) for r in rows]


def next_due(session: Session) -> datetime | None:
    return session.scalar(select(func.min(RecordingWork.next_try_at)))


def retry_later(
    session: Session, key: str, at: datetime, payload: dict[str, Any] | None = None
) -> None:
    values: dict[str, Any] = {"attempts": RecordingWork.attempts + 1, "next_try_at": at}
    if payload is not None:
        values["payload"] = payload
    session.execute(update(RecordingWork).where(RecordingWork.key == key).values(**values))


def finish(session: Session, key: str) -> None:
    session.execute(delete(RecordingWork).where(RecordingWork.key == key))


def backlog(session: Session) -> Backlog:
    """Finished activities (and histories) waiting to be recorded; prefetches aside.
    `oldest` is news only: a new database's first looks are seeding, not lagging."""
    count = session.scalar(
        select(func.count()).select_from(RecordingWork).where(RecordingWork.kind != PREFETCH)
    )
    oldest = session.scalar(
        select(func.min(RecordingWork.created_at)).where(
            RecordingWork.kind != PREFETCH, RecordingWork.priority == 0
        )
    )
    return Backlog(int(count or 0), oldest)


def _work(row: RecordingWork) -> Work:
    return Work(
        row.key,
        row.kind,
        row.subject,
        dict(row.payload or {}),
        row.attempts,
        row.next_try_at,
        row.created_at,
        row.priority,
    )


# ----------------------------------------------------------------------- members, checkpoints


def known_member(session: Session, membership_id: str) -> KnownMember | None:
    row = session.get(Member, membership_id)
    return known(row) if row is not None else None


def clan_members(session: Session) -> dict[str, KnownMember]:
    rows = session.scalars(select(Member).where(Member.in_clan.is_(True)))
    return {r.membership_id: known(r) for r in rows}


def known(row: Member) -> KnownMember:
    return KnownMember(
        row.membership_id,
        row.membership_type,
        row.display_name,
        row.in_clan,
        row.is_online,
        row.last_online_at,
        tuple(row.character_ids or ()),
        row.joined_at,
    )


def save_characters(session: Session, membership_id: str, character_ids: tuple[str, ...]) -> None:
    session.execute(
        update(Member)
        .where(Member.membership_id == membership_id)
        .values(character_ids=list(character_ids))
    )


def checkpoints(session: Session) -> dict[str, dict[str, Checkpoint]]:
    """Every character's checkpoint, by member."""
    found: dict[str, dict[str, Checkpoint]] = {}
    for r in session.scalars(select(HistoryCheckpoint)):
        found.setdefault(r.membership_id, {})[r.character_id] = Checkpoint(
            r.membership_id, r.character_id, r.checked_through, r.checked_at
        )
    return found


def member_checkpoints(session: Session, membership_id: str) -> dict[str, Checkpoint]:
    rows = session.scalars(
        select(HistoryCheckpoint).where(HistoryCheckpoint.membership_id == membership_id)
    )
    return {
        r.character_id: Checkpoint(r.membership_id, r.character_id, r.checked_through, r.checked_at)
        for r in rows
    }


def move_checkpoint(
    session: Session,
    membership_id: str,
    character_id: str,
    through: datetime | None,
    now: datetime,
) -> None:
    """The character's history is read up to `through` (never moves back)."""
    row = session.get(HistoryCheckpoint, (membership_id, character_id))
    if row is None:
        session.add(
            HistoryCheckpoint(
                membership_id=membership_id,
                character_id=character_id,
                checked_through=through,
                checked_at=now,
            )
        )
        return
    if through is not None and (row.checked_through is None or through > row.checked_through):
        row.checked_through = through
    row.checked_at = now


def horizon(session: Session) -> datetime | None:
    """This database's first sync: what ended before it is history, not news."""
    return session.scalar(select(Clan.first_synced_at))


# ----------------------------------------------------------------------- activities


def store_history(session: Session, membership_id: str, entries: Iterable[HistoryEntry]) -> None:
    for entry in entries:
        upsert(
            session,
            ActivityInstance,
            {
                "instance_id": entry.instance_id,
                "activity_hash": entry.activity_hash,
                "mode": entry.mode,
                "period": entry.period,
                "duration_seconds": entry.duration_seconds,
                "completed": entry.cleared,
            },
            ["instance_id"],
        )
        upsert(
            session,
            MemberActivity,
            {
                "membership_id": membership_id,
                "instance_id": entry.instance_id,
                "character_id": "",
                "period": entry.period,
                "completed": entry.completed,
                "completion_reason": entry.completion_reason,
                "kills": entry.kills,
                "deaths": entry.deaths,
                "assists": entry.assists,
                "time_played_seconds": entry.time_played_seconds,
                "ended_at": entry.period + timedelta(seconds=entry.duration_seconds),
                "mode": entry.mode,
            },
            ["membership_id", "instance_id"],
        )


def instance_recorded(session: Session, instance_id: str) -> bool:
    """True once the instance's finished event is in the log."""
    key = f"activity_finished:{instance_id}"
    return session.scalar(select(EventRow.id).where(EventRow.dedupe_key == key)) is not None


def member_played(
    session: Session, membership_id: str, activity_hash: int, around: datetime, window: timedelta
) -> bool:
    """Whether this member has a stored instance of this activity started near `around`."""
    found = session.scalar(
        select(MemberActivity.instance_id)
        .join(ActivityInstance)
        .where(
            MemberActivity.membership_id == membership_id,
            ActivityInstance.activity_hash == activity_hash,
            ActivityInstance.period >= around - window,
            ActivityInstance.period <= around + window,
        )
        .limit(1)
    )
    return found is not None


def stored_pgcr(session: Session, instance_id: str) -> dict[str, Any] | None:
    row = session.get(PgcrRow, instance_id)
    return dict(row.payload) if row is not None else None


def store_pgcr(
    session: Session,
    pgcr: Pgcr,
    raw: dict[str, Any],
    clan_ids: set[str],
    cleared: bool,
    now: datetime,
) -> None:
    upsert(
        session,
        ActivityInstance,
        {
            "instance_id": pgcr.instance_id,
            "activity_hash": pgcr.activity_hash,
            "mode": pgcr.mode,
            "period": pgcr.period,
            "duration_seconds": pgcr.duration_seconds,
            "completed": cleared,
        },
        ["instance_id"],
        update_columns=["completed", "duration_seconds"],
    )
    upsert(
        session,
        PgcrRow,
        {"instance_id": pgcr.instance_id, "payload": raw, "fetched_at": now},
        ["instance_id"],
    )
    for player in pgcr.players():
        if player.membership_id not in clan_ids:
            continue
        upsert(
            session,
            MemberActivity,
            {
                "membership_id": player.membership_id,
                "instance_id": pgcr.instance_id,
                "character_id": player.character_id,
                "period": pgcr.period,
                "completed": player.completed,
                "completion_reason": player.completion_reason,
                "kills": player.kills,
                "deaths": player.deaths,
                "assists": player.assists,
                "time_played_seconds": player.time_played_seconds,
                "ended_at": pgcr.period + timedelta(seconds=pgcr.duration_seconds),
                "mode": pgcr.mode,
            },
            ["membership_id", "instance_id"],
            update_columns=["character_id", "kills", "deaths", "assists", "completed"],
        )


@dataclass(frozen=True)
class InstanceRow:
    instance_id: str
    activity_hash: int
    mode: int | None
    period: datetime
    duration_seconds: int
    completed: bool


def instance(session: Session, instance_id: str) -> InstanceRow | None:
    row = session.get(ActivityInstance, instance_id)
    if row is None:
        return None
    return InstanceRow(
        row.instance_id,
        row.activity_hash,
        row.mode,
        row.period,
        row.duration_seconds,
        row.completed,
    )


def instance_members(session: Session, instance_id: str) -> list[str]:
    return list(
        session.scalars(
            select(MemberActivity.membership_id).where(MemberActivity.instance_id == instance_id)
        )
    )


@dataclass(frozen=True)
class RecentRow:
    instance: InstanceRow
    members: tuple[str, ...]


def recent_instances(session: Session, limit: int) -> list[RecentRow]:
    """The newest `limit` instances, preferring those two or more clan members played
    together: solo ones only fill the places no shared instance takes. Newest first."""
    players = (
        select(func.count())
        .where(MemberActivity.instance_id == ActivityInstance.instance_id)
        .correlate(ActivityInstance)
        .scalar_subquery()
    )
    newest = select(ActivityInstance).order_by(ActivityInstance.period.desc())
    rows = list(session.scalars(newest.where(players >= 2).limit(limit)))
    if len(rows) < limit:
        shared = {r.instance_id for r in rows}
        solo = session.scalars(newest.where(players < 2).limit(limit))
        rows += [r for r in solo if r.instance_id not in shared][: limit - len(rows)]
        rows.sort(key=lambda r: r.period, reverse=True)
    members: dict[str, list[str]] = {r.instance_id: [] for r in rows}
    for instance_id, membership_id in session.execute(
        select(MemberActivity.instance_id, MemberActivity.membership_id)
        .where(MemberActivity.instance_id.in_(members))
        .order_by(MemberActivity.membership_id)
    ):
        members[instance_id].append(membership_id)
    return [
        RecentRow(
            InstanceRow(
                r.instance_id, r.activity_hash, r.mode, r.period, r.duration_seconds, r.completed
            ),
            tuple(members[r.instance_id]),
        )
        for r in rows
    ]
