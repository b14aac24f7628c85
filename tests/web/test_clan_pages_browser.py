"""The clan pages in real Chromium at 1280 and 375 px: roster sorting and filtering,
leaderboards, the member heatmap, PGCR cards on the page and in the dialog (no horizontal
scroll on a phone), no CSP violation; screenshots of each under test-artifacts/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from clanactors.bungie.models import parse_pgcr
from clanactors.core.clock import FakeClock
from clanactors.store.db import Database, migrate
from clanactors.store.recording import store_pgcr
from tests.conftest import IN_CI
from tests.pages_data import pvp_payload
from tests.web.axe import serious_violations
from tests.web.conftest import CHROMIUM, WIDTHS, assert_clean, open_page
from tests.web.site import Site, serve
from tests.web.test_clan_pages import NOW, PVP_ID, seed

ARTIFACTS = Path(__file__).parent.parent.parent / "test-artifacts"
BIG_ID = "7777000012"  # a twelve-player match: a report longer than a phone's screen

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not IN_CI:
    pytest.skip(f"Chromium not installed at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect  # noqa: E402


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    url = f"sqlite:///{tmp_path_factory.mktemp('pages') / 'clan.db'}"
    migrate(url)
    db = Database(url)
    log, _ids = seed(db)
    players = [("1", "Ana", 16, 20, 5)] + [
        (str(9000 + i), f"Guardian {i}", 16 if i % 2 else 17, i, 3) for i in range(11)
    ]
    payload = pvp_payload(BIG_ID, NOW - timedelta(minutes=30), players)
    with db.session() as session:
        store_pgcr(session, parse_pgcr(payload), payload, {"1"}, True, NOW)
    with serve(db, log.state(), FakeClock(NOW)) as running:
        yield running
    db.dispose()


@pytest.fixture(params=list(WIDTHS))
def screen(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    with open_page(browser, request.param) as page:
        yield page


def settle(page: Page, name: str) -> None:
    """No horizontal scroll, no script error, no CSP violation; then a screenshot."""
    width = page.evaluate("document.documentElement.scrollWidth")
    viewport = page.evaluate("document.documentElement.clientWidth")
    assert width <= viewport, (name, width, viewport)
    assert_clean(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{page.label}.png"), full_page=True)  # type: ignore[attr-defined]


def order(page: Page) -> list[str]:
    return page.locator("#roster tbody tr").evaluate_all("rows => rows.map(r => r.dataset.member)")


def test_roster_sorts_and_filters(site: Site, screen: Page) -> None:
    screen.goto(f"{site.url}/roster")
    assert order(screen) == ["5", "4", "1", "6", "2", "3"]
    phone = screen.label == "phone"  # type: ignore[attr-defined]
    if phone:  # no column headings on a phone: the form sorts
        screen.locator("select[name=sort]").select_option("raids")
        screen.locator("select[name=order]").select_option("desc")
        screen.locator("form.filters button[type=submit]").click()
    else:
        screen.locator('#roster thead a[data-sort="raids"]').click()
    expect(screen.locator("#roster thead th[aria-sort]")).to_contain_text("Raid clears")
    expect(screen.locator("select[name=sort]")).to_have_value("raids")
    assert order(screen) == ["1", "2", "3", "4", "5", "6"]
    screen.locator("select[name=rank]").select_option("Member")
    screen.locator("form.filters button[type=submit]").click()
    expect(screen.locator("#roster-count")).to_contain_text("3 of 6 members")
    assert order(screen) == ["2", "4", "5"]  # still by raid clears
    screen.goto(f"{site.url}/roster")
    # A card per member on a phone, a table row on a desktop.
    display = screen.locator("#roster tbody tr").first.evaluate("r => getComputedStyle(r).display")
    assert display == ("grid" if phone else "table-row")
    screen.goto(f"{site.url}/roster")
    settle(screen, "roster")


def test_purge_view(site: Site, screen: Page) -> None:
    """One control (days away), longest away first, day counts, dates whole on one line."""
    screen.goto(f"{site.url}/roster")
    screen.locator("input[name=days]").fill("2")
    screen.locator("form.filters button[type=submit]").click()
    assert order(screen) == ["6", "3", "4", "5", "2"]
    expect(screen.locator("#roster-count")).to_contain_text("offline for at least 2 days")
    away = screen.locator('#roster tr[data-member="3"] td[data-label="Days away"]')
    expect(away.locator(".away")).to_have_text("45 days")
    if screen.label == "desktop":  # type: ignore[attr-defined]
        # No date breaks in the middle ("2025-10-" / "12"): each is one line box.
        lines = screen.locator("#roster time").evaluate_all(
            "ts => ts.map(t => t.getClientRects().length)"
        )
        assert lines and set(lines) == {1}, lines
    expect(screen.locator("#roster-count a[download]")).to_have_attribute(
        "href", _contains("days=2")
    )
    assert serious_violations(screen) == []
    settle(screen, "roster-purge")


def test_leaderboards(site: Site, screen: Page) -> None:
    screen.clock.install()  # the page's timers run on a clock the test moves
    screen.goto(f"{site.url}/leaderboards")
    countdown = screen.locator("#reset-countdown")
    expect(countdown).to_have_text("5 d 5 h")  # Thursday 12:00 to Tuesday 17:00 UTC
    screen.clock.run_for("00:30:00")  # half an hour later in the browser: it counts down
    expect(countdown).to_have_text("5 d 4 h")
    # Every board is as tall as what it holds: none stretched to a neighbour's height.
    for period in ("week", "season", "all"):
        screen.goto(f"{site.url}/leaderboards?period={period}")
        slack = screen.locator(".boards > .board").evaluate_all(
            "panels => panels.map(p => { const last = p.lastElementChild.getBoundingClientRect();"
            " return Math.round(p.getBoundingClientRect().bottom - last.bottom); })"
        )
        assert slack and max(slack) < 40, (period, slack)
    assert serious_violations(screen) == []
    screen.goto(f"{site.url}/leaderboards")
    raids = screen.locator("#raids .ranks li")
    expect(raids).to_have_count(2)
    assert raids.locator(".rank-no").all_inner_texts() == ["1", "1"]  # a tie
    expect(screen.locator("#pairs .ranks li")).to_have_count(2)
    expect(screen.locator("#all-time tbody tr")).not_to_have_count(0)
    settle(screen, "leaderboards")


def hot_cells(page: Page) -> set[tuple[str, int]]:
    return {
        (cell["day"], cell["hour"])
        for cell in page.locator("#heatmap tbody td").evaluate_all(
            "tds => tds.map((td, i) => ({day: td.parentElement.firstElementChild.textContent,"
            " hour: i % 24, hot: !td.classList.contains('heat-0')})).filter(c => c.hot)"
        )
    }


def test_member_heatmap(site: Site, screen: Page) -> None:
    screen.goto(f"{site.url}/members/1")
    heat = screen.locator("#heatmap")
    expect(heat).to_be_visible()
    assert heat.locator("tbody tr").count() == 7
    assert heat.locator("td.heat-1, td.heat-2, td.heat-3, td.heat-4").count() == 10
    box = heat.bounding_box()
    assert box is not None and box["width"] <= screen.viewport_size["width"]  # type: ignore[index]
    # Every shade of an hour online stands out from the panel (3:1, WCAG non-text contrast).
    ratios = screen.evaluate(CONTRAST)
    assert min(ratios) >= 3, ratios
    assert serious_violations(screen) == []
    settle(screen, "member")


# The contrast of each heat level's colour against the panel's background.
CONTRAST = """() => {
  const lum = (css) => {
    const [r, g, b] = css.match(/\\d+/g).slice(0, 3).map((v) => {
      const c = Number(v) / 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * b;
  };
  const panel = lum(getComputedStyle(document.querySelector(".panel")).backgroundColor);
  return [1, 2, 3, 4].map((level) => {
    const cell = document.querySelector(`.heat-legend .heat-${level}`);
    const l = lum(getComputedStyle(cell).backgroundColor);
    return (Math.max(l, panel) + 0.05) / (Math.min(l, panel) + 0.05);
  });
}"""


@pytest.mark.parametrize("label", list(WIDTHS))
def test_heatmap_in_the_viewers_time_zone(site: Site, browser: Browser, label: str) -> None:
    utc_hot = {("Mon", 20), ("Mon", 21), ("Tue", 20), ("Tue", 21), ("Wed", 20), ("Wed", 21),
               ("Tue", 16), ("Tue", 17), ("Thu", 8), ("Thu", 11)}  # fmt: skip
    days = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    tokyo = {(days[(days.index(d) + (h + 9) // 24) % 7], (h + 9) % 24) for d, h in utc_hot}
    for zone, js, expected, label_text in (
        ("Asia/Tokyo", True, tokyo, "your time: Asia/Tokyo, UTC+9"),
        ("Asia/Tokyo", False, utc_hot, "UTC"),  # without JavaScript: UTC, and it says so
    ):
        with open_page(browser, label, timezone_id=zone, java_script_enabled=js) as page:
            page.goto(f"{site.url}/members/1")
            expect(page.locator("#heatmap-zone")).to_have_text(label_text)
            assert hot_cells(page) == expected
            if js:
                title = page.locator("#heatmap tbody tr").nth(1).locator("td").nth(5)
                expect(title).to_have_attribute("title", _contains("Tue 05:00 your time"))
                assert_clean(page)


def assert_cards(page: Page, scope: str) -> None:
    rows = page.locator(f"{scope} table.pgcr-table tbody tr")
    expect(rows).to_have_count(3)
    phone = page.label == "phone"  # type: ignore[attr-defined]
    display = rows.first.evaluate("r => getComputedStyle(r).display")
    assert display == ("grid" if phone else "table-row")
    # Every column of every player is on screen: nothing clipped, "clan" not wrapped.
    for label in ("Assists", "Completed", "K/D", "Time", "Team", "Score"):
        cell = rows.first.locator(f'td[data-label="{label}"]')
        expect(cell).to_be_visible()
        box = cell.bounding_box()
        assert box is not None and box["x"] + box["width"] <= page.viewport_size["width"]  # type: ignore[index]
    tag = rows.first.locator(".tag")
    assert tag.evaluate("t => t.getClientRects().length") == 1  # one line: "clan"


def test_pgcr_page_cards(site: Site, screen: Page) -> None:
    screen.goto(f"{site.url}/activities/{PVP_ID}")
    expect(screen.locator(".teams .team")).to_have_count(2)
    assert_cards(screen, "article")
    settle(screen, "pgcr")


def test_pgcr_dialog_cards(site: Site, screen: Page) -> None:
    screen.goto(f"{site.url}/members/1")
    screen.locator(f'a.recent-item[data-instance="{PVP_ID}"]').click()
    dialog = screen.locator("dialog#pgcr")
    expect(dialog).to_be_visible()
    expect(dialog.locator(".teams .team")).to_have_count(2)
    assert_cards(screen, "dialog#pgcr")
    assert dialog.evaluate("d => d.scrollWidth <= d.clientWidth")
    settle(screen, "pgcr-dialog")


def test_pgcr_dialog_on_a_phone(site: Site, screen: Page) -> None:
    """A long report in the dialog: the close control stays in reach however far it is
    scrolled, a tap outside and the Back button close it, and it links to its own page."""
    screen.goto(f"{site.url}/members/1")
    report = screen.locator(f'a.recent-item[data-instance="{BIG_ID}"]')
    dialog = screen.locator("dialog#pgcr")
    close = dialog.locator("button.close")
    height = screen.viewport_size["height"]  # type: ignore[index]

    report.click()
    expect(dialog.locator("table.pgcr-table tbody tr")).to_have_count(12)
    assert dialog.evaluate("d => d.scrollHeight > d.clientHeight")  # it does scroll
    expect(dialog.locator("#pgcr-page")).to_have_attribute("href", f"/activities/{BIG_ID}")
    dialog.evaluate("d => { d.scrollTop = d.scrollHeight; }")
    expect(dialog.locator("table.pgcr-table tbody tr").last).to_be_in_viewport()
    box = close.bounding_box()
    assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height, box
    assert close.evaluate(  # on top, not under the rows scrolled beneath it
        "b => { const r = b.getBoundingClientRect();"
        " return document.elementFromPoint(r.x + r.width / 2, r.y + r.height / 2) === b; }"
    )
    assert serious_violations(screen) == []
    settle(screen, "pgcr-dialog-long")
    close.click()
    expect(dialog).to_be_hidden()

    # A tap outside the dialog (on its backdrop) closes it, and the page stays.
    report.click()
    expect(dialog).to_be_visible()
    if screen.label == "phone":  # type: ignore[attr-defined]
        screen.touchscreen.tap(3, 3)
    else:
        screen.mouse.click(5, 5)
    expect(dialog).to_be_hidden()
    assert screen.url.endswith("/members/1")

    # Back closes it, and the page stays; a second Back leaves as it always did.
    report.click()
    expect(dialog).to_be_visible()
    screen.go_back()
    expect(dialog).to_be_hidden()
    assert screen.url.endswith("/members/1")
    # Closing by other means took its history entry away: no Back is spent on nothing.
    assert screen.evaluate("history.state") is None


def test_feed(site: Site, screen: Page) -> None:
    screen.goto(f"{site.url}/feed")
    expect(screen.locator("#history .event")).to_have_count(50)
    screen.locator("select[name=kind]").select_option("activity_cleared")
    screen.locator("form.filters button[type=submit]").click()
    expect(screen.locator("#history .event")).to_have_count(3)
    expect(screen.locator("#history .event a").first).to_have_attribute(
        "href", _starts("/activities/")
    )
    # When each happened is on the page, not only in a tooltip a phone cannot show.
    first = screen.locator("#history .event time").first
    expect(first.locator(".exact")).to_be_visible()
    expect(first.locator(".exact")).to_have_text(_starts("2026-11-"))
    expect(first.locator(".ago")).to_be_visible()
    assert serious_violations(screen) == []
    settle(screen, "feed")


def test_error_pages_keep_the_header_and_navigation(site: Site, screen: Page) -> None:
    answer = screen.goto(f"{site.url}/members/404404404")
    assert answer is not None and answer.status == 404
    expect(screen.locator("header.site h1")).to_have_text("Test Clan")
    expect(screen.locator("nav.site-nav a")).to_have_count(4)
    expect(screen.locator("main .error-page h2")).to_have_text("404")
    answer = screen.goto(f"{site.url}/no/such/page")
    assert answer is not None and answer.status == 404
    expect(screen.locator("nav.site-nav a[href='/roster']")).to_be_visible()
    assert serious_violations(screen) == []
    settle(screen, "error")


def test_the_online_offline_toggle_is_remembered(site: Site, screen: Page) -> None:
    screen.goto(site.url)
    toggle = screen.locator("#show-presence")
    presence = screen.locator("#feed .event.kind-member_online")
    expect(toggle).not_to_be_checked()
    expect(presence.first).to_be_hidden()
    toggle.check()
    expect(presence.first).to_be_visible()
    screen.reload()
    expect(toggle).to_be_checked()  # remembered in this browser
    expect(presence.first).to_be_visible()
    toggle.uncheck()
    screen.reload()
    expect(toggle).not_to_be_checked()
    expect(presence.first).to_be_hidden()


def _contains(text: str) -> Any:
    import re

    return re.compile(re.escape(text))


def _starts(prefix: str) -> Any:
    import re

    return re.compile("^" + re.escape(prefix))
