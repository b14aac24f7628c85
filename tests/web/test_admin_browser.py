"""The admin console in real Chromium (docs/api.md, "Admin pages"): sign in as the
founder on the simulated Bungie.net, approve an applicant, kick two members away for days
(one with a markup name) after the confirmation, see the events; a plain member gets 403;
no CSP violation, no script run from a name."""

from __future__ import annotations

import os
import re
from typing import Any

import pytest

from tests.conftest import IN_CI
from tests.web.admin_site import Site, site
from tests.web.axe import serious_violations
from tests.web.conftest import CHROMIUM, csp_violations

__all__ = ["site"]

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not IN_CI:
    pytest.skip(f"Chromium not installed at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import expect  # noqa: E402

HOSTILE = "<svg/onload=alert(1)>"


def sign_in_as(page: Any, site: Site, membership_id: str) -> None:
    page.goto(f"{site.url}/roster")
    page.click("#signin")
    page.wait_for_url(re.compile(r".*/en/OAuth/Authorize.*"))
    page.select_option("#member", membership_id)
    page.click("button[type=submit]")


def test_founder_approves_and_kicks_after_confirming(page: Any, site: Site) -> None:
    founder = site.member(5)
    sign_in_as(page, site, founder.membership_id)
    page.wait_for_url(f"{site.url}/admin")
    expect(page.locator("#signed-in-as")).to_contain_text(founder.name)
    assert serious_violations(page) == []  # the admin page
    applicant = page.locator("[data-applicant]").first
    applicant_id = applicant.get_attribute("data-applicant")
    applicant.locator("input[type=checkbox]").check()
    page.click("button[value=approve]")
    expect(page.locator("#outcomes li.done")).to_have_count(1)
    assert site.h.world.members[applicant_id].in_clan

    # Two members away for days, from the roster's inactivity view.
    page.goto(f"{site.url}/roster?days=1")
    ids = page.eval_on_selector_all(
        "#roster-admin input[name=m]", "boxes => boxes.map(b => b.value)"
    )
    assert serious_violations(page) == []  # the roster with the admin's controls
    away = [i for i in ids if site.h.world.members[i].rank < 3][:2]
    assert len(away) == 2
    for membership_id in away:
        page.check(f'#roster-admin input[value="{membership_id}"]')
    page.click("#roster-admin button[value=kick]")
    expect(page.locator("#confirm-list li")).to_have_count(2)
    assert serious_violations(page) == []  # the confirmation
    assert all(site.h.world.members[i].in_clan for i in away)  # nothing done before confirming
    page.click("#confirm-button")
    expect(page.locator("#outcomes li.done")).to_have_count(2)
    assert serious_violations(page) == []  # the result
    assert not any(site.h.world.members[i].in_clan for i in away)

    # A markup name on the confirmation page is text; cancelling does nothing.
    hostile = next(m for m in site.h.world.roster() if m.name == HOSTILE)
    page.goto(f"{site.url}/roster")
    page.check(f'#roster-admin input[value="{hostile.membership_id}"]')
    page.click("#roster-admin button[value=ban]")
    expect(page.locator("#confirm-list")).to_contain_text(HOSTILE)
    page.click("text=Cancel")
    page.wait_for_url(f"{site.url}/roster")
    assert hostile.in_clan
    rank = hostile.rank
    page.check(f'#roster-admin input[value="{hostile.membership_id}"]')
    page.click("#roster-admin button[value=promote]")  # no confirmation for a rank change
    expect(page.locator("#outcomes")).to_contain_text(HOSTILE)
    assert hostile.rank == rank + 1

    page.goto(f"{site.url}/admin")
    expect(page.locator("#admin-actions li")).to_have_count(4)
    expect(page.locator("#admin-actions")).to_contain_text(HOSTILE)
    assert page.locator("svg").count() == 0 or page.evaluate(
        "[...document.querySelectorAll('svg')].every(s => !s.getAttribute('onload'))"
    )
    assert page.errors == []  # no alert() from a name, no script error
    assert csp_violations(page) == []


def test_a_plain_member_gets_403(page: Any, site: Site) -> None:
    plain = site.member(2)
    sign_in_as(page, site, plain.membership_id)
    page.wait_for_url(f"{site.url}/members/{plain.membership_id}")
    expect(page.locator("#this-is-you")).to_be_visible()
    assert page.locator("#roster-admin").count() == 0
    answer = page.goto(f"{site.url}/admin")
    assert answer is not None and answer.status == 403
    assert csp_violations(page) == [] and page.errors == []
