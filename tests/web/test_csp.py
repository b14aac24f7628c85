"""The Content-Security-Policy in real Chromium: every page runs live under it without a
single violation, and inline script, handlers and styles are refused."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from clanactors.server.base import PAGE_POLICY
from clanactors.server.pages import PageHandler
from tests.conftest import IN_CI
from tests.web.conftest import CHROMIUM, Live, csp_violations

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not IN_CI:
    pytest.skip(f"Chromium not installed at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402


def goto(page: Page, url: str, status: int = 200) -> None:
    response = page.goto(url)
    assert response is not None and response.status == status, url
    assert response.headers["content-security-policy"] == PAGE_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"


def test_every_page_runs_live_without_a_violation(live: Live, page: Page) -> None:
    h = live.h
    pair = [m.membership_id for m in h.world.idle_members(2)]
    play = h.world.script_play(pair, 1077850348, minutes=3, cleared=True)
    h.run_until(
        lambda: any(r["instanceId"] == play.instance_id for r in h.system.snapshot().recent),
        limit=600,
    )
    base = live.web.url

    # The front page: no inline script at all (the live state comes over the WebSocket).
    goto(page, base)
    assert page.locator("script:not([src])").count() == 0
    # Timers tick, the WebSocket delivers an event, the PGCR dialog opens.
    timer = page.locator("[data-since]").first
    before = timer.inner_text()
    expect(timer).not_to_have_text(before, timeout=2500)
    newcomer = h.world.script_join()
    h.run(40)
    joined = page.locator("#feed .event", has_text=f"{newcomer.name} joined the clan")
    expect(joined).to_have_count(1, timeout=5000)
    page.locator(f'#recent a[data-instance="{play.instance_id}"]').click()
    dialog = page.locator("dialog#pgcr")
    expect(dialog.locator("tbody tr.clan")).to_have_count(2)
    page.keyboard.press("Escape")
    page.wait_for_timeout(1200)  # another round of timer ticks
    assert csp_violations(page) == []

    # A member page, with its own PGCR dialog.
    goto(page, f"{base}/members/{pair[0]}")
    page.locator(f'a.recent-item[data-instance="{play.instance_id}"]').click()
    expect(page.locator("dialog#pgcr tbody tr.clan")).to_have_count(2)
    page.wait_for_timeout(1200)
    assert csp_violations(page) == []

    # The clan pages: roster, leaderboards, the feed's history.
    for path in ("/roster?sort=raids", "/leaderboards", "/feed?kind=activity_cleared"):
        goto(page, base + path)
        page.wait_for_timeout(300)
        assert csp_violations(page) == [], path

    # The PGCR page itself, and a page that is not there.
    goto(page, f"{base}/activities/{play.instance_id}")
    expect(page.locator("table.pgcr-table")).to_be_visible()
    goto(page, f"{base}/no/such/page", status=404)
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") != "rgba(0, 0, 0, 0)"
    page.wait_for_timeout(300)
    assert csp_violations(page) == []
    assert page.errors == []  # type: ignore[attr-defined]


INLINE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>inline</title>
<link rel="stylesheet" href="{{ static_url('app.css') }}"></head>
<body>
<p id="styled" style="color: rgb(255, 0, 0)">styled inline</p>
<img id="pic" alt="" src="/static/favicon.svg" onload="window.__handler = true">
<script>window.__inline = true;</script>
</body></html>
"""


def test_inline_script_handlers_and_styles_are_blocked(
    live: Live, page: Page, tmp_path: Path
) -> None:
    """A template slip (an inline script, an on* handler, a style attribute) rendered by
    our own page handler: the policy stops all three and says so."""
    (tmp_path / "inline.html").write_text(INLINE, encoding="utf-8")

    class InlinePage(PageHandler):
        def get_template_path(self) -> str:
            return str(tmp_path)

        def get(self) -> None:
            self.render("inline.html")

    web = live.web
    assert web.ctx is not None
    web.call(web.app.add_handlers, r".*", [(r"/test/inline", InlinePage, {"ctx": web.ctx})])

    goto(page, f"{web.url}/test/inline")
    expect(page.locator("#pic")).to_have_js_property("complete", True)
    page.wait_for_timeout(300)
    ran: Any = page.evaluate("[window.__inline, window.__handler]")
    assert ran == [None, None]
    color = page.evaluate("getComputedStyle(document.querySelector('#styled')).color")
    assert color != "rgb(255, 0, 0)"
    reported = " ".join(csp_violations(page))
    for directive in ("script-src-elem", "script-src-attr", "style-src-attr"):
        assert directive in reported, reported
