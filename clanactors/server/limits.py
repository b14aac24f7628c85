"""What one connection may cost: timeouts and sizes for HTTP, and the answer to a request
head that is too large.

`http_server` builds the HTTPServer that `serve` and the test rigs listen with. Tornado
closes a connection whose request head passes `max_header_size` without a word (the
client sees a reset); `GuardedStream` answers it first, 414 when the request line alone is
too long and 431 when the headers are, then reads and discards what the client is still
sending for a moment, so the answer is not lost to a reset.
"""

from __future__ import annotations

import asyncio
import logging
import socket
from dataclasses import dataclass
from typing import Any

import tornado.httpserver
import tornado.iostream
import tornado.web
from tornado.iostream import IOStream, UnsatisfiableReadError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HttpLimits:
    # Seconds a connection may spend waiting for, or trickling, a request head: an idle
    # keep-alive connection and a slow-loris client are both closed after it.
    idle_timeout: float = 10.0
    body_timeout: float = 10.0  # seconds to receive a request body
    max_head: int = 16 * 1024  # request line and headers together, bytes
    max_body: int = 64 * 1024  # every route is a GET; a body has no business being large
    # After answering an oversized head: how long, and how much, of the rest to discard.
    linger_seconds: float = 2.0
    linger_bytes: int = 1024 * 1024


def _answer(status: int, reason: str, text: str) -> bytes:
    body = text.encode()
    return (
        f"HTTP/1.1 {status} {reason}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "X-Content-Type-Options: nosniff\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body


URI_TOO_LONG = _answer(414, "URI Too Long", "The request line is too long.\n")
HEADERS_TOO_LARGE = _answer(
    431, "Request Header Fields Too Large", "The request headers are too large.\n"
)


class GuardedStream(IOStream):
    """An IOStream that answers an oversized request head instead of resetting.

    HTTP1Connection reads each request head with `read_until_regex(..., max_bytes)`; when
    the limit passes, the stream closes itself with an UnsatisfiableReadError. Just
    before that close, the socket is duplicated and the answer goes out on the duplicate.
    """

    lingering: set[asyncio.Task[None]] = set()

    def __init__(self, *args: Any, limits: HttpLimits, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = limits
        self.reading_head = False
        self.head_begun = False  # a byte other than CR/LF arrived since the head began
        self.line_ended = False  # the request line ended: a newline after the first byte

    def read_until_regex(self, regex: bytes, max_bytes: int | None = None) -> Any:
        self.reading_head, self.head_begun, self.line_ended = True, False, False
        return super().read_until_regex(regex, max_bytes)

    def read_until(self, delimiter: bytes, max_bytes: int | None = None) -> Any:
        self.reading_head = False  # a chunk-size line, not a head
        return super().read_until(delimiter, max_bytes)

    def read_bytes(self, num_bytes: int, partial: bool = False) -> Any:
        self.reading_head = False
        return super().read_bytes(num_bytes, partial)

    def read_from_fd(self, buf: bytearray | memoryview) -> int | None:
        read = super().read_from_fd(buf)
        if read and self.reading_head and not self.line_ended:
            data = bytes(buf[:read])
            if not self.head_begun:
                data = data.lstrip(b"\r\n")  # blank lines before a request are allowed
                self.head_begun = bool(data)
            self.line_ended = b"\n" in data
        return read

    def close(self, exc_info: Any = False) -> None:
        duplicate = None
        if isinstance(exc_info, UnsatisfiableReadError) and self.reading_head and not self.closed():
            try:
                duplicate = self.socket.dup()
            except OSError:
                duplicate = None
        super().close(exc_info)
        if duplicate is not None:
            answer = HEADERS_TOO_LARGE if self.line_ended else URI_TOO_LONG
            task = asyncio.ensure_future(_answer_and_linger(duplicate, answer, self.limits))
            self.lingering.add(task)
            task.add_done_callback(self.lingering.discard)


async def _answer_and_linger(sock: socket.socket, answer: bytes, limits: HttpLimits) -> None:
    """Send `answer`, then read and drop what the client still sends (up to a limit) so
    closing does not reset the connection before the client has read the answer."""
    loop = asyncio.get_running_loop()
    try:
        sock.setblocking(False)
        deadline = loop.time() + limits.linger_seconds
        await asyncio.wait_for(loop.sock_sendall(sock, answer), limits.linger_seconds)
        sock.shutdown(socket.SHUT_WR)
        drained = 0
        while drained < limits.linger_bytes:
            left = deadline - loop.time()
            if left <= 0:
                break
            chunk = await asyncio.wait_for(loop.sock_recv(sock, 65536), left)
            if not chunk:
                break
            drained += len(chunk)
    except (OSError, TimeoutError):
        pass
    finally:
        sock.close()


class GuardedHTTPServer(tornado.httpserver.HTTPServer):
    limits = HttpLimits()

    def handle_stream(self, stream: IOStream, address: tuple[Any, ...]) -> None:
        if type(stream) is IOStream:  # plain TCP (TLS ends at the reverse proxy)
            stream = GuardedStream(
                stream.socket,
                max_buffer_size=stream.max_buffer_size,
                read_chunk_size=stream.read_chunk_size,
                limits=self.limits,
            )
        super().handle_stream(stream, address)


def http_server(
    app: tornado.web.Application, limits: HttpLimits | None = None
) -> tornado.httpserver.HTTPServer:
    """The HTTPServer `serve` listens with. Client addresses behind a reverse proxy are
    the application's business (see `proxies.py`), so Tornado's `xheaders` stays off: it
    would believe `X-Real-IP` and `X-Forwarded-For` from any client."""
    limits = limits or HttpLimits()
    server = GuardedHTTPServer(
        app,
        xheaders=False,
        idle_connection_timeout=limits.idle_timeout,
        body_timeout=limits.body_timeout,
        max_header_size=limits.max_head,
        max_body_size=limits.max_body,
    )
    server.limits = limits
    return server
