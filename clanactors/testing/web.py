"""The web app on its own thread and IOLoop, fed by a HubListener actor: for tests and
benchmarks that drive the actors from the main thread (`serve` runs it on the main one)."""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable
from typing import Any

import tornado.httpserver
from tornado.ioloop import IOLoop

from clanactors.core.clock import Clock, RealClock
from clanactors.runtime.serving import ServerThread
from clanactors.server.app import make_app
from clanactors.server.base import WebContext
from clanactors.server.hub import Hub, HubListener
from clanactors.server.limits import HttpLimits, http_server
from clanactors.server.sessions import AuthConfig
from clanactors.server.ws import PER_ADDRESS, QUEUE_BYTES
from clanactors.store.db import Database
from clanactors.store.eventlog import last_event_id


class WebServer:
    def __init__(
        self,
        db: Database,
        ws_queue_limit: int = 512,
        clock: Clock | None = None,
        *,
        limits: HttpLimits | None = None,
        ws_per_address: int = PER_ADDRESS,
        ws_queue_bytes: int = QUEUE_BYTES,
        trusted_proxies: tuple[str, ...] = (),
        public_url: str | None = None,
        auth: AuthConfig | None = None,
    ) -> None:
        self.db = db
        self.clock = clock or RealClock()
        self.ws_queue_limit = ws_queue_limit
        self.limits = limits
        self.app_options: dict[str, Any] = {
            "ws_per_address": ws_per_address,
            "ws_queue_bytes": ws_queue_bytes,
            "trusted_proxies": trusted_proxies,
            "public_url": public_url,
        }
        self.auth = auth
        self.hub: Hub | None = None
        self.ctx: WebContext | None = None
        self.listener: Any = None
        self._server = ServerThread(self._build)

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def loop(self) -> IOLoop | None:
        return self._server.loop

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/ws"

    def start(self) -> WebServer:
        self._server.start(10)
        return self

    def _build(self) -> tornado.httpserver.HTTPServer:
        self.hub = Hub()
        with self.db.session() as session:
            self.hub.last_event_id = last_event_id(session)
        self.listener = HubListener.start(self.hub, IOLoop.current())
        self.ctx = WebContext(self.db, self.hub, clock=self.clock, auth=self.auth)
        self.app = app = make_app(self.ctx, ws_queue_limit=self.ws_queue_limit, **self.app_options)
        return http_server(app, self.limits)

    def call(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Run `fn` on the IOLoop thread and return its result."""
        assert self.loop is not None
        done: concurrent.futures.Future[Any] = concurrent.futures.Future()

        def run() -> None:
            try:
                done.set_result(fn(*args))
            except BaseException as exc:
                done.set_exception(exc)

        self.loop.add_callback(run)
        return done.result(10)

    def stop(self) -> None:
        if self.listener is not None:
            self.listener.stop()
        self._server.stop()
