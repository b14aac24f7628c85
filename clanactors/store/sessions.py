"""Signed-in players' sessions and one-time sign-in states (docs/api.md, "Sign-in").

Only hashes of the cookie's session id and of the sign-in `state` are stored; the OAuth
tokens arrive here already encrypted (the web side holds the key).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from clanactors.store.models import Clan, Member, SigninState, WebSession


def add_state(session: Session, state_hash: str, now: datetime, older_than: datetime) -> None:
    """Remember a sign-in's state; forget the ones that were never used."""
    session.execute(delete(SigninState).where(SigninState.created_at < older_than))
    session.add(SigninState(state_hash=state_hash, created_at=now))


def take_state(session: Session, state_hash: str, not_before: datetime) -> bool:
    """Use a state once: true if it was there and young enough; gone either way."""
    row = session.get(SigninState, state_hash)
    if row is None:
        return False
    session.delete(row)
    return row.created_at >= not_before


@dataclass(frozen=True)
class SessionRecord:
    id_hash: str
    membership_id: str
    membership_type: int
    display_name: str
    tokens: str  # encrypted
    access_expires_at: datetime
    refresh_expires_at: datetime
    expires_at: datetime


def _record(row: WebSession) -> SessionRecord:
    return SessionRecord(
        row.id_hash,
        row.membership_id,
        row.membership_type,
        row.display_name,
        row.tokens,
        row.access_expires_at,
        row.refresh_expires_at,
        row.expires_at,
    )


def save_session(session: Session, record: SessionRecord, now: datetime) -> None:
    session.execute(delete(WebSession).where(WebSession.expires_at < now))
    session.add(
        WebSession(
            id_hash=record.id_hash,
            membership_id=record.membership_id,
            membership_type=record.membership_type,
            display_name=record.display_name,
            tokens=record.tokens,
            access_expires_at=record.access_expires_at,
            refresh_expires_at=record.refresh_expires_at,
            created_at=now,
            expires_at=record.expires_at,
        )
    )


def find_session(session: Session, id_hash: str, now: datetime) -> SessionRecord | None:
    row = session.get(WebSession, id_hash)
    if row is None or row.expires_at <= now:
        return None
    return _record(row)


def update_tokens(
    session: Session, id_hash: str, tokens: str, access_expires_at: datetime,
    refresh_expires_at: datetime,
) -> None:  # fmt: skip
    row = session.get(WebSession, id_hash)
    if row is not None:
        row.tokens = tokens
        row.access_expires_at = access_expires_at
        row.refresh_expires_at = refresh_expires_at
        row.expires_at = min(row.expires_at, refresh_expires_at)


def end_session(session: Session, id_hash: str) -> None:
    session.execute(delete(WebSession).where(WebSession.id_hash == id_hash))


def member_rank(session: Session, membership_id: str) -> str | None:
    """The member's rank in the stored roster (`Admin`, `Founder`, ...), None if not in
    the clan."""
    return session.scalar(
        select(Member.rank).where(Member.membership_id == membership_id, Member.in_clan)
    )


def clan_id(session: Session) -> str | None:
    """The clan this database belongs to."""
    return session.scalar(select(Clan.group_id).limit(1))


@dataclass(frozen=True)
class RosterEntry:
    membership_id: str
    membership_type: int
    bungie_name: str
    rank: str


def roster_entries(session: Session, membership_ids: list[str]) -> dict[str, RosterEntry]:
    """These members as the stored roster has them (members in the clan only)."""
    rows = session.scalars(
        select(Member).where(Member.membership_id.in_(membership_ids), Member.in_clan)
    )
    return {
        r.membership_id: RosterEntry(r.membership_id, r.membership_type, r.bungie_name, r.rank)
        for r in rows
    }
