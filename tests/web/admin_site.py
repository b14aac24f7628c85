"""A site with sign-in on, the simulator as Bungie.net and its OAuth provider, the actors
polling it: for the sign-in and admin tests."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from clanactors.domain.events import Event
from clanactors.server.sessions import AuthConfig
from clanactors.store.audit import record_with_outbox
from clanactors.testing.web import WebServer
from tests.actors.harness import Harness

CLIENT, SECRET, KEY = "4242", "client-secret-9f8e7d", "test-secret-key-" + "x" * 24


class Site:
    def __init__(self, harness: Harness, web: WebServer) -> None:
        self.h = harness
        self.web = web
        self.url = web.url

    def member(self, rank: int) -> Any:
        return next(m for m in self.h.world.roster() if m.rank == rank and not m.special)

    def sign_in(self, membership_id: str, browser: requests.Session | None = None) -> Any:
        """Follow the whole dance as a browser would; the last answer."""
        s = browser or requests.Session()
        start = s.get(f"{self.url}/signin", allow_redirects=False, timeout=10)
        assert start.status_code == 302
        form = s.get(start.headers["Location"], timeout=10)
        assert form.status_code == 200
        state = re.search(r'name="state" value="([^"]+)"', form.text)
        assert state is not None
        back = s.post(
            f"{self.h.sim.url}/en/OAuth/Authorize",
            data={"client_id": CLIENT, "state": state.group(1), "membership_id": membership_id},
            allow_redirects=False,
            timeout=10,
        )
        assert back.status_code == 302 and back.headers["Location"].startswith(self.url)
        return s.get(back.headers["Location"], allow_redirects=False, timeout=10)

    def tokens_issued(self) -> list[str]:
        oauth = self.h.sim.sim.oauth
        with self.h.world.lock:
            return [*oauth.access, *oauth.refresh]


@pytest.fixture
def site(sqlite_url: str) -> Iterator[Site]:
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    harness = Harness(sqlite_url, start=start)
    auth = AuthConfig(CLIENT, SECRET, harness.sim.url, KEY)
    web = WebServer(harness.db, clock=harness.clock, auth=auth).start()
    system = harness.start(listeners=(web.listener,))
    assert web.ctx is not None
    web.ctx.health, web.ctx.client = system.ctx.health, harness.client

    def record(event: Event) -> int | None:  # as `serve` does (process/app.py)
        stored = system.record(event)
        if stored is not None:
            return stored
        with harness.db.session() as session:
            return record_with_outbox(session, event, harness.clock.now(), (), ())

    web.ctx.record_event = record
    harness.sim.sim.oauth.register(CLIENT, SECRET, f"{web.url}/signin/callback")
    harness.run(60, step=5)
    yield Site(harness, web)
    harness.stop()
    web.stop()
    harness.close()
