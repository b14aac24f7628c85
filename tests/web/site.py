"""The real Tornado app on its own thread, serving a given clan state and database with a
fixed clock: for the clan pages' handler and browser tests (no actors, no simulator)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import tornado.netutil
from tornado.httpserver import HTTPServer

from clanactors.core.clock import FakeClock
from clanactors.render.wire import ClanState
from clanactors.server.app import make_app
from clanactors.server.base import WebContext
from clanactors.server.hub import Hub, Published
from clanactors.store.db import DATABASE_TROUBLE, Database
from clanactors.store.eventlog import last_event_id


class Site:
    def __init__(self, port: int, hub: Hub) -> None:
        self.url = f"http://127.0.0.1:{port}"
        self.hub = hub


@contextmanager
def serve(
    db: Database, state: ClanState, clock: FakeClock, public_url: str | None = None
) -> Iterator[Site]:
    ready = threading.Event()
    found: dict[str, object] = {}

    async def run() -> None:
        hub = Hub()
        hub.current = Published.of(state)
        try:
            with db.session() as session:
                hub.last_event_id = last_event_id(session)
        except DATABASE_TROUBLE:
            pass  # a test of the database being down
        app = make_app(WebContext(db, hub, clock=clock), public_url=public_url)
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server = HTTPServer(app)
        server.add_sockets(sockets)
        stop = asyncio.Event()
        found.update(site=Site(sockets[0].getsockname()[1], hub), stop=stop,
                     loop=asyncio.get_running_loop())  # fmt: skip
        ready.set()
        await stop.wait()
        server.stop()
        await server.close_all_connections()

    thread = threading.Thread(target=lambda: asyncio.run(run()), daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield found["site"]  # type: ignore[misc]
    finally:
        loop: asyncio.AbstractEventLoop = found["loop"]  # type: ignore[assignment]
        stop: asyncio.Event = found["stop"]  # type: ignore[assignment]
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
