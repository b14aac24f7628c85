"""The reconciler: decides whose history must be compared with the log, and queues it.

History is the source of truth for what finished. On start and on taking over as the
poller, after Bungie or the database comes back, and on a slow sweep, every member seen
since their history checkpoint gets a durable "read history" work item, so activities
that finished while nothing watched (or while a read failed) are recorded, with the time
they happened. A new database takes a first look at everyone seen in the last 14 days.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from typing import Any, assert_never

from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import (
    CheckHistory,
    Poll,
    Reconcile,
    ReconcileNow,
    ReconcilerMessage,
    RosterPolled,
)
from clanactors.bungie.models import RosterMember
from clanactors.store import recording as store
from clanactors.store.recording import Checkpoint

log = logging.getLogger(__name__)

SWEEP_EVERY = 600.0
RECOVERY_GAP = 120.0  # recoveries that flap (throttling) reconcile at most this often
FIRST_LOOK = timedelta(days=14)


def needs_reading(
    member: RosterMember,
    checkpoints: dict[str, Checkpoint],
    now: datetime,
    *,
    include_online: bool,
) -> bool:
    """Whether this member may have finished something the log does not have yet."""
    seen = member.last_online_change
    if not checkpoints:
        return member.is_online or (seen is not None and seen >= now - FIRST_LOOK)
    if member.is_online:
        # Live polling follows them; a start or a recovery reads them once anyway.
        return include_online
    last_read = max(c.checked_at for c in checkpoints.values())
    return seen is not None and seen > last_read


class ReconcilerActor(BaseActor[ReconcilerMessage]):
    role = "reconciler"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.roster: tuple[RosterMember, ...] | None = None
        self.recovered: str | None = None  # why to reconcile after the next roster poll
        self.last_recovery: float | None = None

    def handle(self, message: ReconcilerMessage) -> Any:
        match message:
            case RosterPolled():
                self._roster(message.members)
            case Reconcile():
                mono = self.ctx.clock.monotonic()
                if self.last_recovery is None or mono - self.last_recovery >= RECOVERY_GAP:
                    self.last_recovery = mono
                    # Wait for a roster polled after the recovery: who came online, who
                    # joined, who left while nothing could be seen.
                    self.recovered = message.reason
            case ReconcileNow():
                self._reconcile(message.reason, include_online=True, only=message.only)
            case Poll():
                self._reconcile("sweep", include_online=False)
                self.later(SWEEP_EVERY, Poll())
            case _:
                assert_never(message)

    def _roster(self, members: tuple[RosterMember, ...]) -> None:
        previous, self.roster = self.roster, members  # who is online and since when
        # Reconcile once the member actors have had their first look (two profile
        # intervals): what is still running then is followed live, what ended is in
        # history.
        settle = 2 * self.ctx.profile_interval
        if previous is None:
            self.later(settle, ReconcileNow("start"))
            self.later(SWEEP_EVERY, Poll())
        elif self.recovered is not None:
            self.later(settle, ReconcileNow(self.recovered))
            self.recovered = None
        else:
            joined = {m.membership_id for m in members} - {m.membership_id for m in previous}
            if joined:
                self.later(settle, ReconcileNow("new members", frozenset(joined)))

    def _reconcile(
        self, reason: str, *, include_online: bool, only: frozenset[str] | None = None
    ) -> None:
        if self.roster is None:
            return
        now = self.ctx.clock.now()
        with self.ctx.db.session() as session:
            checkpoints = store.checkpoints(session)
        # Catch-up reads are paced to a share of the request budget, so the live page
        # keeps polling meanwhile (a member starved of polls could miss a short activity
        # live); they are durable work, recorded a little later, never lost.
        wanted = [
            m.membership_id
            for m in self.roster
            if (only is None or m.membership_id in only)
            and needs_reading(
                m, checkpoints.get(m.membership_id, {}), now, include_online=include_online
            )
        ]
        # The recorder writes the work (one writer, requests merged); a crash before it
        # does is covered by the next start's reconcile.
        for membership_id in wanted:
            self.ctx.peers.recorder.tell(CheckHistory(membership_id, (), 1))
        if wanted:
            log.info("reading history of %d members (%s)", len(wanted), reason)
