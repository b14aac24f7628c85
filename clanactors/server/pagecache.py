"""Rendered page bodies, built once however many visitors ask at the same time."""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

CACHE_SIZE = 64  # distinct (page, query) bodies kept per second
T = TypeVar("T")


class PageCache(Generic[T]):
    """Rendered bodies by key; the hub holds the one cache every page uses. The key says
    what a body may be served for: the clan pages (and /api/leaderboards) name the page, its
    query, the clan state version, the newest event, the second and the viewer
    (`Hub.page_key`); the front page's, ("front", second, viewer), only the second and viewer.
    Either way no body outlives its second.

    Single-flight: requests for a body being built wait for that build, so a second's
    first burst of visitors builds the page once, not once each. Lives on the IOLoop."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self.builds: OrderedDict[tuple[Any, ...], asyncio.Future[T]] = OrderedDict()

    async def body(self, key: tuple[Any, ...], build: Callable[[], Awaitable[T]]) -> T:
        future = self.builds.get(key)
        if future is None:
            future = asyncio.ensure_future(build())
            future.add_done_callback(lambda done: self._forget_failed(key, done))
            self.builds[key] = future
            while len(self.builds) > self.size:
                self.builds.popitem(last=False)
        else:
            self.builds.move_to_end(key)
        return await asyncio.shield(future)

    def _forget_failed(self, key: tuple[Any, ...], done: asyncio.Future[T]) -> None:
        failed = done.cancelled() or done.exception() is not None
        if failed and self.builds.get(key) is done:
            del self.builds[key]  # the next request tries again
