"""Keeps a non-polling `serve` process's hub current from the database (README "Several
processes").

The polling process writes events and the newest snapshot to the database and rings
PostgreSQL NOTIFY; this tail listens on its own thread and hands each doorbell to the
IOLoop, which reads what is new (off the loop) and feeds the hub exactly as the in-process
listener would. Without NOTIFY (SQLite), or if a doorbell is missed, it looks every few
seconds anyway.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from typing import Any

import psycopg
from sqlalchemy.engine import make_url
from tornado.ioloop import IOLoop

from clanactors.render.wire import ClanState
from clanactors.server.hub import Hub, Published, event_frame
from clanactors.store.db import DATABASE_TROUBLE, Database, raw_connection
from clanactors.store.eventlog import events_after
from clanactors.store.live import EVENTS_CHANNEL, SNAPSHOT_CHANNEL, load_snapshot

log = logging.getLogger(__name__)
LOOK_EVERY = 2.0  # seconds between looks when no doorbell rings
EVENTS_PAGE = 500


class DatabaseTail:
    def __init__(self, db: Database, hub: Hub, io_loop: IOLoop) -> None:
        self.db = db
        self.hub = hub
        self.io_loop = io_loop
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._busy = False

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        if self.running:
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self._listen, name="db-tail", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(LOOK_EVERY + 5)
            self._thread = None

    # ------------------------------------------------------------------ listening thread

    def _listen(self) -> None:
        url = make_url(self.db.url)
        failing = False
        while not self._stop.is_set():
            if url.get_backend_name() != "postgresql":
                self._ring()
                self._stop.wait(LOOK_EVERY)
                continue
            try:
                with raw_connection(self.db.url, "clanactors-tail") as conn:
                    conn.execute(f"LISTEN {EVENTS_CHANNEL}")
                    conn.execute(f"LISTEN {SNAPSHOT_CHANNEL}")
                    self._ring()  # catch up on whatever rang before we listened
                    if failing:
                        log.info("event tail listening again")
                        failing = False
                    while not self._stop.is_set():
                        for _notice in conn.notifies(timeout=LOOK_EVERY, stop_after=1):
                            pass
                        self._ring()
            except psycopg.Error as exc:
                if not failing:  # once per outage, not once per try
                    log.warning("event tail lost its database connection: %s", exc)
                    failing = True
                self._stop.wait(LOOK_EVERY)

    def _ring(self) -> None:
        self.io_loop.add_callback(self._catch_up)

    # ------------------------------------------------------------------ IOLoop side

    async def _catch_up(self) -> None:
        if self._busy:
            return
        self._busy = True
        try:
            loop = asyncio.get_running_loop()
            published = await loop.run_in_executor(None, self._load_snapshot)
            if published is not None:
                self.hub.on_snapshot(published)
            while True:
                after = self.hub.last_event_id
                page = await loop.run_in_executor(None, self._load_events, after)
                for stored in page:
                    self.hub.on_event(stored.id, event_frame(stored))
                if len(page) < EVENTS_PAGE:
                    break
        except DATABASE_TROUBLE:
            pass  # the database's state logs the outage once
        except Exception:
            log.exception("event tail could not read the database")
        finally:
            self._busy = False

    def _load_events(self, after: int) -> list[Any]:
        with self.db.session() as session:
            return events_after(session, after, EVENTS_PAGE)

    def _load_snapshot(self) -> Published | None:
        with self.db.session() as session:
            stored = load_snapshot(session)
        if stored is None or stored.version <= self.hub.snapshot.version:
            return None
        state = ClanState.from_json(stored.document)
        return None if state is None else Published.of(state)
