"""The clan and its roster in the database: who owns it, and one poll applied atomically."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clanactors.bungie.models import GroupInfo, RosterMember
from clanactors.core.errors import ConfigError
from clanactors.domain.events import Event, StoredEvent
from clanactors.domain.roster_diff import StoredMember, roster_events
from clanactors.store.db import DEMO_DATABASE_URL
from clanactors.store.eventlog import record_event
from clanactors.store.models import Clan, Member


def describe(clan_id: str, demo: bool) -> str:
    """A clan as messages name it: the demo's and a real one never read alike."""
    return f"the demo's simulated clan {clan_id}" if demo else f"the real clan {clan_id}"


def claim_clan(session: Session, clan_id: str, demo: bool, now: datetime) -> None:
    """Record the clan in a new database, or refuse a database that holds another one."""
    owner = session.scalars(select(Clan)).first()
    if owner is None:
        session.add(_new_clan(clan_id, demo, now))
        return
    if owner.group_id != clan_id or owner.demo != demo:
        if owner.demo and not demo:
            advice = (
                "give the real clan a database of its own (this one only ever held the demo "
                "and can be deleted)"
            )
        elif demo and not owner.demo:
            advice = f"the demo keeps to its own: without DATABASE_URL it uses {DEMO_DATABASE_URL}"
        else:
            advice = "use another database for it"
        raise ConfigError(
            f"DATABASE_URL holds {describe(owner.group_id, owner.demo)}, not "
            f"{describe(clan_id, demo)}: {advice}"
        )
    if owner.first_synced_at is None:
        owner.first_synced_at = now


def _new_clan(clan_id: str, demo: bool, now: datetime) -> Clan:
    return Clan(
        group_id=clan_id,
        name="",
        motto="",
        member_count=0,
        updated_at=now,
        first_synced_at=now,
        demo=demo,
    )


def apply_roster(
    session: Session,
    clan_id: str,
    group: GroupInfo | None,
    members: list[RosterMember],
    polled_at: datetime,
) -> list[StoredEvent] | None:
    """Store one roster poll and the events it implies, in the caller's transaction.

    Returns the stored events (duplicates left out), or None when a newer poll was
    already applied (a retried message must never take the roster back in time).
    """
    clan = session.get(Clan, clan_id)
    if clan is None:  # claim_clan runs at start; a missing row means it did not run
        clan = _new_clan(clan_id, False, polled_at)
        session.add(clan)
    elif clan.member_count and clan.updated_at >= polled_at:
        return None
    rows = {m.membership_id: m for m in session.scalars(select(Member))}
    stored = {
        k: StoredMember(k, r.display_name, r.joined_at, r.is_online, r.in_clan)
        for k, r in rows.items()
    }
    happened: list[Event] = roster_events(stored, members, polled_at)
    polled_ids = set()
    for member in members:
        polled_ids.add(member.membership_id)
        values = {
            "membership_type": member.membership_type,
            "display_name": member.display_name,
            "bungie_name": member.bungie_name,
            "rank": member.rank,
            "joined_at": member.joined_at,
            "is_online": member.is_online,
            "last_online_at": member.last_online_change,
            "in_clan": True,
        }
        row = rows.get(member.membership_id)
        if row is None:
            session.add(Member(membership_id=member.membership_id, updated_at=polled_at, **values))
        elif any(getattr(row, k) != v for k, v in values.items()):
            for key, value in values.items():
                setattr(row, key, value)
            row.updated_at = polled_at
    for membership_id, row in rows.items():
        if row.in_clan and membership_id not in polled_ids:
            row.in_clan = False
            row.is_online = False
            row.updated_at = polled_at
    if group is not None:
        clan.name = group.name
        clan.motto = group.motto
    clan.member_count = len(members)
    clan.updated_at = polled_at
    session.flush()
    stored_events = []
    for event in happened:
        event_id = record_event(session, event, polled_at)
        if event_id is not None:
            stored_events.append(StoredEvent(event_id, event))
    return stored_events
