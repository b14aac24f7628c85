"""server/runner.py: a port in use is the one line naming the setting; a server thread
serves until stopped and then closes its socket."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator

import pytest
import requests
import tornado.httpserver
import tornado.web

from clanactors.core.errors import ConfigError
from clanactors.runtime.serving import ServerThread, serve_until_stopped


class Hello(tornado.web.RequestHandler):
    def get(self) -> None:
        self.finish("hello")


def make_server() -> tornado.httpserver.HTTPServer:
    return tornado.httpserver.HTTPServer(tornado.web.Application([(r"/", Hello)]))


@pytest.fixture
def taken_port() -> Iterator[int]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield taken.getsockname()[1]


def test_a_port_in_use_names_the_setting(taken_port: int) -> None:
    serving = serve_until_stopped(make_server(), "127.0.0.1", taken_port, setting="CLANACTORS_PORT")
    with pytest.raises(
        ConfigError, match=rf"^CLANACTORS_PORT: cannot listen on 127.0.0.1:{taken_port} \("
    ):
        asyncio.run(serving)


def test_a_thread_surfaces_a_port_in_use(taken_port: int) -> None:
    with pytest.raises(ConfigError, match=rf"^port: cannot listen on 127.0.0.1:{taken_port} \("):
        ServerThread(make_server, port=taken_port).start()


def test_a_thread_serves_until_stopped() -> None:
    server = ServerThread(make_server)
    server.start()
    url = f"http://127.0.0.1:{server.port}/"
    assert requests.get(url, timeout=5).text == "hello"
    server.stop()
    with pytest.raises(requests.ConnectionError):
        requests.get(url, timeout=5)
