from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from clanactors.server.background import WebServer
from tests.actors.harness import Harness


class Live:
    """The simulator, the actor system and the web server, wired as `serve` wires them."""

    def __init__(self, harness: Harness, web: WebServer) -> None:
        self.h = harness
        self.web = web


@pytest.fixture
def live(sqlite_url: str) -> Iterator[Live]:
    # An hour behind the wall clock: however far a test steps simulated time, activity
    # starts stay in the browser's past, so its timers count up.
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    harness = Harness(sqlite_url, start=start)
    web = WebServer(harness.db, clock=harness.clock).start()
    system = harness.start(listeners=(web.listener,))
    assert web.ctx is not None  # the web side of the polling process sees its health
    web.ctx.health, web.ctx.client = system.ctx.health, harness.client
    web.ctx.roster_interval = harness.roster_interval
    web.ctx.profile_interval = harness.profile_interval
    harness.run(120, step=5)
    yield Live(harness, web)
    harness.stop()
    web.stop()
    harness.close()
