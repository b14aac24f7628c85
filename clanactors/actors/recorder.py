"""The recorder: finished activities, from members' histories and PGCRs, into the log.

It only works off the durable queue in `recording_work` (README, "Nothing is
lost"): a history to read, a PGCR to fetch. Work is written to the database before
anything is fetched, and leaves it only in the transaction that finishes it: reading a
history stores its rows, moves the member's checkpoint and queues the PGCRs it found in
one transaction; an announced PGCR's work is deleted by the feed in the transaction that
stores its event. A crash at any moment leaves the work to be done on the next start.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, assert_never

from sqlalchemy.exc import SQLAlchemyError

from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import (
    ActivityEnded,
    CheckHistory,
    KnownCharacters,
    Poll,
    Record,
    RecorderMessage,
    RefreshStats,
    ViewRecent,
)
from clanactors.bungie.errors import (
    BungieError,
    MaintenanceError,
    NotFoundError,
    PrivacyError,
    ThrottledError,
)
from clanactors.bungie.models import MODE_RAID, HistoryEntry, Pgcr, parse_pgcr
from clanactors.bungie.modes import is_pvp
from clanactors.bungie.pgcr_teams import report_outcome
from clanactors.core.clock import utc_iso
from clanactors.domain import events
from clanactors.domain.recent import steady
from clanactors.domain.snapshot import RecentActivity
from clanactors.runtime.scheduler import Timer
from clanactors.store import recording as store
from clanactors.store.recording import (
    HISTORY,
    PGCR,
    PREFETCH,
    Candidate,
    Checkpoint,
    Expected,
    HistoryRead,
    KnownMember,
    Work,
)

log = logging.getLogger(__name__)

RECENT = 3
MATCH_WINDOW = timedelta(minutes=10)  # history `period` vs the start we saw live
BACKFILL_WINDOW = timedelta(days=14)  # a first look at a member reads no further back
HISTORY_PAGE = 10
HISTORY_PAGES = 20  # pages per character when catching up after a long stop
HISTORY_RETRIES = 6  # an expected entry not in history yet: 30 s doubling, ~30 min
PGCR_RETRIES = 8  # a PGCR not published yet: 30 s doubling, about two hours in all
IDLE = 60.0  # with nothing due, look at the queue again after this long anyway
HANDED_OVER = 120.0  # work told to the feed is not picked again for this long


class RecorderActor(BaseActor[RecorderMessage]):
    role = "recorder"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.handed: dict[str, float] = {}  # work key -> when it went to the feed
        self.timer: Timer | None = None
        self.recent: tuple[RecentActivity, ...] = ()  # as last told to the view

    def started(self) -> None:
        self._publish_recent()
        self._kick(0)

    def handle(self, message: RecorderMessage) -> Any:
        match message:
            case ActivityEnded():
                self._activity_ended(message)
            case CheckHistory():
                read = HistoryRead((Candidate(message.membership_id, message.characters),))
                with self.ctx.db.session() as session:
                    store.enqueue_history(
                        session, message.membership_id, read, self._now(), message.priority
                    )
                self._kick(0)
            case KnownCharacters():
                with self.ctx.db.session() as session:
                    store.save_characters(session, message.membership_id, message.character_ids)
            case Poll():
                self.timer = None
                self._work_once()
            case _:
                assert_never(message)

    def _now(self) -> datetime:
        return self.ctx.clock.now()

    def _kick(self, delay: float) -> None:
        """Make sure a Poll comes within `delay` seconds (one timer at a time)."""
        due = self.ctx.clock.monotonic() + delay
        if self.timer is not None and not self.timer.cancelled and self.timer.due <= due:
            return
        if self.timer is not None:
            self.timer.cancel()
        self.timer = self.later(delay, Poll())

    # ------------------------------------------------------------------ the queue

    def _activity_ended(self, message: ActivityEnded) -> None:
        candidates = tuple(
            Candidate(p.membership_id, (p.character_id,) if p.character_id else ())
            for p in message.players
        )
        if not candidates:
            return
        read = HistoryRead(candidates, Expected(message.activity_hash, message.started_at))
        with self.ctx.db.session() as session:
            first = candidates[0].membership_id
            store.enqueue_history(session, first, read, self._now())
        self._kick(0)

    def _work_once(self) -> None:
        now = self._now()
        mono = self.ctx.clock.monotonic()
        self.handed = {k: t for k, t in self.handed.items() if mono - t < HANDED_OVER}
        with self.ctx.db.session() as session:
            due = store.due_work(session, now, 1, skip=self.handed)
            next_due = None if due else store.next_due(session)
        if not due:
            wait = IDLE if next_due is None else (next_due - now).total_seconds()
            self._kick(min(max(wait, 0.5), IDLE))
            return
        work = due[0]
        calls = self.ctx.client.calls.total()
        try:
            if work.kind == HISTORY:
                self._history(work)
            else:
                self._pgcr(work)
        except BungieError as exc:
            self._retry(work, exc)
        except SQLAlchemyError:
            raise  # the base actor handles database trouble
        except Exception:
            # A bug: the work is tried again later, and the supervisor restarts us.
            with self.ctx.db.session() as session:
                store.retry_later(session, work.key, now + _backoff(work.attempts, 60.0))
            raise
        if work.priority:
            # First looks and prefetches take a quarter of the request budget at most,
            # behind the live page; news is recorded at once.
            spent = self.ctx.client.calls.total() - calls
            self._kick(spent * 4.0 / self.ctx.max_rps)
        else:
            self._kick(0)

    def _retry(self, work: Work, exc: BungieError) -> None:
        if isinstance(exc, ThrottledError):
            wait = max(exc.retry_after, 5.0)
        elif isinstance(exc, MaintenanceError):
            wait = 60.0
        else:
            wait = _backoff(work.attempts, 30.0).total_seconds()
        log.debug("recording work deferred key=%s wait=%.0fs: %s", work.key, wait, exc)
        with self.ctx.db.session() as session:
            store.retry_later(session, work.key, self._now() + timedelta(seconds=wait))

    # ------------------------------------------------------------------ history

    def _history(self, work: Work) -> None:
        """Read the new part of a member's history (the first readable candidate's)."""
        asked = work.history()
        for candidate in asked.candidates:
            membership_id = candidate.membership_id
            with self.ctx.db.session() as session:
                member = store.known_member(session, membership_id)
                checkpoints = store.member_checkpoints(session, membership_id)
                horizon = store.horizon(session)
            if member is None:
                # The feed has not stored this roster yet: look again shortly.
                with self.ctx.db.session() as session:
                    if work.attempts >= HISTORY_RETRIES:
                        store.finish(session, work.key)
                    else:
                        store.retry_later(session, work.key, self._now() + timedelta(seconds=10))
                return
            characters: tuple[str, ...] = ()
            try:
                characters = candidate.characters or self._characters(member)
                read = {
                    c: self._read_character(member, c, checkpoints.get(c), horizon)
                    for c in characters
                }
            except PrivacyError:
                # Private history: noted as looked at, so sweeps do not ask again until
                # the member plays again; the next member of a fireteam is tried.
                with self.ctx.db.session() as session:
                    for character_id in characters:
                        store.move_checkpoint(
                            session, membership_id, character_id, None, self._now()
                        )
                continue
            self._store_history(work, member, read, horizon, asked.expect)
            return
        with self.ctx.db.session() as session:
            store.finish(session, work.key)  # nobody's history is readable

    def _characters(self, member: KnownMember) -> tuple[str, ...]:
        if member.character_ids:
            return member.character_ids
        characters = self.ctx.client.get_character_ids(member.membership_type, member.membership_id)
        with self.ctx.db.session() as session:
            store.save_characters(session, member.membership_id, characters)
        return characters

    def _read_character(
        self,
        member: KnownMember,
        character_id: str,
        checkpoint: Checkpoint | None,
        horizon: datetime | None,
    ) -> list[HistoryEntry]:
        """Everything the character finished after its checkpoint, oldest first. A first
        look reads no further back than two weeks, and past its first page only while the
        page still holds news (what ended after the database's first sync)."""
        through = checkpoint.checked_through if checkpoint else None
        window = BACKFILL_WINDOW
        if self.ctx.history_days is not None:
            window = min(window, timedelta(days=self.ctx.history_days))
        floor = through or self._now() - window
        found: list[HistoryEntry] = []
        for page in range(HISTORY_PAGES):
            entries = self.ctx.client.get_history(
                member.membership_type,
                member.membership_id,
                character_id,
                count=HISTORY_PAGE,
                page=page,
            )
            older = False
            for entry in entries:
                if entry.period <= floor:
                    older = True
                    break
                found.append(entry)
            news = any(_news(e, horizon) for e in entries)
            if older or len(entries) < HISTORY_PAGE or (checkpoint is None and not news):
                break  # reached the checkpoint, the end, or the seeds of a first look
        return sorted(found, key=lambda e: e.period)

    def _store_history(
        self,
        work: Work,
        member: KnownMember,
        read: dict[str, list[HistoryEntry]],
        horizon: datetime | None,
        expect: Expected | None,
    ) -> None:
        now = self._now()
        membership_id = member.membership_id
        entries = [e for found in read.values() for e in found]
        with self.ctx.db.session() as session:
            store.store_history(session, membership_id, entries)
            # News is what ended after this database's first sync and after they joined.
            since = max(t for t in (horizon, member.joined_at) if t) if horizon else None
            for entry in entries:
                news = _news(entry, since)
                if news and not store.instance_recorded(session, entry.instance_id):
                    store.enqueue(session, PGCR, entry.instance_id, {}, now)
            for character_id, found in read.items():
                through = found[-1].period if found else None
                store.move_checkpoint(session, membership_id, character_id, through, now)
            found_it = expect is None or store.member_played(
                session,
                membership_id,
                expect.activity_hash,
                expect.started_at,
                MATCH_WINDOW,
            )
            if found_it or work.attempts >= HISTORY_RETRIES:
                if not found_it:
                    log.warning(
                        "no history entry found for activity hash=%s started=%s member=%s",
                        expect and expect.activity_hash,
                        expect and utc_iso(expect.started_at),
                        membership_id,
                    )
                store.finish(session, work.key)
            else:
                # Bungie publishes history a little late: look again soon.
                store.retry_later(session, work.key, now + _backoff(work.attempts, 30.0))
        if entries:
            self._publish_recent()

    # ------------------------------------------------------------------ PGCRs

    def _pgcr(self, work: Work) -> None:
        instance_id = work.subject
        now = self._now()
        with self.ctx.db.session() as session:
            if work.kind == PREFETCH and not any(
                row.instance.instance_id == instance_id
                for row in store.recent_instances(session, RECENT)
            ):
                store.finish(session, work.key)  # no longer on the page: nobody will click
                return
            raw = store.stored_pgcr(session, instance_id)
            clan = store.clan_members(session)
        pgcr: Pgcr | None = None
        if raw is not None:
            pgcr = _parse(raw)
        else:
            try:
                pgcr, raw = self.ctx.client.get_pgcr(instance_id)
            except NotFoundError:
                if work.attempts < PGCR_RETRIES:
                    with self.ctx.db.session() as session:
                        store.retry_later(session, work.key, now + _backoff(work.attempts, 30.0))
                    return
                log.warning("PGCR never published instance=%s; recording from history", instance_id)
            else:
                with self.ctx.db.session() as session:
                    store.store_pgcr(session, pgcr, raw, set(clan), pgcr.cleared_by(clan), now)
                if work.kind == PREFETCH:
                    self._publish_recent()
        if work.kind == PREFETCH:
            with self.ctx.db.session() as session:
                store.finish(session, work.key)
            return
        self._announce(work, pgcr, clan, raw)

    def _announce(
        self,
        work: Work,
        pgcr: Pgcr | None,
        clan: dict[str, KnownMember],
        raw: dict[str, Any] | None = None,
    ) -> None:
        instance_id = work.subject
        with self.ctx.db.session() as session:
            row = store.instance(session, instance_id)
            readers = set(store.instance_members(session, instance_id))
        if row is None and pgcr is None:
            with self.ctx.db.session() as session:
                store.finish(session, work.key)
            return
        if pgcr is not None:
            ids = {p.membership_id for p in pgcr.players() if p.membership_id in clan} | readers
            cleared = pgcr.cleared_by(ids)
            activity_hash = row.activity_hash if row is not None else pgcr.activity_hash
            ended = pgcr.period + timedelta(seconds=pgcr.duration_seconds)
            raid = pgcr.mode == MODE_RAID or MODE_RAID in pgcr.modes
            mode, modes = pgcr.mode, pgcr.modes
        else:
            assert row is not None
            ids = readers
            cleared = row.completed
            activity_hash = row.activity_hash
            ended = row.period + timedelta(seconds=row.duration_seconds)
            raid = row.mode == MODE_RAID
            mode, modes = row.mode, ()
        if not ids:
            with self.ctx.db.session() as session:
                store.finish(session, work.key)
            return
        activity = self.ctx.names.resolve(activity_hash)  # BungieError: retried later
        names = {m: clan[m].display_name if m in clan else self._former(m) for m in ids}
        match = None
        if is_pvp(mode, modes):
            found = report_outcome(raw, mode, ids) if raw is not None else None
            match = events.Match(mode, found)
        event = events.activity_finished(names, activity, instance_id, ended, cleared, match)
        self.ctx.peers.feed.tell(Record(event, done=work.key))
        self.handed[work.key] = self.ctx.clock.monotonic()
        self.ctx.peers.stats.tell(RefreshStats(tuple(sorted(ids)), raids=raid))
        self._publish_recent()

    def _former(self, membership_id: str) -> str:
        with self.ctx.db.session() as session:
            member = store.known_member(session, membership_id)
        return member.display_name if member is not None else "A former member"

    # ------------------------------------------------------------------ recent

    def _publish_recent(self) -> None:
        now = self._now()
        with self.ctx.db.session() as session:
            rows = store.recent_instances(session, RECENT)
            results = {}
            for row in rows:  # prefetched: a click shows the report at once
                raw = store.stored_pgcr(session, row.instance.instance_id)
                if is_pvp(row.instance.mode):
                    results[row.instance.instance_id] = events.Match(
                        row.instance.mode,
                        report_outcome(raw, row.instance.mode, row.members) if raw else None,
                    )
                if raw is None:
                    store.enqueue(
                        session,
                        PREFETCH,
                        row.instance.instance_id,
                        {},
                        now,
                        bump=False,
                        priority=1,
                    )
        recent = tuple(
            RecentActivity(
                row.instance.instance_id,
                self.ctx.names.get(row.instance.activity_hash),
                row.instance.period,
                row.instance.duration_seconds,
                row.instance.completed,
                row.members,
                results.get(row.instance.instance_id),
            )
            for row in rows
        )
        self.recent = steady(self.recent, recent)
        self.ctx.peers.view.tell(ViewRecent(self.recent))


def _news(entry: HistoryEntry, horizon: datetime | None) -> bool:
    """What ended after this database's first sync is news; older history is seeded."""
    if horizon is None:
        return False
    return entry.period + timedelta(seconds=entry.duration_seconds) >= horizon


def _backoff(attempts: int, base: float) -> timedelta:
    return timedelta(seconds=min(base * 2**attempts, 900.0))


def _parse(raw: dict[str, Any]) -> Pgcr | None:
    try:
        return parse_pgcr(raw)
    except BungieError:
        return None
