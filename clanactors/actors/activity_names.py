"""Activity hash to name and mode: resolved once through the manifest entity endpoint,
stored in `activity_definitions`, never asked twice. Safe to share between threads."""

from __future__ import annotations

import logging
import threading

from sqlalchemy import select

from clanactors.bungie.client import BungieClient
from clanactors.bungie.errors import BungieError, NotFoundError
from clanactors.bungie.models import INVALID_HASH, ORBIT_HASH
from clanactors.core.clock import Clock
from clanactors.domain.events import ActivityRef
from clanactors.store.db import Database
from clanactors.store.models import ActivityDefinition
from clanactors.store.upsert import upsert

log = logging.getLogger(__name__)
# Shown on the live page while Bungie cannot say; never written to the event log.
# What Bungie has no definition for (a redacted or removed activity): stored for good.
UNLISTED = "Classified activity"


class ActivityNames:
    def __init__(self, db: Database, client: BungieClient, clock: Clock) -> None:
        self._db = db
        self._client = client
        self._clock = clock
        self._lock = threading.Lock()
        self._known: dict[int, ActivityRef] = {}
        with db.session() as session:
            for row in session.scalars(select(ActivityDefinition)):
                self._known[row.hash] = ActivityRef(row.hash, row.name, row.mode)

    def get(self, activity_hash: int) -> ActivityRef:
        """The activity's name and mode for display; "Unknown activity" while Bungie
        cannot say (use `resolve` for anything written to the log)."""
        try:
            return self.resolve(activity_hash)
        except BungieError as exc:
            log.debug("activity name unavailable hash=%d: %s", activity_hash, exc)
            return ActivityRef.unknown(activity_hash)

    def resolve(self, activity_hash: int) -> ActivityRef:
        """The activity's name and mode; raises BungieError while Bungie cannot say."""
        if activity_hash in (ORBIT_HASH, INVALID_HASH, 0):
            return ActivityRef(activity_hash, "Orbit", None)
        with self._lock:
            known = self._known.get(activity_hash)
        if known is not None:
            return known
        try:
            definition = self._client.get_activity_definition(activity_hash)
        except NotFoundError:
            ref = ActivityRef(activity_hash, UNLISTED, None)
            self._store(ref, None)  # Bungie has no such definition: never ask again
            return ref
        ref = ActivityRef(activity_hash, definition.name, definition.mode)
        self._store(ref, definition.pgcr_image, list(definition.mode_types))
        return ref

    def _store(
        self, ref: ActivityRef, image: str | None, mode_types: list[int] | None = None
    ) -> None:
        with self._lock:
            self._known[ref.hash] = ref
        values = {
            "hash": ref.hash,
            "name": ref.name,
            "mode": ref.mode,
            "mode_types": mode_types or [],
            "pgcr_image": image,
            "fetched_at": self._clock.now(),
        }
        with self._db.session() as session:
            upsert(session, ActivityDefinition, values, ["hash"])

    def cached(self) -> dict[int, ActivityRef]:
        with self._lock:
            return dict(self._known)
