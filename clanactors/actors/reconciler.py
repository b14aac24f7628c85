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
from typing import Any

from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import Poll, Reconcile, RosterPolled, Wake
from clanactors.bungie.models import RosterMember
from clanactors.store import recording as store
from clanactors.store.recording import HISTORY, Checkpoint

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


class ReconcilerActor(BaseActor):
    role = "reconciler"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.roster: tuple[RosterMember, ...] | None = None
        self.last_recovery: float | None = None

    def handle(self, message: Any) -> Any:
        match message:
            case RosterPolled():
                first = self.roster is None
                self.roster = message.members  # who is online and since when, kept fresh
                if first:
                    self._reconcile("start", include_online=True)
                    self.later(SWEEP_EVERY, Poll())
            case Reconcile():
                mono = self.ctx.clock.monotonic()
                if self.last_recovery is None or mono - self.last_recovery >= RECOVERY_GAP:
                    self.last_recovery = mono
                    self._reconcile(message.reason, include_online=True)
            case Poll():
                self._reconcile("sweep", include_online=False)
                self.later(SWEEP_EVERY, Poll())
            case _:
                raise TypeError(f"unexpected message {message!r}")

    def _reconcile(self, reason: str, *, include_online: bool) -> None:
        if self.roster is None:
            return  # the first roster poll will do it
        now = self.ctx.clock.now()
        with self.ctx.db.session() as session:
            checkpoints = store.checkpoints(session)
            wanted = [
                m.membership_id
                for m in self.roster
                if needs_reading(
                    m, checkpoints.get(m.membership_id, {}), now, include_online=include_online
                )
            ]
            for membership_id in wanted:
                payload = {"candidates": [{"id": membership_id, "characters": []}]}
                # A first look seeds a new member's history: paced behind everything else.
                first_look = membership_id not in checkpoints
                store.enqueue(
                    session, HISTORY, membership_id, payload, now, priority=int(first_look)
                )
        if wanted:
            log.info("reading history of %d members (%s)", len(wanted), reason)
            self.ctx.peers.recorder.tell(Wake())
