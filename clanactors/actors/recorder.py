"""The recorder: finished activities, from history and PGCRs, into the store and the feed.

When a fireteam's activity ends it reads only the new part of one member's history, finds
the instance, fetches its PGCR once (retrying with growing delays while Bungie has not
published it) and records one `activity_cleared`/`activity_ended` event listing every clan
member the PGCR shows. It also keeps the 3 most recent distinct clan activities current,
and at start catches up on what finished while the app was down.
"""

from __future__ import annotations

import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update

from clanactors import events
from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import (
    ActivityEnded,
    Backfill,
    CheckHistory,
    FetchPgcr,
    KnownCharacters,
    PlayerRef,
    Poll,
    Record,
    RefreshStats,
    RosterChanged,
    ViewRecent,
)
from clanactors.bungie.errors import BungieError, NotFoundError, PrivacyError
from clanactors.bungie.models import HistoryEntry, Pgcr, RosterMember
from clanactors.clock import utc_iso
from clanactors.store.models import ActivityInstance, Clan, Member, MemberActivity
from clanactors.store.models import Pgcr as PgcrRow
from clanactors.store.upsert import upsert

log = logging.getLogger(__name__)

RECENT = 3
MATCH_WINDOW = timedelta(minutes=10)  # history `period` vs the start we saw live
HISTORY_PAGE = 10
HISTORY_PAGES = 5
PGCR_RETRIES = 8  # 30 s doubling: about two hours in all
HISTORY_RETRIES = 6


@dataclass
class Pending:
    """An instance waiting for its PGCR before it is announced."""

    entry: HistoryEntry
    reporters: set[str] = field(default_factory=set)
    announce: bool = False


class RecorderActor(BaseActor):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.roster: dict[str, RosterMember] = {}
        self.characters: dict[str, tuple[str, ...]] = {}
        self.newest: dict[str, datetime] = {}
        self.known: set[str] = set()
        self.with_pgcr: set[str] = set()
        self.pending: dict[str, Pending] = {}
        self.fetching: set[str] = set()
        self.unpublished: set[str] = set()  # PGCRs Bungie never published: not asked again
        self.horizon: datetime | None = None
        self.backlog: deque[tuple[RosterMember, bool]] = deque()
        self.backlog_scheduled = False
        self.spacing = 4.0 / ctx.max_rps

    def on_start(self) -> None:
        with self.ctx.db.session() as session:
            for membership_id, ids in session.execute(
                select(Member.membership_id, Member.character_ids)
            ):
                if ids:
                    self.characters[membership_id] = tuple(ids)
            for membership_id, newest in session.execute(
                select(MemberActivity.membership_id, func.max(MemberActivity.period)).group_by(
                    MemberActivity.membership_id
                )
            ):
                self.newest[membership_id] = _aware(newest)
            since = self.ctx.clock.now() - timedelta(days=30)
            self.known = set(
                session.scalars(
                    select(ActivityInstance.instance_id).where(ActivityInstance.period >= since)
                )
            )
            self.with_pgcr = set(
                session.scalars(
                    select(PgcrRow.instance_id).where(PgcrRow.instance_id.in_(self.known))
                )
            )
        self._publish_recent()

    # ------------------------------------------------------------------ messages

    def handle(self, message: Any) -> Any:
        match message:
            case RosterChanged():
                self.roster = {m.membership_id: m for m in message.members}
            case KnownCharacters():
                self._remember_characters(message.membership_id, message.character_ids)
            case ActivityEnded():
                self._activity_ended(message)
            case CheckHistory():
                self._read_history(message.player)
            case FetchPgcr():
                self._fetch_pgcr(message)
            case Backfill():
                self._start_backfill(message)
            case Poll():
                self.backlog_scheduled = False
                self._backfill_one()
            case _:
                raise TypeError(f"unexpected message {message!r}")

    # ------------------------------------------------------------------ live ends

    def _activity_ended(self, message: ActivityEnded) -> None:
        if self._already_recorded(message):
            return
        for player in message.players:
            if player.character_id is None:
                continue
            try:
                found = self._read_history(player, expect=message)
            except PrivacyError:
                continue  # try the next member of the fireteam
            except BungieError as exc:
                log.info("history unavailable, will retry: %s", exc)
                found = False
            if found:
                return
            break  # history readable but not there yet: Bungie publishes it late
        if message.attempt < HISTORY_RETRIES:
            delay = 30.0 * 2**message.attempt
            self.later(
                delay,
                ActivityEnded(
                    message.players, message.activity_hash, message.started_at, message.attempt + 1
                ),
            )
        else:
            log.warning(
                "no history entry found for activity hash=%d started=%s",
                message.activity_hash,
                utc_iso(message.started_at),
            )

    def _already_recorded(self, message: ActivityEnded) -> bool:
        ids = [p.membership_id for p in message.players]
        with self.ctx.db.session() as session:
            rows = session.execute(
                select(MemberActivity.membership_id)
                .join(ActivityInstance)
                .where(
                    ActivityInstance.activity_hash == message.activity_hash,
                    ActivityInstance.period >= message.started_at - MATCH_WINDOW,
                    ActivityInstance.period <= message.started_at + MATCH_WINDOW,
                    MemberActivity.membership_id.in_(ids),
                )
            ).all()
        return {r[0] for r in rows} >= set(ids)

    def _read_history(self, player: PlayerRef, expect: ActivityEnded | None = None) -> bool:
        """Record the new part of one character's history; True when `expect` is in it."""
        if player.character_id is None:
            return False
        entries = self._new_entries(player)
        for entry in reversed(entries):  # oldest first
            self._record_entry(player.membership_id, entry, announce=self._announce(entry))
        if expect is None:
            return True
        return any(
            e.activity_hash == expect.activity_hash
            and abs(e.period - expect.started_at) <= MATCH_WINDOW
            for e in entries
        ) or self._already_recorded(expect)

    def _new_entries(self, player: PlayerRef, pages: int = HISTORY_PAGES) -> list[HistoryEntry]:
        """History newer than what is stored for this member, newest first."""
        assert player.character_id is not None
        newest = self.newest.get(player.membership_id)
        found: list[HistoryEntry] = []
        for page in range(pages):
            entries = self.ctx.client.get_history(
                player.membership_type,
                player.membership_id,
                player.character_id,
                count=HISTORY_PAGE,
                page=page,
            )
            for entry in entries:
                if entry.instance_id in self.known and self._has_row(player, entry):
                    return found
                if newest is not None and entry.period < newest:
                    return found
                found.append(entry)
            if len(entries) < HISTORY_PAGE or newest is None:
                return found  # the end of history, or a first look (one page is enough)
        return found

    def _has_row(self, player: PlayerRef, entry: HistoryEntry) -> bool:
        with self.ctx.db.session() as session:
            return (
                session.get(MemberActivity, (player.membership_id, entry.instance_id)) is not None
            )

    def _announce(self, entry: HistoryEntry) -> bool:
        """Announce what ended after this database's first sync; older history is seeded."""
        if self.horizon is None:
            with self.ctx.db.session() as session:
                self.horizon = session.scalar(select(Clan.first_synced_at))
        if self.horizon is None:
            return False
        return entry.period + timedelta(seconds=entry.duration_seconds) >= self.horizon

    def _record_entry(self, membership_id: str, entry: HistoryEntry, announce: bool) -> None:
        is_new = entry.instance_id not in self.known
        with self.ctx.db.session() as session:
            if is_new:
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
                },
                ["membership_id", "instance_id"],
            )
        self.known.add(entry.instance_id)
        self._advance_newest(membership_id, entry.period)
        if entry.instance_id in self.with_pgcr:
            return
        pending = self.pending.get(entry.instance_id)
        if pending is None:
            pending = self.pending[entry.instance_id] = Pending(entry, announce=announce)
            self.ctx.names.get(entry.activity_hash)  # resolve the name once, early
            if announce:
                self._want_pgcr(entry.instance_id)
        pending.reporters.add(membership_id)
        if is_new and not announce:
            self._publish_recent()

    def _advance_newest(self, membership_id: str, period: datetime) -> None:
        current = self.newest.get(membership_id)
        if current is None or period > current:
            self.newest[membership_id] = period

    # ------------------------------------------------------------------ PGCRs

    def _want_pgcr(self, instance_id: str) -> None:
        """Fetch this PGCR unless it is stored or a fetch is already on its way."""
        if instance_id in self.with_pgcr or instance_id in self.fetching | self.unpublished:
            return
        self.fetching.add(instance_id)
        self.actor_ref.tell(FetchPgcr(instance_id))

    def _fetch_pgcr(self, message: FetchPgcr) -> None:
        instance_id = message.instance_id
        if instance_id in self.with_pgcr:
            self.fetching.discard(instance_id)
            return
        try:
            pgcr, raw = self.ctx.client.get_pgcr(instance_id)
        except NotFoundError:
            if message.attempt < PGCR_RETRIES:
                self.later(30.0 * 2**message.attempt, FetchPgcr(instance_id, message.attempt + 1))
                return
            log.warning("PGCR never published instance=%s; recording from history", instance_id)
            self.fetching.discard(instance_id)
            self.unpublished.add(instance_id)
            self._finish(instance_id, None)
            return
        except BungieError as exc:
            log.info("PGCR fetch deferred instance=%s: %s", instance_id, exc)
            self.later(
                min(60.0 * 2**message.attempt, 900.0), FetchPgcr(instance_id, message.attempt + 1)
            )
            return
        self._store_pgcr(pgcr, raw)
        self.fetching.discard(instance_id)
        self._finish(instance_id, pgcr)

    def _store_pgcr(self, pgcr: Pgcr, raw: dict[str, Any]) -> None:
        clan_players = [p for p in pgcr.players() if p.membership_id in self.roster]
        cleared = any(p.completed and p.completion_reason == 0 for p in clan_players)
        with self.ctx.db.session() as session:
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
                {
                    "instance_id": pgcr.instance_id,
                    "payload": raw,
                    "fetched_at": self.ctx.clock.now(),
                },
                ["instance_id"],
            )
            for player in clan_players:
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
                    },
                    ["membership_id", "instance_id"],
                    update_columns=["character_id", "kills", "deaths", "assists", "completed"],
                )
        for player in clan_players:
            self._advance_newest(player.membership_id, pgcr.period)
        self.known.add(pgcr.instance_id)
        self.with_pgcr.add(pgcr.instance_id)

    def _finish(self, instance_id: str, pgcr: Pgcr | None) -> None:
        pending = self.pending.pop(instance_id, None)
        self._publish_recent()
        if pending is None or not pending.announce:
            return
        entry = pending.entry
        if pgcr is not None:
            players = [p for p in pgcr.players() if p.membership_id in self.roster]
            members = {p.membership_id: self._name(p.membership_id) for p in players}
            cleared = any(p.completed and p.completion_reason == 0 for p in players)
            ended = pgcr.period + timedelta(seconds=pgcr.duration_seconds)
        else:
            members = {}
            cleared = entry.cleared
            ended = entry.period + timedelta(seconds=entry.duration_seconds)
        for reporter in pending.reporters:
            members.setdefault(reporter, self._name(reporter))
        if not members:
            return
        activity = self.ctx.names.get(entry.activity_hash)
        self.ctx.tell(
            "feed", Record(events.activity_finished(members, activity, instance_id, ended, cleared))
        )
        self.ctx.tell("stats", RefreshStats(tuple(members), raids=entry.is_raid))

    def _name(self, membership_id: str) -> str:
        member = self.roster.get(membership_id)
        return member.display_name if member else "A former member"

    # ------------------------------------------------------------------ recent

    def _publish_recent(self) -> None:
        with self.ctx.db.session() as session:
            instances = list(
                session.scalars(
                    select(ActivityInstance).order_by(ActivityInstance.period.desc()).limit(RECENT)
                )
            )
            members: dict[str, list[str]] = {i.instance_id: [] for i in instances}
            for instance_id, membership_id in session.execute(
                select(MemberActivity.instance_id, MemberActivity.membership_id)
                .where(MemberActivity.instance_id.in_(members))
                .order_by(MemberActivity.membership_id)
            ):
                members[instance_id].append(membership_id)
        recent = []
        for instance in instances:
            activity = self.ctx.names.get(instance.activity_hash)
            recent.append(
                {
                    "instanceId": instance.instance_id,
                    "activity": activity.to_json(),
                    "period": utc_iso(instance.period),
                    "durationSeconds": instance.duration_seconds,
                    "completed": instance.completed,
                    "members": members[instance.instance_id],
                }
            )
            self._want_pgcr(instance.instance_id)  # prefetched: a click shows it at once
        self.ctx.tell("view", ViewRecent(tuple(recent)))

    # ------------------------------------------------------------------ start-up catch-up

    def _remember_characters(self, membership_id: str, character_ids: tuple[str, ...]) -> None:
        if not character_ids or self.characters.get(membership_id) == character_ids:
            return
        self.characters[membership_id] = character_ids
        with self.ctx.db.session() as session:
            session.execute(
                update(Member)
                .where(Member.membership_id == membership_id)
                .values(character_ids=list(character_ids))
            )

    def _start_backfill(self, message: Backfill) -> None:
        for member in message.members:
            seen = member.last_online_change
            if member.is_online or (seen is not None and seen >= message.since):
                self.backlog.append((member, member.membership_id in self.newest))
        self._schedule_backlog(0)

    def _schedule_backlog(self, delay: float) -> None:
        if self.backlog and not self.backlog_scheduled:
            self.backlog_scheduled = True
            self.later(delay, Poll())

    def _backfill_one(self) -> None:
        member, known_before = self.backlog.popleft()
        calls = 0
        try:
            characters = self.characters.get(member.membership_id)
            if not characters:
                calls += 1
                characters = self.ctx.client.get_character_ids(
                    member.membership_type, member.membership_id
                )
                self._remember_characters(member.membership_id, characters)
            for character_id in characters:
                calls += 1
                player = PlayerRef(member.membership_id, member.membership_type, character_id)
                entries = self._new_entries(player, HISTORY_PAGES if known_before else 1)
                for entry in reversed(entries):
                    self._record_entry(member.membership_id, entry, self._announce(entry))
        except PrivacyError:
            pass
        except BungieError as exc:
            log.info("backfill deferred member=%s: %s", member.bungie_name, exc)
            self.backlog.append((member, known_before))
            self._schedule_backlog(max(self.ctx.roster_interval, 30.0))
            return
        self._schedule_backlog(self.spacing * max(calls, 1))  # a quarter of the budget


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
