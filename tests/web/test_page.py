"""The page in real Chromium (Debian's, driven by Playwright)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clanactors.store.queries import stored_report
from tests.conftest import IN_CI
from tests.web.conftest import CHROMIUM, Live, csp_violations

ARTIFACTS = Path(__file__).parent.parent.parent / "test-artifacts"

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not IN_CI:
    pytest.skip(f"Chromium not installed at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect  # noqa: E402


def test_online_offline_timers_feed_and_pgcr(live: Live, page: Page) -> None:
    h = live.h
    pair = [m.membership_id for m in h.world.idle_members(2)]
    play = h.world.script_play(pair, 1077850348, minutes=3, cleared=True)
    h.run_until(
        lambda: any(r["instanceId"] == play.instance_id for r in h.system.snapshot().recent),
        limit=600,
    )

    page.goto(live.web.url)
    online = page.locator("#fireteams .chips a, #solo .person, #idle .person")
    assert online.count() == len(h.world.online_members())
    assert page.locator("#offline .person").count() == len(h.world.roster()) - online.count()

    timer = page.locator("[data-since]").first
    before = timer.inner_text()
    expect(timer).not_to_have_text(before, timeout=2000)

    page.evaluate("window.__sameDocument = true")
    newcomer = h.world.script_join()
    h.run(40)
    joined = page.locator("#feed .event", has_text=f"{newcomer.name} joined the clan")
    expect(joined).to_have_count(1, timeout=5000)
    assert page.evaluate("window.__sameDocument") is True  # arrived without a reload

    page.locator(f'#recent a[data-instance="{play.instance_id}"]').click()
    dialog = page.locator("dialog#pgcr")
    expect(dialog).to_be_visible()
    expect(dialog.locator("h2")).to_have_text("Prophecy")
    clan_rows = dialog.locator("tbody tr.clan")
    expect(clan_rows).to_have_count(2)
    assert page.url.rstrip("/") == live.web.url  # no navigation: shown in place
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "pgcr-dialog.png"), full_page=False)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    assert page.errors == []  # type: ignore[attr-defined]


def test_hostile_names_render_literally_and_run_nothing(live: Live, page: Page) -> None:
    hostile = [m.name for m in live.h.world.roster() if "<" in m.name]
    assert {"<b>Bold</b>", "<svg/onload=alert(1)>"} <= set(hostile)
    page.goto(live.web.url)
    # Offline ones too, though they sit behind their count until asked for.
    names = page.locator(".person .name, #fireteams .chips a").all_text_contents()
    assert set(hostile) <= set(names)
    assert page.locator(".person .name b, .person .name svg, .person .name i").count() == 0
    page.wait_for_timeout(500)
    assert page.errors == []  # type: ignore[attr-defined]
    assert csp_violations(page) == []  # nothing even tried to run


def test_phone_viewport_has_no_horizontal_scroll(live: Live, browser: Browser) -> None:
    context = browser.new_context(
        viewport={"width": 375, "height": 812},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    page = context.new_page()
    page.goto(live.web.url)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, width
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "phone.png"), full_page=True)
    context.close()


def test_page_works_without_javascript(live: Live, browser: Browser) -> None:
    h = live.h

    def reports_stored() -> bool:
        # A PGCR arrives some time after its activity shows in the recent list (until
        # then the page says "No report for this activity yet"): wait for them.
        with h.db.session() as session:
            return all(
                stored_report(session, r["instanceId"]) is not None
                for r in h.system.snapshot().recent
            )

    # Prefetches queue behind a new database's first looks (one work item a step here).
    h.run_until(reports_stored, limit=1800)
    context = browser.new_context(java_script_enabled=False)
    page = context.new_page()
    page.goto(live.web.url)
    assert page.locator("#offline .person").count() > 0
    first = page.locator("#recent a.recent-item").first
    if first.count():
        first.click()
        expect(page.locator("table.pgcr-table")).to_be_visible()
    context.close()


def test_desktop_screenshot(live: Live, page: Page) -> None:
    page.goto(live.web.url)
    page.wait_for_timeout(300)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "home.png"), full_page=True)
    assert (ARTIFACTS / "home.png").stat().st_size > 10_000
