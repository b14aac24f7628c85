"""Reading members' history from before the install: who is next, how far each is.

One row per member in `history_imports`: the next page of each character's history to
read (newest first; -1 once that character is done), the oldest moment wanted (`floor`,
from CLANACTORS_HISTORY_DAYS; none: everything Bungie keeps), and `done_at`. The rows
read go into the same `activity_instances` and `member_activities` as live recording
(upserts: one row per member and instance, whoever stored it first).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clanactors.bungie.models import SeasonDefinition
from clanactors.store.models import (
    ActivityDefinition,
    ActivityInstance,
    HistoryImport,
    Member,
    Season,
)
from clanactors.store.recording import KnownMember, known

DONE = -1  # a character's page once its history is read to the end or the floor


@dataclass(frozen=True)
class ImportState:
    membership_id: str
    floor: datetime | None
    pages: dict[str, int]  # characterId -> next page to read, DONE when read

    def next_character(self) -> tuple[str, int] | None:
        """The first character still to read, and its next page."""
        for character_id, page in sorted(self.pages.items()):
            if page != DONE:
                return character_id, page
        return None


@dataclass(frozen=True)
class ImportProgress:
    done: int  # members in the clan whose history is read
    total: int  # members in the clan

    @property
    def finished(self) -> bool:
        return self.done >= self.total


def next_import(session: Session) -> tuple[KnownMember, ImportState | None] | None:
    """A member in the clan whose history is not read yet: one begun first (a restart
    resumes it), then the longest in the clan."""
    pending = (
        select(Member, HistoryImport)
        .outerjoin(HistoryImport, HistoryImport.membership_id == Member.membership_id)
        .where(Member.in_clan.is_(True), HistoryImport.done_at.is_(None))
        .order_by(
            HistoryImport.membership_id.is_(None),
            Member.joined_at,
            Member.membership_id,
        )
        .limit(1)
    )
    row = session.execute(pending).first()
    if row is None:
        return None
    member, state = row
    if state is None:
        return known(member), None
    pages = {str(k): int(v) for k, v in (state.pages or {}).items()}
    return known(member), ImportState(member.membership_id, state.floor, pages)


def begin_import(
    session: Session,
    membership_id: str,
    characters: tuple[str, ...],
    floor: datetime | None,
    now: datetime,
) -> ImportState:
    pages = {c: 0 for c in characters}
    session.merge(
        HistoryImport(
            membership_id=membership_id,
            floor=floor,
            pages=pages,
            rows=0,
            started_at=now,
            done_at=None if pages else now,
            private=False,
        )
    )
    return ImportState(membership_id, floor, pages)


def advance(
    session: Session, membership_id: str, character_id: str, page: int, rows: int, now: datetime
) -> bool:
    """Note a page read (`page` is the next one, or DONE); True once the member is done."""
    state = session.get(HistoryImport, membership_id)
    if state is None:
        return False
    pages = dict(state.pages or {})
    pages[character_id] = page
    state.pages = pages
    state.rows = (state.rows or 0) + rows
    if all(int(p) == DONE for p in pages.values()):
        state.done_at = now
    return state.done_at is not None


def private(session: Session, membership_id: str, now: datetime) -> None:
    """Their history is private: nothing to read (done; a later sweep reads what is news)."""
    state = session.get(HistoryImport, membership_id)
    if state is not None:
        state.private = True
        state.done_at = now


def progress(session: Session) -> ImportProgress:
    total = session.scalar(select(func.count()).select_from(Member).where(Member.in_clan.is_(True)))
    done = session.scalar(
        select(func.count())
        .select_from(Member)
        .join(HistoryImport, HistoryImport.membership_id == Member.membership_id)
        .where(Member.in_clan.is_(True), HistoryImport.done_at.is_not(None))
    )
    return ImportProgress(int(done or 0), int(total or 0))


# ----------------------------------------------------------------------- seasons


@dataclass(frozen=True)
class SeasonRecord:
    hash: int
    name: str
    start: datetime
    end: datetime | None


def save_season(session: Session, season: SeasonDefinition) -> None:
    session.merge(
        Season(hash=season.hash, name=season.name, start_at=season.start, end_at=season.end)
    )


def season_at(session: Session, now: datetime) -> SeasonRecord | None:
    """The stored season running at `now` (the newest begun, if it has not ended)."""
    row = session.scalars(
        select(Season).where(Season.start_at <= now).order_by(Season.start_at.desc()).limit(1)
    ).first()
    if row is None or (row.end_at is not None and row.end_at <= now):
        return None
    return SeasonRecord(row.hash, row.name, row.start_at, row.end_at)


def unnamed_activities(session: Session, limit: int) -> list[int]:
    """Activity hashes in members' history with no stored definition yet."""
    known = select(ActivityDefinition.hash)
    return list(
        session.scalars(
            select(ActivityInstance.activity_hash)
            .where(ActivityInstance.activity_hash.not_in(known))
            .distinct()
            .limit(limit)
        )
    )
