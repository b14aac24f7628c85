"""The admin pages over HTTP against the simulator (docs/api.md, "Admin pages"): who may
act, CSRF, the confirmation before a kick, Bungie's refusals shown and audited, tokens
refreshed or the admin sent back to sign in."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
import requests
from sqlalchemy import select, update

from clanactors.store.models import EventRow, Member, WebSession
from tests.web.admin_site import KEY, SECRET, Site, site

__all__ = ["site"]


def xsrf(page: requests.Response) -> str:
    found = re.search(r'name="_xsrf" value="([^"]+)"', page.text)
    assert found is not None, page.text[:500]
    return found.group(1)


def admin_events(site: Site) -> list[EventRow]:
    with site.h.db.session() as session:
        rows = session.scalars(select(EventRow).where(EventRow.kind == "admin_action")).all()
        session.expunge_all()
    return list(rows)


def in_clan(site: Site, membership_id: str) -> bool:
    with site.h.world.lock:
        member = site.h.world.members.get(membership_id)
        return member is not None and member.in_clan


def signed_in_admin(site: Site, rank: int = 5) -> tuple[requests.Session, Any]:
    browser = requests.Session()
    who = site.member(rank)
    done = site.sign_in(who.membership_id, browser)
    assert done.status_code == 302 and done.headers["Location"] == "/admin"
    return browser, who


def test_founder_approves_kicks_after_confirming_and_every_action_is_audited(
    site: Site, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    browser, founder = signed_in_admin(site)
    home = browser.get(f"{site.url}/admin", timeout=10)
    assert home.status_code == 200 and "no-store" in home.headers["Cache-Control"]
    applicants = re.findall(r'data-applicant="(\d+)"', home.text)
    assert len(applicants) >= 2
    assert re.search(r"<td>[\d,]+ h</td>", home.text)  # a public applicant's time played
    pending = site.h.sim.sim.applicants.pending(site.h.world)
    if any(a.member.private for a in pending):
        assert "private profile" in home.text

    approved = browser.post(
        f"{site.url}/admin/applications",
        data={"_xsrf": xsrf(home), "action": "approve", "m": applicants[0]},
        timeout=10,
    )
    assert approved.status_code == 200 and "done" in approved.text
    assert in_clan(site, applicants[0])
    denied = browser.post(
        f"{site.url}/admin/applications",
        data={"_xsrf": xsrf(home), "action": "deny", "m": applicants[1]},
        timeout=10,
    )
    assert denied.status_code == 200 and not in_clan(site, applicants[1])

    away = browser.get(f"{site.url}/roster?days=1", timeout=10)
    assert 'id="roster-admin"' in away.text
    idle = [m for m in re.findall(r'name="m" value="(\d+)"', away.text)
            if m != founder.membership_id and site.h.world.members[m].rank < 3][:2]  # fmt: skip
    assert len(idle) == 2
    ask = browser.post(
        f"{site.url}/admin/members",
        data={"_xsrf": xsrf(away), "action": "kick", "m": idle},
        timeout=10,
    )
    assert ask.status_code == 200 and 'id="confirm-list"' in ask.text
    assert all(in_clan(site, m) for m in idle)  # asked, not done
    kicked = browser.post(
        f"{site.url}/admin/members",
        data={"_xsrf": xsrf(ask), "action": "kick", "m": idle, "confirm": "yes"},
        timeout=10,
    )
    assert kicked.status_code == 200 and kicked.text.count('class="done"') == 2
    assert not any(in_clan(site, m) for m in idle)

    target = next(m for m in site.h.world.roster() if m.rank == 2 and not m.special)
    banned = browser.post(
        f"{site.url}/admin/members",
        data={"_xsrf": xsrf(ask), "action": "ban", "m": target.membership_id, "confirm": "yes"},
        timeout=10,
    )
    assert 'class="done"' in banned.text and target.membership_id in site.h.sim.sim.banned
    assert not in_clan(site, target.membership_id)

    events = admin_events(site)
    actions = [(e.payload["action"], e.payload["outcome"]) for e in events]
    assert actions == [
        ("approve", "done"), ("deny", "done"), ("kick", "done"), ("kick", "done"), ("ban", "done")
    ]  # fmt: skip
    assert all(e.payload["admin"]["membershipId"] == founder.membership_id for e in events)
    listed = browser.get(f"{site.url}/admin", timeout=10)
    assert all(f'data-event="{e.id}"' in listed.text for e in events)
    idle.append(target.membership_id)

    site.h.run(2 * site.h.roster_interval, step=5)  # the next roster polls see them gone
    with site.h.db.session() as session:
        left = session.scalars(
            select(EventRow.membership_ids).where(EventRow.kind == "member_left")
        )
        gone = {m for ids in left for m in ids}
    assert set(idle) <= gone

    tokens = site.tokens_issued()
    for text in (caplog.text, home.text, away.text, kicked.text, banned.text, listed.text):
        assert all(t not in text for t in tokens) and SECRET not in text and KEY not in text


def test_bungies_refusal_is_shown_audited_and_not_retried(site: Site) -> None:
    browser, admin = signed_in_admin(site, rank=3)
    founder = site.member(5)
    roster = browser.get(f"{site.url}/roster", timeout=10)
    before = site.h.requests().get("GroupV2.KickMember", 0)
    refused = browser.post(
        f"{site.url}/admin/members",
        data={
            "_xsrf": xsrf(roster),
            "action": "kick",
            "m": founder.membership_id,
            "confirm": "yes",
        },
        timeout=10,
    )
    assert refused.status_code == 200 and 'class="refused"' in refused.text
    assert "does not permit" in refused.text  # Bungie's own message
    assert site.h.requests().get("GroupV2.KickMember", 0) == before + 1
    assert in_clan(site, founder.membership_id)
    (event,) = admin_events(site)
    assert event.payload["outcome"] == "refused" and "does not permit" in event.payload["message"]
    assert admin.membership_id in event.membership_ids


def test_anyone_but_an_admin_gets_403_and_no_csrf_token_changes_nothing(site: Site) -> None:
    assert requests.get(f"{site.url}/admin", timeout=10).status_code == 403
    member = requests.Session()
    plain = site.member(2)
    site.sign_in(plain.membership_id, member)
    page = member.get(f"{site.url}/roster", timeout=10)
    assert 'id="roster-admin"' not in page.text
    assert member.get(f"{site.url}/admin", timeout=10).status_code == 403
    victim = next(
        m for m in site.h.world.roster() if m.rank == 1 or (m.rank == 2 and m is not plain)
    )
    posted = member.post(
        f"{site.url}/admin/members",
        data={"_xsrf": xsrf(page), "action": "kick", "m": victim.membership_id, "confirm": "yes"},
        timeout=10,
    )
    assert posted.status_code == 403 and in_clan(site, victim.membership_id)

    browser, _ = signed_in_admin(site)
    forms = {"action": "kick", "m": victim.membership_id, "confirm": "yes"}
    assert browser.post(f"{site.url}/admin/members", data=forms, timeout=10).status_code == 403
    wrong = {**forms, "_xsrf": "2|00000000|" + "0" * 32 + "|1"}
    assert browser.post(f"{site.url}/admin/members", data=wrong, timeout=10).status_code == 403
    all_apps = {"action": "approve_all"}
    assert (
        browser.post(f"{site.url}/admin/applications", data=all_apps, timeout=10).status_code == 403
    )
    assert in_clan(site, victim.membership_id) and admin_events(site) == []


def test_a_demoted_admin_loses_the_controls_at_once(site: Site) -> None:
    browser, admin = signed_in_admin(site, rank=3)
    page = browser.get(f"{site.url}/roster", timeout=10)
    assert 'id="roster-admin"' in page.text
    with site.h.db.session() as session:
        session.execute(
            update(Member).where(Member.membership_id == admin.membership_id).values(rank="Member")
        )
    victim = next(m for m in site.h.world.roster() if m.rank == 2 and not m.special)
    posted = browser.post(
        f"{site.url}/admin/members",
        data={"_xsrf": xsrf(page), "action": "kick", "m": victim.membership_id, "confirm": "yes"},
        timeout=10,
    )
    assert posted.status_code == 403 and in_clan(site, victim.membership_id)
    assert browser.get(f"{site.url}/admin", timeout=10).status_code == 403


def test_an_expired_token_is_refreshed_and_a_revoked_one_signs_out(site: Site) -> None:
    browser, founder = signed_in_admin(site)
    oauth = site.h.sim.sim.oauth
    issued = oauth.issued
    with site.h.world.lock:
        oauth.expire_access_tokens(site.h.world.now)  # Bungie expires it early
    page = browser.get(f"{site.url}/admin", timeout=10)
    assert (
        page.status_code == 200
        and 'id="pending-title"' in page.text
        and "did not list" not in page.text
    )
    assert oauth.issued == issued + 1  # refreshed once, then asked again

    site.h.clock.advance(3600)  # our clock says it runs out: refreshed before asking
    page = browser.get(f"{site.url}/admin", timeout=10)
    assert page.status_code == 200 and oauth.issued == issued + 2

    with site.h.world.lock:
        oauth.revoke(founder.membership_id)
    gone = browser.get(f"{site.url}/admin", allow_redirects=False, timeout=10)
    assert gone.status_code == 302 and gone.headers["Location"] == "/signin"
    with site.h.db.session() as session:
        assert session.scalars(select(WebSession)).all() == []
