"""What one roster poll says happened to the clan: joins, leaves, online and offline.

A pure function of what was stored and what was polled, so every case is a unit test.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clanactors.bungie.models import RosterMember
from clanactors.domain import events


@dataclass(frozen=True)
class StoredMember:
    membership_id: str
    display_name: str
    joined_at: datetime | None
    is_online: bool
    in_clan: bool


def roster_events(
    stored: dict[str, StoredMember], polled: list[RosterMember], now: datetime
) -> list[events.Event]:
    """Events for the change from `stored` to `polled`; none on a database's first sync."""
    if not stored:
        return []  # the first sync seeds the roster: nobody "joined" just now
    found: list[events.Event] = []
    polled_ids = {m.membership_id for m in polled}
    for member in polled:
        before = stored.get(member.membership_id)
        name = member.display_name
        if before is None or not before.in_clan:
            found.append(events.member_joined(member.membership_id, name, member.joined_at or now))
            continue
        if before.is_online != member.is_online:
            changed = member.last_online_change or now
            make = events.member_online if member.is_online else events.member_offline
            found.append(make(member.membership_id, name, changed))
    for membership_id, before in stored.items():
        if before.in_clan and membership_id not in polled_ids:
            found.append(
                events.member_left(membership_id, before.display_name, before.joined_at, now)
            )
    return found
