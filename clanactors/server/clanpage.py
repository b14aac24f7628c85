"""What the clan's own pages share (roster, leaderboards, feed, member, activity): the
clock they read "now" from, "ago" against that clock, and a per-second cache of rendered
bodies, so a page a thousand visitors load in one second is built once."""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from clanactors.server.base import security_headers
from clanactors.server.hub import Hub
from clanactors.server.pages import HELPERS, PageHandler, ago

CACHE_SIZE = 64  # distinct (page, query) bodies kept per second


def hours(seconds: int) -> str:
    """Time played: "3 h 05 min", or "45 min" under an hour."""
    h, rest = divmod(int(seconds), 3600)
    return f"{h} h {rest // 60:02d} min" if h else f"{rest // 60} min"


class PageCache:
    """Rendered bodies by key; a key names the page, its query, the clan state version,
    the newest event and the second, so no body outlives the second it was built in."""

    def __init__(self) -> None:
        self.bodies: OrderedDict[tuple[Any, ...], bytes] = OrderedDict()

    def get(self, key: tuple[Any, ...]) -> bytes | None:
        body = self.bodies.get(key)
        if body is not None:
            self.bodies.move_to_end(key)
        return body

    def put(self, key: tuple[Any, ...], body: bytes) -> None:
        self.bodies[key] = body
        while len(self.bodies) > CACHE_SIZE:
            self.bodies.popitem(last=False)


_caches: weakref.WeakKeyDictionary[Hub, PageCache] = weakref.WeakKeyDictionary()


def cache_of(hub: Hub) -> PageCache:
    cache = _caches.get(hub)
    if cache is None:
        cache = _caches[hub] = PageCache()
    return cache


class ClanPage(PageHandler):
    """A page built from the clan state and the database; `build` renders its body."""

    content_type = "text/html; charset=UTF-8"

    def now(self) -> datetime:
        return self.ctx.clock.now().astimezone(UTC)

    def helpers(self, now: datetime) -> dict[str, Any]:
        return {**HELPERS, "ago": lambda text: ago(text, now)}

    def page(self, template: str, now: datetime, **kwargs: Any) -> bytes:
        return self.render_string(
            template, snapshot=self.ctx.hub.snapshot, now=now, **self.helpers(now), **kwargs
        )

    async def send_cached(
        self, query: tuple[Any, ...], build: Callable[[datetime], Awaitable[bytes]]
    ) -> None:
        """Answer with the body `build` renders for `query`, from the cache this second."""
        hub = self.ctx.hub
        now = self.now()
        key = (
            type(self).__name__,
            query,
            hub.snapshot.version,
            hub.last_event_id,
            int(now.timestamp()),
        )
        cache = cache_of(hub)
        body = cache.get(key)
        if body is None:
            body = await build(now)
            cache.put(key, body)
        self.set_header("Content-Type", self.content_type)
        self.finish(body)


class ClanDocument(ClanPage):
    """A non-HTML answer (CSV, Atom): nothing in it may load or run."""

    def set_default_headers(self) -> None:
        security_headers(self, page=False)
