from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from clanactors.domain.snapshot import Snapshot
from clanactors.render.wire import state_of
from clanactors.server.hub import Published
from clanactors.store.db import Database, migrate
from clanactors.testing.web import WebServer
from tests.actors.harness import Harness
from tests.conftest import IN_CI

CHROMIUM = "/usr/bin/chromium"


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
    web.ctx.names = system.ctx.names
    web.ctx.roster_interval = harness.roster_interval
    web.ctx.profile_interval = harness.profile_interval
    harness.run(120, step=5)
    yield Live(harness, web)
    harness.stop()
    web.stop()
    harness.close()


@pytest.fixture
def web_only(sqlite_url: str) -> Iterator[WebServer]:
    """The web server alone on an empty database: a test feeds its hub clan states."""
    migrate(sqlite_url)
    db = Database(sqlite_url)
    web = WebServer(db).start()
    yield web
    web.stop()
    db.dispose()


def publish(web: WebServer, snapshot: Snapshot) -> None:
    """Hand the hub a new view, on its IOLoop, as the hub listener does."""
    assert web.hub is not None
    web.call(web.hub.on_snapshot, Published.of(state_of(snapshot)))


# ---------------------------------------------------------------- Chromium (Playwright)

# Runs in every page before its own scripts (through DevTools, so the page's CSP does not
# apply to it): collects the Content-Security-Policy violations the page reports.
COLLECT_CSP_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"}: ${e.sample}`);
});
"""


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not os.path.exists(CHROMIUM) and not IN_CI:
        pytest.skip(f"Chromium not installed at {CHROMIUM}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        yield b
        b.close()


# The screens the pages are tried at: a desktop, and a phone (narrower than PHONE_BELOW: a
# mobile touch screen at twice the pixels, as a phone is).
WIDTHS = {"desktop": (1280, 900), "phone": (375, 812)}
PHONE_BELOW = 500


def watch(pg: Any) -> None:
    """Record what goes wrong in the page: script errors and dialogs (`pg.errors`) and
    CSP violations (console lines and `securitypolicyviolation` events: `csp_violations`)."""
    pg.errors = []
    pg.csp_console = []
    pg.add_init_script(COLLECT_CSP_VIOLATIONS)
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    pg.on(
        "console",
        lambda msg: (
            pg.csp_console.append(msg.text) if "Content Security Policy" in msg.text else None
        ),
    )
    pg.on(
        "dialog",
        lambda dialog: (pg.errors.append(f"dialog: {dialog.message}"), dialog.dismiss()),
    )


@contextmanager
def open_page(browser: Any, label: str, **options: Any) -> Iterator[Any]:
    """A watched page (`watch`) on the screen WIDTHS[label] names (`page.label`), in a
    browser context of its own that is closed on the way out. `options` go to the
    context as well (a time zone, JavaScript off)."""
    width, height = WIDTHS[label]
    phone = width < PHONE_BELOW
    context = browser.new_context(
        viewport={"width": width, "height": height},
        device_scale_factor=2 if phone else 1,
        is_mobile=phone,
        has_touch=phone,
        **options,
    )
    try:
        pg = context.new_page()
        watch(pg)
        pg.label = label
        yield pg
    finally:
        context.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A watched page on the desktop screen (`open_page`)."""
    with open_page(browser, "desktop") as pg:
        yield pg


def csp_violations(page: Any) -> list[str]:
    """Every CSP violation the page has reported so far, from either source."""
    events = page.evaluate("window.__csp || []")
    return [*page.csp_console, *events]


def assert_clean(page: Any) -> None:
    """No script error, dialog or CSP violation in the page so far."""
    assert page.errors == [], page.errors
    assert csp_violations(page) == []
