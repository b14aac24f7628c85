"""The clan pages' body cache: one build per key however many wait, and a failed build
is not kept."""

from __future__ import annotations

import asyncio

import pytest

from clanactors.server.pagecache import CACHE_SIZE, PageCache


def test_concurrent_requests_share_one_build() -> None:
    builds = []

    async def build() -> bytes:
        builds.append(1)
        await asyncio.sleep(0.01)
        return b"page"

    async def main() -> list[bytes]:
        cache = PageCache()
        return await asyncio.gather(*(cache.body(("roster",), build) for _ in range(20)))

    assert asyncio.run(main()) == [b"page"] * 20
    assert len(builds) == 1


def test_a_failed_build_is_tried_again_and_old_keys_are_dropped() -> None:
    calls = []

    async def flaky() -> bytes:
        calls.append(1)
        if len(calls) == 1:
            raise RuntimeError("database down")
        return b"ok"

    async def main() -> PageCache:
        cache = PageCache()
        with pytest.raises(RuntimeError):
            await cache.body(("feed",), flaky)
        assert await cache.body(("feed",), flaky) == b"ok"
        for second in range(CACHE_SIZE + 5):
            await cache.body(("feed", second), flaky)
        return cache

    cache = asyncio.run(main())
    assert len(calls) == 2 + CACHE_SIZE + 5
    assert len(cache.builds) == CACHE_SIZE
