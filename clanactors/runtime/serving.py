"""Run a Tornado HTTPServer until told to stop: the one way `serve`, `clanactors sim`, the
demo's simulator and the test rigs listen.

`serve_until_stopped` binds, serves, and on stop closes the listening sockets and every
open connection. On the main thread it stops on SIGINT/SIGTERM; `ServerThread` runs it on
a thread and event loop of its own, stopped from outside.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable

import tornado.httpserver
import tornado.netutil
from tornado.ioloop import IOLoop

from clanactors.core.errors import ConfigError

log = logging.getLogger(__name__)


async def serve_until_stopped(
    server: tornado.httpserver.HTTPServer,
    host: str,
    port: int,
    *,
    setting: str = "port",
    stop: asyncio.Event | None = None,
    listening: Callable[[int], None] | None = None,
) -> None:
    """Serve on host:port (0: any free port) until `stop` is set, or without one until
    SIGINT/SIGTERM. `listening` is told the bound port; a port that cannot be bound is a
    ConfigError naming `setting`, the one line the user sees."""
    try:
        sockets = tornado.netutil.bind_sockets(port, host)
    except OSError as exc:
        raise ConfigError(f"{setting}: cannot listen on {host}:{port} ({exc.strerror})") from None
    on_signal = stop is None
    if stop is None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
    server.add_sockets(sockets)
    if listening is not None:
        listening(sockets[0].getsockname()[1])
    try:
        await stop.wait()
        if on_signal:
            log.info("shutting down")
    finally:
        server.stop()
        await server.close_all_connections()


class ServerThread:
    """`serve_until_stopped` on its own thread and event loop: the demo's simulator, and
    web servers for tests and benchmarks that drive actors from the main thread.

    `build` runs on that loop (so it may start what needs `IOLoop.current()`) and returns
    the HTTPServer to listen with."""

    def __init__(
        self,
        build: Callable[[], tornado.httpserver.HTTPServer],
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        name: str = "web",
    ) -> None:
        self.build = build
        self.host = host
        self.port = port  # the bound port once started
        self.loop: IOLoop | None = None
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self, timeout: float = 30.0) -> None:
        """Return once listening; raise what stopped it from listening."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError(f"{self._thread.name} did not start within {timeout:.0f} s")
        if self._error is not None:
            raise self._error

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # surfaced to start()
            self._error = exc
            self._ready.set()

    async def _serve(self) -> None:
        self.loop = IOLoop.current()
        self._stop = asyncio.Event()
        await serve_until_stopped(
            self.build(), self.host, self.port, stop=self._stop, listening=self._listening
        )

    def _listening(self, port: int) -> None:
        self.port = port
        self._ready.set()

    def stop(self) -> None:
        if self.loop is not None and self._stop is not None and self._thread.is_alive():
            self.loop.add_callback(self._stop.set)
        self._thread.join(10)
