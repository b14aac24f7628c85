"""The poller loop never stalls: a start that fails (a database error during a takeover)
releases the poller lock for another process, follows meanwhile and retries with backoff;
a system whose root supervisor crashed is replaced the same way."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.exc import OperationalError

from clanactors.actors.system import ActorSystem
from clanactors.bungie.client import BungieClient
from clanactors.process import app as app_module
from clanactors.process.app import Pollers
from clanactors.process.config import Settings
from clanactors.process.leader import PollerLock
from clanactors.server.hub import Hub
from clanactors.store.db import Database, migrate


class Starts:
    """Stands in for ActorSystem.start/stop: fails the first `failing` starts."""

    def __init__(self, failing: int) -> None:
        self.failing = failing
        self.tries = 0
        self.stops = 0

    def start(self, system: ActorSystem) -> None:
        self.tries += 1
        if self.tries <= self.failing:
            raise OperationalError("SELECT", {}, Exception("canceling statement: lock timeout"))

    def stop(self, system: ActorSystem) -> None:
        self.stops += 1


@pytest.fixture
def pollers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    url = f"sqlite:///{tmp_path / 'clan.db'}"
    migrate(url)
    db = Database(url)
    client = BungieClient("key", api_root="http://127.0.0.1:9/Platform")
    settings = Settings(api_key="key", clan_id="42", database_url=url, roster_interval=1.0)
    monkeypatch.setattr(app_module, "START_BACKOFF", 0.2)

    async def make(starts: Starts) -> Pollers:
        monkeypatch.setattr(ActorSystem, "start", lambda system: starts.start(system))
        monkeypatch.setattr(ActorSystem, "stop", lambda system: starts.stop(system))
        return Pollers(settings, db, client, Hub(), listener=None)

    yield make, url
    client.close()
    db.dispose()


async def wait_until(check: Any, limit: float = 10.0) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while not check():
        assert loop.time() < deadline, "condition not met in time"
        await asyncio.sleep(0.05)


def test_a_failed_start_frees_the_lock_follows_and_retries(pollers: Any) -> None:
    make, url = pollers

    async def scene() -> None:
        starts = Starts(failing=2)
        p = await make(starts)
        task = asyncio.ensure_future(p.run())
        try:
            await wait_until(lambda: starts.tries >= 1 and p.system is None)
            health = p.health.view()
            assert not health.polling and health.trouble
            assert health.not_polling and "cannot start the pollers" in health.not_polling
            assert "OperationalError" in health.not_polling
            assert p.tail.running  # it follows meanwhile
            other = PollerLock(url, "42")  # and another process could take over
            assert other.try_acquire()
            other.release()
            await wait_until(lambda: p.system is not None)
            assert starts.tries == 3
            assert p.health.view().polling and p.lock.held and not p.tail.running
        finally:
            task.cancel()
            p.stop()

    asyncio.run(scene())


def test_a_crashed_root_supervisor_is_replaced(pollers: Any) -> None:
    make, _url = pollers

    async def scene() -> None:
        starts = Starts(failing=0)
        p = await make(starts)
        task = asyncio.ensure_future(p.run())
        try:
            await wait_until(lambda: p.system is not None)
            first = p.system
            assert first is not None
            first.failed = "RuntimeError: a bug in the supervisor"
            await wait_until(lambda: p.system is not None and p.system is not first)
            assert starts.tries == 2 and starts.stops >= 1
            assert p.health.view().polling
        finally:
            task.cancel()
            p.stop()

    asyncio.run(scene())
