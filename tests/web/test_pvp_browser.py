"""A PvP match, end to end in real Chromium at 1280 and 375 px: the simulator plays a
Control match on Midtown and a Rumble, the recorder stores them, and the page shows
"Control on Midtown" with Victory or Defeat (no "Cleared"), a feed line that says victory or
defeat, a report with its teams and scores, and Rumble with places and no teams. axe-core
finds nothing serious, the CSP nothing to block; screenshots under test-artifacts/."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.web.axe import serious_violations
from tests.web.conftest import CHROMIUM, WIDTHS, Live, assert_clean, open_page

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not IN_CI:
    pytest.skip(f"Chromium not installed at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect  # noqa: E402

MIDTOWN, RUMBLE = 1066527483, 914148167
ARTIFACTS = Path(__file__).parent.parent.parent / "test-artifacts"


def check(page: Page, name: str, label: str) -> None:
    assert_clean(page)
    assert serious_violations(page) == []
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.evaluate("document.documentElement.clientWidth"), (name, width)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-{label}.png"), full_page=True)


def test_pvp_matches_read_as_matches(live: Live, browser: Browser) -> None:
    world = live.h.world
    idle = [m.membership_id for m in world.idle_members(3)]
    control = world.script_play(idle[:2], MIDTOWN, minutes=9)
    rumble = world.script_play(idle[2:], RUMBLE, minutes=8)
    done = {control.instance_id, rumble.instance_id}

    def recorded() -> bool:
        found = {e.event.instance_id for e in live.h.events() if e.event.instance_id in done}
        return found == done

    live.h.run_until(recorded, limit=1800, step=30)
    live.h.run(60, step=30)  # the recent list's reports prefetched
    by_instance = {e.event.instance_id: e.event for e in live.h.events()}
    line = by_instance[control.instance_id].text
    assert re.search(r" (cleared|played) Control on Midtown.*: (victory|defeat)$", line), line
    placed = by_instance[rumble.instance_id].text
    assert re.search(r" Rumble.*: placed \d+(st|nd|rd|th) of \d+$", placed), placed

    for label in WIDTHS:
        with open_page(browser, label) as page:
            page.goto(live.web.url)
            item = page.locator(f'#recent li[data-key="{control.instance_id}"]')
            expect(item.locator(".title")).to_have_text("Control on Midtown")
            expect(item.locator(".badge.result")).to_have_text(re.compile("^(Victory|Defeat)$"))
            expect(page.locator("#feed .event .text", has_text="Control on Midtown")).to_have_text(
                line
            )
            check(page, "pvp-front", label)

            page.goto(f"{live.web.url}/activities/{control.instance_id}")
            expect(page.locator("h2#pgcr-title")).to_have_text("Control on Midtown")
            teams = page.locator(".teams .team")
            expect(teams).to_have_count(2)
            expect(teams.locator(".team-result")).to_have_text(["Victory", "Defeat"])
            result = page.locator(".pgcr-meta .badge.result").inner_text()
            assert result in ("Victory", "Defeat")
            scores = [int(s) for s in teams.locator(".team-score").all_inner_texts()]
            assert scores[0] > scores[1]
            check(page, "pvp-report", label)

            page.goto(f"{live.web.url}/activities/{rumble.instance_id}")
            expect(page.locator("h2#pgcr-title")).to_have_text("Rumble")
            expect(page.locator(".teams")).to_have_count(0)
            expect(page.locator('td[data-label="Team"]')).to_have_count(0)
            expect(page.locator('td[data-label="Score"]').first).to_be_visible()
            expect(page.locator(".pgcr-meta .badge.result")).to_have_text(
                re.compile(r"^\d+(st|nd|rd|th) of \d+$")
            )
            check(page, "pvp-rumble", label)

            # The dialog on the front page tells the same.
            page.goto(live.web.url)
            page.locator(f'#recent a.recent-item[data-instance="{control.instance_id}"]').click()
            dialog = page.locator("dialog#pgcr")
            expect(dialog.locator("#pgcr-title")).to_have_text("Control on Midtown")
            expect(dialog.locator(".teams .team")).to_have_count(2)
