"""A local Discord stand-in: execute-webhook URLs on 127.0.0.1 that record what is posted
and answer like Discord (bucket headers, 5 messages per 2 s per webhook, 429 beyond),
or as a test scripts: 429 with `retry_after`, 500, 404, or a hang."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

import tornado.netutil
import tornado.web
from tornado.escape import json_decode
from tornado.httpserver import HTTPServer
from tornado.ioloop import IOLoop

BUCKET = 5  # messages per BUCKET_WINDOW seconds per webhook, as Discord's webhook bucket
BUCKET_WINDOW = 2.0


@dataclass
class Post:
    webhook: str
    token: str
    body: dict[str, Any]
    at: float  # time.monotonic(), or the stand-in's clock
    status: int

    @property
    def lines(self) -> list[str]:
        content = self.body.get("content")
        return content.split("\n") if content else []

    @property
    def embeds(self) -> list[dict[str, Any]]:
        return list(self.body.get("embeds") or [])


@dataclass
class Hook:
    script: deque[Any] = field(default_factory=deque)  # answers to give next, in order
    mode: Any = "ok"  # the answer once the script is used up
    recent: deque[float] = field(default_factory=deque)


class StandIn:
    def __init__(self) -> None:
        self.posts: list[Post] = []  # every request, whatever the answer
        self.hooks: dict[str, Hook] = {}
        self.our_429s = 0  # 429s from the emulated bucket: the client went too fast
        self.port = 0
        self.clock: Any = None  # a FakeClock makes the bucket follow simulated time
        self.lock = threading.Lock()
        self._ready = threading.Event()
        self._stop: asyncio.Event | None = None
        self.loop: IOLoop | None = None
        self._thread = threading.Thread(target=lambda: asyncio.run(self._serve()), daemon=True)

    def url(self, webhook: str, token: str = "s3cr3t-T0KEN") -> str:
        return f"http://127.0.0.1:{self.port}/api/webhooks/{webhook}/{token}"

    def hook(self, webhook: str) -> Hook:
        with self.lock:
            return self.hooks.setdefault(webhook, Hook())

    def answer(self, webhook: str, *answers: Any) -> None:
        """Script the next answers for `webhook`: "ok", 500, 404, "hang", ("429", s, global)."""
        self.hook(webhook).script.extend(answers)

    def set_mode(self, webhook: str, mode: Any) -> None:
        self.hook(webhook).mode = mode

    def accepted(self, webhook: str | None = None) -> list[Post]:
        with self.lock:
            return [
                p
                for p in self.posts
                if p.status == 200 and (webhook is None or p.webhook == webhook)
            ]

    def start(self) -> StandIn:
        self._thread.start()
        assert self._ready.wait(10)
        return self

    def stop(self) -> None:
        if self.loop is not None and self._stop is not None:
            self.loop.add_callback(self._stop.set)
        self._thread.join(10)

    async def _serve(self) -> None:
        self.loop = IOLoop.current()
        self._stop = asyncio.Event()
        app = tornado.web.Application(
            [(r"/api/webhooks/(\d+)/([^/]+)", _Handler, {"standin": self})],
            log_function=lambda handler: None,  # its access log would show the token
        )
        sockets = tornado.netutil.bind_sockets(0, "127.0.0.1")
        server = HTTPServer(app)
        server.add_sockets(sockets)
        self.port = sockets[0].getsockname()[1]
        self._ready.set()
        await self._stop.wait()
        server.stop()


class _Handler(tornado.web.RequestHandler):
    def initialize(self, standin: StandIn) -> None:
        self.standin = standin

    async def post(self, webhook: str, token: str) -> None:
        standin = self.standin
        hook = standin.hook(webhook)
        with standin.lock:
            todo = hook.script.popleft() if hook.script else hook.mode
        now = standin.clock.monotonic() if standin.clock is not None else time.monotonic()
        if todo == "hang":
            await asyncio.sleep(30)
            return
        status = 200
        if todo in (500, 404, 401):
            status = int(todo)
        body = json_decode(self.request.body)
        if status == 200:
            while hook.recent and hook.recent[0] <= now - BUCKET_WINDOW:
                hook.recent.popleft()
            if isinstance(todo, tuple) and todo[0] == "429":
                status = 429
                retry_after, is_global = todo[1], todo[2]
            elif len(hook.recent) >= BUCKET:
                status = 429
                retry_after, is_global = hook.recent[0] + BUCKET_WINDOW - now, False
                standin.our_429s += 1
            else:
                hook.recent.append(now)
            remaining = BUCKET - len(hook.recent)
            reset = hook.recent[0] + BUCKET_WINDOW - now if hook.recent else 0.0
            self.set_header("X-RateLimit-Limit", str(BUCKET))
            self.set_header("X-RateLimit-Remaining", str(max(remaining, 0)))
            self.set_header("X-RateLimit-Reset-After", f"{max(reset, 0.0):.3f}")
        with standin.lock:
            standin.posts.append(Post(webhook, token, body, now, status))
        self.set_status(status)
        if status == 200:
            self.write({"id": str(len(standin.posts)), "channel_id": "1"})
        elif status == 429:
            self.write(
                {
                    "message": "You are being rate limited.",
                    "retry_after": retry_after,
                    "global": is_global,
                }
            )
        elif status == 404:
            self.write({"message": "Unknown Webhook", "code": 10015})
        else:
            self.write({"message": "Internal Server Error"})
