"""The stats actor: account stats per member, and the clan totals built from them.

On first start every member's stats are fetched, spread out under the rate ceiling and
behind the live polls (one member per tick); afterwards only members who finished
something are fetched again. Raid clears need a second call, made only when a raid
finished (or on the first fetch).
"""

from __future__ import annotations

import logging
from collections import deque
from datetime import timedelta
from typing import Any, assert_never

from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import (
    Poll,
    RefreshStats,
    ResendRoster,
    RosterChanged,
    StatsMessage,
    ViewStats,
)
from clanactors.bungie.errors import (
    BadRequestError,
    BungieError,
    NotFoundError,
    PrivacyError,
)
from clanactors.bungie.models import RosterMember
from clanactors.domain.stats import StatsRecord
from clanactors.store.stats import load_stats, save_stats

log = logging.getLogger(__name__)
STALE_AFTER = timedelta(hours=24)


class StatsActor(BaseActor[StatsMessage]):
    role = "stats"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.members: dict[str, RosterMember] = {}
        self.fetched: dict[str, StatsRecord] = {}
        self.urgent: deque[tuple[str, bool]] = deque()
        self.background: deque[str] = deque()
        self.tick_scheduled = False
        self.failures = 0
        # Background fetches take a quarter of the request budget at most.
        self.spacing = 4.0 / ctx.max_rps

    def started(self) -> None:
        with self.ctx.db.session() as session:
            self.fetched = load_stats(session)
        if self.fetched:
            self.ctx.peers.view.tell(ViewStats(dict(self.fetched)))
        # Restarted after a crash, it missed the roster: ask for it (at a first start
        # the roster has not polled yet and sends it once it has).
        self.ctx.peers.roster.tell(ResendRoster())

    def handle(self, message: StatsMessage) -> Any:
        match message:
            case RosterChanged():
                self._roster(message.members)
            case RefreshStats():
                for membership_id in message.membership_ids:
                    if (membership_id, message.raids) not in self.urgent:
                        self.urgent.append((membership_id, message.raids))
            case Poll():
                self.tick_scheduled = False
                self._tick()
            case _:
                assert_never(message)
        self._schedule(0 if self.urgent else self.spacing)

    def _roster(self, members: tuple[RosterMember, ...]) -> None:
        self.members = {m.membership_id: m for m in members}
        # Members who left are forgotten (their row stays in the database): what this
        # actor keeps is bounded by the clan, not by everyone it ever held.
        self.fetched = {k: v for k, v in self.fetched.items() if k in self.members}
        now = self.ctx.clock.now()
        queued = set(self.background)
        # Online members first: their cards are the ones people look at.
        for member in sorted(members, key=lambda m: not m.is_online):
            row = self.fetched.get(member.membership_id)
            stale = row is None or now - row.fetched_at > STALE_AFTER
            if stale and member.membership_id not in queued:
                self.background.append(member.membership_id)

    def _schedule(self, delay: float) -> None:
        if self.tick_scheduled or not (self.urgent or self.background):
            return
        if self.failures:
            delay = max(delay, min(self.ctx.roster_interval * 2**self.failures, 600))
        self.tick_scheduled = True
        self.later(delay, Poll())

    def _tick(self) -> None:
        if self.urgent:
            membership_id, raids = self.urgent.popleft()
        elif self.background:
            membership_id, raids = self.background.popleft(), True
        else:
            return
        member = self.members.get(membership_id)
        if member is None:
            return
        raids = raids or membership_id not in self.fetched
        try:
            self._fetch(member, raids)
        except BungieError as exc:
            if isinstance(exc, PrivacyError | NotFoundError):
                log.info("no stats for member=%s: %s", member.bungie_name, exc)
                self.ctx.peers.view.tell(ViewStats({}, frozenset({membership_id})))
                return
            self.failures += 1
            self.urgent.appendleft((membership_id, raids))
            log.debug("stats fetch deferred member=%s: %s", member.bungie_name, exc)
            return
        self.failures = 0

    def _fetch(self, member: RosterMember, raids: bool) -> None:
        client = self.ctx.client
        account = client.get_account_stats(member.membership_type, member.membership_id)
        previous = self.fetched.get(member.membership_id)
        raid_clears = previous.raid_clears if previous is not None else 0
        if raids:
            try:
                raid_clears = client.get_raid_clears(member.membership_type, member.membership_id)
            except (NotFoundError, BadRequestError, PrivacyError) as exc:
                # The account stats are in hand; raid clears are optional (keep the last).
                log.info("raid clears unavailable member=%s: %s", member.bungie_name, exc)
        record = StatsRecord(
            member.membership_id,
            account.kills,
            account.deaths,
            account.activities_cleared,
            raid_clears,
            account.time_played_seconds,
            self.ctx.clock.now(),
        )
        with self.ctx.db.session() as session:
            save_stats(session, record)
        self.fetched[member.membership_id] = record
        self.ctx.peers.view.tell(ViewStats({member.membership_id: record}))
