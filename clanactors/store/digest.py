"""The weekly digest's figures, read from the event log and members' history."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clanactors.domain.events import Kind
from clanactors.store.eventlog import row_to_event
from clanactors.store.models import EventRow, Member, MemberActivity

RAID_MODE = 4  # DestinyActivityModeType.Raid


@dataclass(frozen=True)
class DigestData:
    """A week of the event log, summed up for the digest."""

    week_start: str  # ISO date of the reset that began the week
    week_end: str
    clears_by_activity: tuple[tuple[str, int], ...]
    most_active: tuple[tuple[str, int], ...]  # (name, seconds played)
    raid_clears: tuple[tuple[str, int], ...]  # (name, raid clears)
    joined: tuple[str, ...]
    left: tuple[str, ...]


def week_summary(session: Session, start: datetime, end: datetime) -> DigestData:
    """What the clan did from the reset `start` to the reset `end`."""
    names = {m.membership_id: m.display_name for m in session.scalars(select(Member))}
    rows = session.scalars(
        select(EventRow)
        .where(
            EventRow.occurred_at >= start,
            EventRow.occurred_at < end,
            EventRow.kind.in_((Kind.ACTIVITY_CLEARED, Kind.MEMBER_JOINED, Kind.MEMBER_LEFT)),
        )
        .order_by(EventRow.id)
    )
    clears: Counter[str] = Counter()
    raids: Counter[str] = Counter()
    joined: list[str] = []
    left: list[str] = []
    for row in rows:
        event = row_to_event(row).event
        if event.kind == Kind.ACTIVITY_CLEARED:
            clears[event.activity.name if event.activity else "Unknown"] += 1
            if row.activity_mode == RAID_MODE:
                for member in event.members:
                    raids[names.get(member, member)] += 1
        else:
            names_now = [names.get(member, member) for member in event.members]
            (joined if event.kind == Kind.MEMBER_JOINED else left).extend(names_now)
    played = session.execute(
        select(MemberActivity.membership_id, func.sum(MemberActivity.time_played_seconds))
        .where(MemberActivity.period >= start, MemberActivity.period < end)
        .group_by(MemberActivity.membership_id)
    )
    active = sorted(
        ((names.get(m, m), int(s or 0)) for m, s in played if s),
        key=lambda pair: (-pair[1], pair[0]),
    )
    return DigestData(
        week_start=start.date().isoformat(),
        week_end=(end - timedelta(seconds=1)).date().isoformat(),
        clears_by_activity=tuple(sorted(clears.items(), key=lambda p: (-p[1], p[0]))),
        most_active=tuple(active[:10]),
        raid_clears=tuple(sorted(raids.items(), key=lambda p: (-p[1], p[0]))),
        joined=tuple(joined),
        left=tuple(left),
    )
