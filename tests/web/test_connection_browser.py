"""The server goes away and comes back, in real Chromium at 1280 and 375 px: within a few
seconds the page says the connection is lost and that timers are paused (and they stop),
then it recovers by itself, without a reload. With JavaScript off, the page says it is a
snapshot and when it was taken."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.web.axe import serious_violations
from tests.web.conftest import CHROMIUM, WIDTHS, Live, assert_clean, open_page
from tests.web.proxy import Relay

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not IN_CI:
    pytest.skip(f"Chromium not installed at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Browser, expect  # noqa: E402

ARTIFACTS = Path(__file__).parent.parent.parent / "test-artifacts"


@pytest.fixture
def relay(live: Live) -> Iterator[Relay]:
    r = Relay(live.web.port)
    yield r
    r.close()


@pytest.mark.parametrize("label", list(WIDTHS))
def test_connection_lost_and_recovered(relay: Relay, browser: Browser, label: str) -> None:
    with open_page(browser, label) as page:
        page.goto(relay.url)
        banner = page.locator("#connection")
        timer = page.locator("#fireteams .timer, #solo .timer").first
        expect(timer).to_be_visible()
        expect(banner).to_be_hidden()
        page.evaluate("window.__sameDocument = true")  # gone if the page reloads

        relay.cut()
        expect(banner).to_be_visible(timeout=5000)
        expect(banner).to_contain_text("reconnecting")
        expect(page.locator("body")).to_have_class(re.compile(r"\bconn-lost\b"))
        paused = timer.inner_text()
        after = timer.evaluate("t => getComputedStyle(t, '::after').content")
        assert "paused" in after, after
        page.wait_for_timeout(2100)  # two ticks of a live timer: it must not move
        assert timer.inner_text() == paused
        assert serious_violations(page) == []
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"connection-lost-{label}.png"))

        relay.resume()
        expect(banner).to_be_hidden(timeout=15000)
        expect(page.locator("body")).not_to_have_class(re.compile(r"\bconn-lost\b"))
        expect(timer).not_to_have_text(paused)  # ticking again
        assert page.evaluate("window.__sameDocument === true")  # recovered without a reload
        assert_clean(page)


def test_without_javascript_the_page_says_it_is_a_snapshot(live: Live, browser: Browser) -> None:
    for label in WIDTHS:
        with open_page(browser, label, java_script_enabled=False) as page:
            page.goto(live.web.url)
            note = page.locator(".snapshot-note")
            expect(note).to_be_visible()
            expect(note).to_contain_text("snapshot taken at")
            stamp = note.locator("time").get_attribute("datetime") or ""
            assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", stamp), stamp
            expect(page.locator("#connection")).to_be_hidden()
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"no-js-{label}.png"))
