"""The roster actor: polls the clan's member list (and now and then its name and motto).

Each poll goes to the feed (stored with the joins, leaves and online changes it implies,
in one transaction), to the tracker (who is online gets a polling actor), to the view,
and, when who is in the clan changed, to stats and the reconciler.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, assert_never

from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import (
    ApplyRoster,
    Poll,
    PollNow,
    ResendRoster,
    RosterChanged,
    RosterMessage,
    RosterPolled,
    ViewRoster,
)
from clanactors.bungie.client import probe_interval
from clanactors.bungie.errors import AuthError, BungieError, ThrottledError
from clanactors.bungie.models import GroupInfo, RosterMember
from clanactors.runtime.polling import Backoff
from clanactors.runtime.scheduler import Timer

log = logging.getLogger(__name__)

GROUP_REFRESH = timedelta(hours=1)
AUTH_RETRY = 600.0
STORE_WAIT = 30.0


class RosterActor(BaseActor[RosterMessage]):
    role = "roster"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.group: GroupInfo | None = None
        self.group_fetched: datetime | None = None
        self.ids: frozenset[str] | None = None
        self.members: tuple[RosterMember, ...] | None = None
        # While Bungie is down the roster keeps asking at the probe interval: the client
        # answers those at once without a request, except its probe, so Bungie's return
        # is seen within one roster interval.
        self.retry = probe_interval(ctx.roster_interval)
        self.backoff = Backoff(self.retry, self.retry, "roster poll")
        self.chain = 0
        self.next_poll: Timer | None = None

    def started(self) -> None:
        self.actor_ref.tell(Poll(self.chain))

    def handle(self, message: RosterMessage) -> Any:
        match message:
            case Poll(chain=chain) if chain == self.chain:
                self.next_poll = self.later(self._poll(), Poll(self.chain))
            case Poll():
                pass  # an older chain's Poll, already sent when PollNow began a new one
            case PollNow():
                # Bungie is back: read the roster now unless this actor's own poll was
                # what saw it come back.
                if self.backoff.failures:
                    if self.next_poll is not None:
                        self.next_poll.cancel()
                    self.chain += 1
                    self.next_poll = self.later(self._poll(), Poll(self.chain))
            case ResendRoster():
                if self.members is not None:
                    self.ctx.peers.stats.tell(RosterChanged(self.members))
            case _:
                assert_never(message)

    def _poll(self) -> float:
        client = self.ctx.client
        now = self.ctx.clock.now()
        if self.group_fetched is None or now - self.group_fetched > GROUP_REFRESH:
            # The clan's name and motto are decoration: their failure never stops the roster.
            try:
                self.group = client.get_group(self.ctx.clan_id)
                self.group_fetched = now
            except BungieError as exc:
                log.debug("clan details unavailable, will retry: %s", exc)
        try:
            members = tuple(client.get_roster(self.ctx.clan_id))
        except ThrottledError as exc:
            return max(exc.retry_after, self.ctx.roster_interval)
        except AuthError:
            self.backoff.failed("Bungie rejected the API key")
            return AUTH_RETRY
        except BungieError as exc:
            return self.backoff.failed(str(exc))
        self.backoff.succeeded()
        now = self.ctx.clock.now()
        peers = self.ctx.peers
        # Asked, not told: who is in the clan is stored before anyone acts on it (the
        # feed never asks back, so this cannot deadlock).
        stored = peers.feed.ask(ApplyRoster(self.group, members, now), timeout=STORE_WAIT)
        if stored is not True:
            log.debug("roster not stored yet (database trouble); polling again soon")
            return self.ctx.roster_interval
        first = self.ids is None
        peers.tracker.tell(RosterPolled(members, first))
        peers.reconciler.tell(RosterPolled(members, first))
        peers.view.tell(ViewRoster(self.group, members, now))
        self.members = members
        ids = frozenset(m.membership_id for m in members)
        if ids != self.ids:
            self.ids = ids
            peers.stats.tell(RosterChanged(members))
        return self.ctx.roster_interval
