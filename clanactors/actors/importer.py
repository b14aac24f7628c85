"""The importer: reads members' activity history from before the install.

On a new database, and for every member who joins later, each character's history is
read back `CLANACTORS_HISTORY_DAYS` (all of it by default), a page at a time, newest
first. Its calls go at the lowest priority and take at most a quarter of the request
budget, so live polling and recording go first. Progress is kept per member and
character in `history_imports`: a restart resumes at the next page. What it reads is
history, not news: rows in `member_activities` and `activity_instances` (merged with
live recording's), never an event or a Discord message.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, assert_never

from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import ImporterMessage, Poll
from clanactors.bungie.errors import (
    BungieError,
    MaintenanceError,
    NotFoundError,
    PrivacyError,
    ThrottledError,
)
from clanactors.bungie.models import HistoryEntry
from clanactors.store import history as store
from clanactors.store.recording import (
    KnownMember,
    clan_members,
    save_characters,
    store_history,
)

log = logging.getLogger(__name__)

PAGE = 250  # the most entries Bungie gives per history page
SHARE = 4.0  # an import step waits so that imports take at most 1/SHARE of the budget
IDLE = 60.0  # seconds between looks for members to import once everyone is done
START_AFTER = 2.0  # profile intervals: the live page's first reads go first
NAMES_PER_STEP = 10
SEASON_LOOK = 3600.0  # seconds between looks for the current season while none is known


class ImporterActor(BaseActor[ImporterMessage]):
    role = "importer"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.announced = False
        self.season_looked: float | None = None  # monotonic time of the last look

    def started(self) -> None:
        self.later(START_AFTER * self.ctx.profile_interval, Poll())

    def handle(self, message: ImporterMessage) -> Any:
        match message:
            case Poll():
                self.later(self._step(), Poll())
            case _:
                assert_never(message)

    def _step(self) -> float:
        """Read one page of one member's history; return the seconds until the next."""
        self._keep_season()
        with self.ctx.db.session() as session:
            found = store.next_import(session)
            progress = store.progress(session)
        if found is None:
            if self.announced:
                log.info("history read for all %d members", progress.total)
                self.announced = False
            return self._name_the_rest()
        if not self.announced:
            log.info("reading history: %d of %d members", progress.done, progress.total)
            self.announced = True
        member, state = found
        calls = self.ctx.client.calls.total()
        try:
            if state is None:
                state = self._begin(member)
            self._read_page(member, state)
        except PrivacyError:
            with self.ctx.db.session() as session:
                store.begin_import(session, member.membership_id, (), self._floor(), self._now())
                store.private(session, member.membership_id, self._now())
        except (MaintenanceError, ThrottledError) as exc:
            wait = exc.retry_after if isinstance(exc, ThrottledError) else 60.0
            log.debug("history import paused %.0f s: %s", wait, exc)
            return max(wait, 5.0)
        except BungieError as exc:
            log.debug("history import of %s deferred: %s", member.membership_id, exc)
            return 30.0
        spent = self.ctx.client.calls.total() - calls
        return max(spent, 1) * SHARE / self.ctx.max_rps

    def _now(self) -> datetime:
        return self.ctx.clock.now()

    def _keep_season(self) -> None:
        """Know the current season's dates (the leaderboards' season starts there): asked
        of Bungie when none stored covers now, at most once an hour."""
        now, mono = self._now(), self.ctx.clock.monotonic()
        if self.season_looked is not None and mono - self.season_looked < SEASON_LOOK:
            return
        with self.ctx.db.session() as session:
            if store.season_at(session, now) is not None:
                return
            members = sorted(clan_members(session).values(), key=lambda m: m.membership_id)
        if not members:
            return
        self.season_looked = mono
        try:
            season_hash = self.ctx.client.get_current_season_hash(
                members[0].membership_type, members[0].membership_id
            )
            if season_hash is None:
                return
            season = self.ctx.client.get_season_definition(season_hash)
        except BungieError as exc:
            log.debug("current season unknown for now: %s", exc)
            return
        with self.ctx.db.session() as session:
            store.save_season(session, season)
        log.info("season: %s since %s", season.name, season.start.date().isoformat())

    def _begin(self, member: KnownMember) -> store.ImportState:
        characters = member.character_ids
        if not characters:
            characters = self.ctx.client.get_character_ids(
                member.membership_type, member.membership_id
            )
            with self.ctx.db.session() as session:
                save_characters(session, member.membership_id, characters)
        with self.ctx.db.session() as session:
            return store.begin_import(
                session, member.membership_id, characters, self._floor(), self._now()
            )

    def _floor(self) -> datetime | None:
        """The oldest moment wanted (CLANACTORS_HISTORY_DAYS); None: everything."""
        days = self.ctx.history_days
        return None if days is None else self._now() - timedelta(days=days)

    def _read_page(self, member: KnownMember, state: store.ImportState) -> None:
        nxt = state.next_character()
        if nxt is None:
            return
        character_id, page = nxt
        try:
            entries = self.ctx.client.get_history(
                member.membership_type,
                member.membership_id,
                character_id,
                count=PAGE,
                page=page,
                background=True,
            )
        except NotFoundError:
            entries = ()  # a deleted character: nothing more to read
        keep = [e for e in entries if state.floor is None or e.period >= state.floor]
        end = len(entries) < PAGE or len(keep) < len(entries)
        with self.ctx.db.session() as session:
            store_history(session, member.membership_id, keep)
            done = store.advance(
                session,
                member.membership_id,
                character_id,
                store.DONE if end else page + 1,
                len(keep),
                self._now(),
            )
        self._name(keep)
        if done:
            log.debug("history of %s read", member.display_name)

    def _name_the_rest(self) -> float:
        """Name activities stored without a definition (a first look's, say); a few at a
        time, at the import's pace, until none is left."""
        with self.ctx.db.session() as session:
            unnamed = store.unnamed_activities(session, NAMES_PER_STEP)
        if not unnamed:
            return IDLE
        calls = self.ctx.client.calls.total()
        for activity_hash in unnamed:
            self.ctx.names.get(activity_hash)
        spent = self.ctx.client.calls.total() - calls
        return max(spent, 1) * SHARE / self.ctx.max_rps if spent else IDLE

    def _name(self, entries: list[HistoryEntry]) -> None:
        """Look up each new activity's definition once, so every row shows its name."""
        for activity_hash in sorted({e.activity_hash for e in entries}):
            self.ctx.names.get(activity_hash)
