"""Long pages on a phone: with a clan of 100, the front page shows offline members behind
their count (not 90 rows), and the roster takes two lines a member, not a nine-field card.
Both widths, axe-core, no CSP violation, screenshots under test-artifacts/."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import IN_CI
from tests.web.axe import serious_violations
from tests.web.conftest import CHROMIUM, WIDTHS, Live, assert_clean, open_page

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not IN_CI:
    pytest.skip(f"Chromium not installed at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Browser, Page, expect  # noqa: E402

ARTIFACTS = Path(__file__).parent.parent.parent / "test-artifacts"
# What a page may measure at 375 px with the rig's clan of 100 (before: 6,243 px for
# the front page and 25,677 px for the roster).
MOST = {"front": 3200, "roster": 9000}


def height(page: Page) -> int:
    return int(page.evaluate("document.documentElement.scrollHeight"))


def check(page: Page, name: str, label: str) -> None:
    assert serious_violations(page) == []
    assert_clean(page)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}-long-{label}.png"), full_page=True)


def test_long_pages_are_short_on_a_phone(live: Live, browser: Browser) -> None:
    offline = sum(1 for m in live.h.world.roster() if not m.online)
    assert offline > 50  # a clan where the question arises
    for label in WIDTHS:
        with open_page(browser, label) as page:
            page.goto(live.web.url)
            box = page.locator("#offline-box")
            expect(box).not_to_have_attribute("open", "")  # collapsed behind a count
            shown = int(page.locator("#offline-count").inner_text().split()[0])
            assert shown == page.locator("#offline .person").count() > 50
            expect(page.locator("#offline .person").first).to_be_hidden()
            front = height(page)
            check(page, "front", label)
            page.locator("#offline-box > summary").click()  # one tap shows them all
            expect(page.locator("#offline .person").first).to_be_visible()
            assert height(page) > front

            page.goto(f"{live.web.url}/roster")
            rows = page.locator("#roster tbody tr")
            assert rows.count() == len(live.h.world.roster())
            roster = height(page)
            check(page, "roster", label)
            print(f"{label}: front {front} px, roster {roster} px")
            if label == "phone":
                assert front < MOST["front"], front
                assert roster < MOST["roster"], roster
                # Two lines a member: the name and days away, then rank and raid clears.
                first = rows.first.bounding_box()
                assert first is not None and first["height"] < 80, first
