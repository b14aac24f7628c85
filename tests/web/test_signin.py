"""Sign in with Bungie against the simulator over loopback (docs/api.md, "Sign-in"): the
state, the session cookie, the tokens kept encrypted and out of every page and log,
sign-out."""

from __future__ import annotations

import logging
import re

import pytest
import requests
from sqlalchemy import select

from clanactors.store.models import WebSession
from clanactors.testing.web import WebServer
from tests.web.admin_site import CLIENT, KEY, SECRET, Site, site

__all__ = ["site"]


def test_signin_keeps_a_signed_httponly_session_and_no_token_anywhere(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    # The access log's own level may have been raised by an earlier test's logging setup.
    caplog.set_level(logging.DEBUG, logger="tornado.access")
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
    assert browser.get(f"{site.url}/admin", timeout=10).status_code == 403
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
    # The site's own log (not the test client's urllib3 lines) keeps the code out too.
    ours = "\n".join(r.getMessage() for r in caplog.records if not r.name.startswith("urllib3"))
    assert "GET /signin/callback?…" in ours and "code=" not in ours

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
