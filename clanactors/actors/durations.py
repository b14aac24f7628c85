"""How soon an activity may end, by its past runs: a cache member actors share.

Each activity's past runs (`domain.pacing.PastRuns`) are its own newest stored runs,
or, with too few of them, the newest runs of its mode (a new raid's are the other
raids'). They are kept an hour when they are the activity's own, and a few minutes
otherwise, as history grows; at most MAX_ACTIVITIES are kept. Safe to share
between threads. While the database cannot answer (or is known to be down: no member's
read waits on it), the activity's runs are unknown, and asked again a minute later.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict

from clanactors.core.clock import Clock
from clanactors.domain.pacing import PastRuns
from clanactors.store.db import DATABASE_TROUBLE, Database
from clanactors.store.durations import mode_durations, recent_durations

log = logging.getLogger(__name__)
KEEP = 3600.0  # seconds an activity's figure from its own runs is kept
SOON = 300.0  # seconds a figure from its mode's runs (or none) is kept
RETRY = 60.0  # seconds before asking again after a database error
MAX_ACTIVITIES = 512


class ActivityDurations:
    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._lock = threading.Lock()
        self._known: OrderedDict[int, tuple[PastRuns | None, float]] = OrderedDict()

    def runs(self, activity_hash: int) -> PastRuns | None:
        """The activity's past runs (its own, else its mode's); None when too few are
        stored to say."""
        now = self._clock.monotonic()
        with self._lock:
            known = self._known.get(activity_hash)
            if known is not None and known[1] > now:
                self._known.move_to_end(activity_hash)
                return known[0]
        if self._db.state.down:
            return self._keep(activity_hash, None, now + RETRY)
        try:
            with self._db.session() as session:
                figure = PastRuns.of(recent_durations(session, activity_hash))
                until = now + KEEP
                if figure is None:
                    figure = PastRuns.of(mode_durations(session, activity_hash))
                    until = now + SOON
        except DATABASE_TROUBLE as exc:
            log.debug("durations unavailable hash=%d: %s", activity_hash, exc)
            figure, until = None, now + RETRY
        return self._keep(activity_hash, figure, until)

    def _keep(self, activity_hash: int, runs: PastRuns | None, until: float) -> PastRuns | None:
        with self._lock:
            self._known[activity_hash] = (runs, until)
            self._known.move_to_end(activity_hash)
            while len(self._known) > MAX_ACTIVITIES:
                self._known.popitem(last=False)
        return runs
