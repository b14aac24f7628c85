"""Reads behind the clan pages (roster, leaderboards, member page, feed): built only from
what the system already stores — the event log and members' activity history (read back
from before the install, then kept by live recording).

Every query here is served by an index (migrations 0001 and 0006); bench/pages.py loads
the pages with 100,000 events in the log.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, case, func, or_, select
from sqlalchemy.orm import Session, aliased

from clanactors.bungie.models import MODE_DUNGEON, MODE_RAID
from clanactors.domain.events import PRESENCE_KINDS, StoredEvent
from clanactors.store.eventlog import row_to_event
from clanactors.store.models import EventMember, EventRow, MemberActivity


@dataclass(frozen=True)
class Clears:
    """Raid and dungeon clears in members' activity history."""

    raids: int = 0
    dungeons: int = 0


def clears_by_member(
    session: Session,
    since: datetime | None = None,
    member: str | None = None,
    until: datetime | None = None,
) -> dict[str, Clears]:
    """Raid and dungeon clears per member from their activity history (what they played
    before this site was installed included): completed, counted by when the member's
    part ended, in [since, until) where given."""
    counts: dict[str, dict[int | None, int]] = defaultdict(lambda: defaultdict(int))
    # One table, by the (mode, ended_at) index: raids and dungeons only, in the period.
    query = (
        select(MemberActivity.membership_id, MemberActivity.mode, func.count())
        .where(
            MemberActivity.mode.in_((MODE_RAID, MODE_DUNGEON)),
            MemberActivity.completed.is_(True),
            or_(MemberActivity.completion_reason == 0, MemberActivity.completion_reason.is_(None)),
        )
        .group_by(MemberActivity.membership_id, MemberActivity.mode)
    )
    if since is not None:
        query = query.where(MemberActivity.ended_at >= since)
    if until is not None:
        query = query.where(MemberActivity.ended_at < until)
    if member is not None:
        query = query.where(MemberActivity.membership_id == member)
    for membership_id, mode, count in session.execute(query):
        counts[membership_id][mode] = int(count)
    return {
        m: Clears(raids=c.get(MODE_RAID, 0), dungeons=c.get(MODE_DUNGEON, 0))
        for m, c in counts.items()
    }


def time_played(
    session: Session, since: datetime | None, until: datetime | None = None
) -> dict[str, int]:
    """Seconds played per member in activities started in [since, until)."""
    query = select(
        MemberActivity.membership_id, func.sum(MemberActivity.time_played_seconds)
    ).group_by(MemberActivity.membership_id)
    if since is not None:
        query = query.where(MemberActivity.period >= since)
    if until is not None:
        query = query.where(MemberActivity.period < until)
    return {m: int(s or 0) for m, s in session.execute(query) if s}


def _shared_seconds(mine: Any, theirs: Any) -> ColumnElement[Any]:
    """Time two players spent in the same instance: the shorter of their two times."""
    return func.sum(
        case(
            (mine.time_played_seconds < theirs.time_played_seconds, mine.time_played_seconds),
            else_=theirs.time_played_seconds,
        )
    )


@dataclass(frozen=True)
class Pair:
    first: str
    second: str
    seconds: int
    instances: int


def played_together(
    session: Session, since: datetime | None, limit: int, until: datetime | None = None
) -> list[Pair]:
    """The pairs of members with the most time in the same instances started in
    [since, until)."""
    a = aliased(MemberActivity)
    b = aliased(MemberActivity)
    shared = _shared_seconds(a, b)
    query = (
        select(a.membership_id, b.membership_id, shared, func.count())
        .join(b, b.instance_id == a.instance_id)
        .where(a.membership_id < b.membership_id)
        .group_by(a.membership_id, b.membership_id)
        .order_by(shared.desc(), a.membership_id, b.membership_id)
        .limit(limit)
    )
    # Both rows of an instance carry its start: both sides read by the period index.
    if since is not None:
        query = query.where(a.period >= since, b.period >= since)
    if until is not None:
        query = query.where(a.period < until, b.period < until)
    rows = session.execute(query)
    return [Pair(first, second, int(s or 0), int(n)) for first, second, s, n in rows]


def played_with(session: Session, member: str, since: datetime | None) -> dict[str, int]:
    """Seconds `member` spent in the same instances as each other member since `since`
    (all of their history when None)."""
    mine = aliased(MemberActivity)
    theirs = aliased(MemberActivity)
    query = (
        select(theirs.membership_id, _shared_seconds(mine, theirs))
        .join(theirs, theirs.instance_id == mine.instance_id)
        .where(mine.membership_id == member, theirs.membership_id != member)
        .group_by(theirs.membership_id)
    )
    if since is not None:
        query = query.where(mine.period >= since, theirs.period >= since)
    rows = session.execute(query)
    return {m: int(s or 0) for m, s in rows if s}


def activity_spans(
    session: Session, member: str, since: datetime
) -> list[tuple[datetime, datetime]]:
    """When the member was in an activity since `since` (start, end), from their history."""
    rows = session.execute(
        select(MemberActivity.period, MemberActivity.ended_at).where(
            MemberActivity.membership_id == member, MemberActivity.period >= since
        )
    )
    return [(start, end) for start, end in rows if end is not None and end > start]


def presence(session: Session, member: str, since: datetime) -> list[tuple[str, datetime]]:
    """The member's online/offline events since `since`, oldest first: (kind, when)."""
    rows = session.execute(
        select(EventRow.kind, EventRow.occurred_at)
        .join(EventMember, EventMember.event_id == EventRow.id)
        .where(
            EventMember.membership_id == member,
            EventRow.kind.in_(PRESENCE_KINDS),
            EventRow.occurred_at >= since,
        )
        .order_by(EventRow.occurred_at, EventRow.id)
    )
    return [(kind, when) for kind, when in rows]


@dataclass(frozen=True)
class FeedQuery:
    """One page of the event log: `before` (older than) or `after` (newer than) an id."""

    limit: int
    kind: str | None = None
    member: str | None = None
    kinds: tuple[str, ...] = ()  # only these kinds (none given: any)
    without: tuple[str, ...] = ()  # leave these kinds out
    before: int | None = None
    after: int | None = None


@dataclass(frozen=True)
class FeedPage:
    events: list[StoredEvent]  # newest first
    older: int | None  # the `before` cursor of the next older page, if there is one
    newer: int | None  # the `after` cursor of the next newer page, if there is one


def _feed_select(query: FeedQuery) -> Select[Any]:
    stmt = select(EventRow)
    if query.member is not None:
        # Ordered by the join table's id, so the (membership_id, event_id) index serves it.
        stmt = stmt.join(EventMember, EventMember.event_id == EventRow.id).where(
            EventMember.membership_id == query.member
        )
    if query.kind is not None:
        stmt = stmt.where(EventRow.kind == query.kind)
    if query.kinds:
        stmt = stmt.where(EventRow.kind.in_(query.kinds))
    if query.without:
        stmt = stmt.where(EventRow.kind.not_in(query.without))
    return stmt


def feed_page(session: Session, query: FeedQuery) -> FeedPage:
    """Events matching the query, newest first, with cursors to the pages either side."""
    order_id = EventMember.event_id if query.member is not None else EventRow.id
    stmt = _feed_select(query)
    if query.after is not None:
        stmt = stmt.where(order_id > query.after).order_by(order_id.asc())
    else:
        if query.before is not None:
            stmt = stmt.where(order_id < query.before)
        stmt = stmt.order_by(order_id.desc())
    rows = list(session.scalars(stmt.limit(query.limit + 1)))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    if query.after is not None:
        rows.reverse()
    events = [row_to_event(r) for r in rows]
    if not events:
        return FeedPage(events, None, None)
    newest, oldest = events[0].id, events[-1].id
    if query.after is not None:
        older = oldest if _exists(session, query, before=oldest) else None
        newer = newest if more else None
    else:
        older = oldest if more else None
        newer = (
            newest if query.before is not None and _exists(session, query, after=newest) else None
        )
    return FeedPage(events, older, newer)


def _exists(
    session: Session, query: FeedQuery, before: int | None = None, after: int | None = None
) -> bool:
    order_id = EventMember.event_id if query.member is not None else EventRow.id
    stmt = _feed_select(query)
    stmt = stmt.where(order_id < before) if before is not None else stmt.where(order_id > after)
    return session.scalar(stmt.with_only_columns(order_id).limit(1)) is not None
