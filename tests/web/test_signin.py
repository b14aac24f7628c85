"""Sign in with Bungie against the simulator over loopback (docs/api.md, "Sign-in"): the state, the
session cookie, the tokens kept encrypted and out of every page and log, sign-out."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from sqlalchemy import select

from clanactors.server.sessions import AuthConfig
from clanactors.store.models import WebSession
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
    harness.sim.sim.oauth.register(CLIENT, SECRET, f"{web.url}/signin/callback")
    harness.run(60, step=5)
    yield Site(harness, web)
    harness.stop()
    web.stop()
    harness.close()


def test_signin_keeps_a_signed_httponly_session_and_no_token_anywhere(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    plain = site.member(2)
    browser = requests.Session()
    done = site.sign_in(plain.membership_id, browser)
    assert done.status_code == 302 and done.headers["Location"] == f"/members/{plain.membership_id}"
    cookie = next(c for c in browser.cookies if c.name == "clanactors_session")
    assert cookie.has_nonstandard_attr("HttpOnly") and not cookie.secure
    raw = done.headers["Set-Cookie"]
    assert "SameSite=Lax" in raw and "HttpOnly" in raw

    page = browser.get(f"{site.url}/members/{plain.membership_id}", timeout=10)
    assert page.status_code == 200 and 'id="this-is-you"' in page.text
    assert "Signed in as" in page.text and "no-store" in page.headers["Cache-Control"]
    roster = browser.get(f"{site.url}/roster", timeout=10)
    assert re.search(rf'<tr data-member="{plain.membership_id}" class="me"', roster.text)
    assert browser.get(f"{site.url}/admin", timeout=10).status_code in (403, 404)
    anonymous = requests.get(f"{site.url}/roster", timeout=10)
    assert 'class="me"' not in anonymous.text and "Sign in with Bungie" in anonymous.text

    tokens = site.tokens_issued()
    assert tokens
    with site.h.db.session() as session:
        stored = session.scalars(select(WebSession)).all()
    assert len(stored) == 1 and stored[0].membership_id == plain.membership_id
    everything = [page.text, roster.text, caplog.text, stored[0].tokens, str(stored[0].__dict__)]
    everything += [str(dict(r.headers)) for r in (page, roster, done)]
    for token in tokens:
        assert all(token not in text for text in everything)
    assert SECRET not in caplog.text and KEY not in caplog.text

    # Sign-out needs its CSRF token; then the session is gone for good.
    assert browser.post(f"{site.url}/signout", timeout=10).status_code == 403
    assert "Signed in as" in browser.get(f"{site.url}/roster", timeout=10).text
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
    assert xsrf is not None
    old = cookie.value
    out = browser.post(
        f"{site.url}/signout", data={"_xsrf": xsrf.group(1)}, allow_redirects=False, timeout=10
    )
    assert out.status_code == 302
    with site.h.db.session() as session:
        assert session.scalars(select(WebSession)).all() == []
    replay = requests.get(f"{site.url}/roster", cookies={"clanactors_session": old}, timeout=10)
    assert "Signed in as" not in replay.text


def test_a_forged_or_replayed_state_is_refused(site: Site) -> None:
    browser = requests.Session()
    start = browser.get(f"{site.url}/signin", allow_redirects=False, timeout=10)
    state = re.search(r"state=([^&]+)", start.headers["Location"])
    assert state is not None
    code, _ = site.h.sim.sim.oauth.authorize(CLIENT, site.member(5).membership_id, site.h.world.now)
    forged = browser.get(
        f"{site.url}/signin/callback", params={"code": code, "state": "forged"}, timeout=10
    )
    assert forged.status_code == 403
    stranger = requests.get(
        f"{site.url}/signin/callback", params={"code": code, "state": state.group(1)}, timeout=10
    )
    assert stranger.status_code == 403  # the state is bound to the browser that asked
    assert not any(c.name == "clanactors_session" for c in browser.cookies)
    with site.h.db.session() as session:
        assert session.scalars(select(WebSession)).all() == []
    founder = site.member(5)
    first = site.sign_in(founder.membership_id, browser)
    assert first.status_code == 302 and first.headers["Location"] == "/admin"


def test_a_state_is_short_lived(site: Site) -> None:
    browser = requests.Session()
    start = browser.get(f"{site.url}/signin", allow_redirects=False, timeout=10)
    state = re.search(r"state=([^&]+)", start.headers["Location"])
    assert state is not None
    code, _ = site.h.sim.sim.oauth.authorize(CLIENT, site.member(5).membership_id, site.h.world.now)
    site.h.clock.advance(11 * 60)
    late = browser.get(
        f"{site.url}/signin/callback", params={"code": code, "state": state.group(1)}, timeout=10
    )
    assert late.status_code == 403


def test_signin_is_404_when_off(web_only: WebServer) -> None:
    assert requests.get(f"{web_only.url}/signin", timeout=10).status_code == 404
    assert "Sign in" not in requests.get(f"{web_only.url}/roster", timeout=10).text
