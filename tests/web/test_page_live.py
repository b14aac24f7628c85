"""The live page in real Chromium: updates in place keep focus, timers follow the server's
clock, and a fresh start shows loading states rather than zeros or "in orbit"."""

from __future__ import annotations

import os
import re
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from clanactors.actors.messages import Record
from clanactors.bungie.models import RosterMember
from clanactors.domain import events
from clanactors.domain.events import ActivityRef
from clanactors.domain.snapshot import ClanInfo, ClanTotals, MemberCard, RecentActivity, Snapshot
from clanactors.domain.stats import StatsRecord
from clanactors.testing.web import WebServer
from tests.conftest import IN_CI
from tests.web.conftest import CHROMIUM, Live, publish

pytestmark = pytest.mark.browser

if not os.path.exists(CHROMIUM) and not IN_CI:
    pytest.skip(f"Chromium not installed at {CHROMIUM}", allow_module_level=True)

from playwright.sync_api import Page, expect  # noqa: E402

# Marks an element, then tells whether it is still the focused one and in the page.
MARK = "el => { el.__mark = true; el.focus(); }"
STILL_FOCUSED = (
    "() => Boolean(document.activeElement && document.activeElement.__mark"
    " && document.activeElement.isConnected)"
)


def count_patches(page: Page) -> list[int]:
    patches: list[int] = []

    def on_socket(ws: Any) -> None:
        ws.on(
            "framereceived",
            lambda payload: patches.append(1) if '"type": "patch"' in str(payload) else None,
        )

    page.on("websocket", on_socket)
    return patches


@pytest.mark.parametrize("target", ["#recent a.recent-item", "#offline a.name"])
def test_focus_survives_ten_seconds_of_live_updates(
    web_only: WebServer, page: Page, target: str
) -> None:
    snapshot = first_roster(online=4, offline=8, with_stats=12)
    recent = tuple(
        RecentActivity(str(900 + i), PROPHECY, NOW - timedelta(hours=i + 1), 1800, True, ())
        for i in range(3)
    )
    snapshot = replace(snapshot, recent=recent)
    publish(web_only, snapshot)
    patches = count_patches(page)
    page.goto(web_only.url)
    page.wait_for_timeout(1500)  # connected, first snapshot applied
    page.locator("#offline-box > summary").click()  # offline members: behind their count
    page.locator(target).first.evaluate(MARK)
    assert page.evaluate(STILL_FOCUSED)
    # Ten seconds of a busy clan, a change every half second: stats move, members come
    # online and go offline (the offline list reorders around the focused member), two
    # activities finish (the recent list gains entries above the focused one).
    focused_offline = snapshot.members[4].membership_id
    for step in range(1, 21):
        members = list(snapshot.members)
        i = 5 + step % 7  # never the focused offline member
        card = members[i]
        went = replace(
            card.member,
            is_online=not card.member.is_online,
            last_online_change=NOW + timedelta(seconds=step),
        )
        members[i] = replace(card, member=went, known=True)
        assert members[i].membership_id != focused_offline
        recent = snapshot.recent
        if step in (6, 12):
            finished = RecentActivity(
                str(1000 + step), PROPHECY, NOW + timedelta(seconds=step), 900, True, ()
            )
            recent = (finished, *recent)[:3]
        records = {c.membership_id: c.stats for c in members if c.stats}
        snapshot = replace(
            snapshot,
            members=tuple(members),
            recent=recent,
            stats=ClanTotals.of(list(records), records, set(), NOW + timedelta(seconds=step)),  # type: ignore[arg-type]
            version=snapshot.version + 1,
        )
        publish(web_only, snapshot)
        time.sleep(0.5)
    page.wait_for_timeout(1500)
    assert len(patches) >= 8, "the page saw too few live updates"
    assert page.evaluate(STILL_FOCUSED), "focus fell off the link"
    assert page.errors == []  # type: ignore[attr-defined]


def seconds_shown(text: str) -> int:
    parts = [int(p) for p in text.strip().split(":")]
    return parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)


def test_timers_follow_the_server_clock_when_the_browser_is_five_minutes_off(
    live: Live, page: Page
) -> None:
    page.add_init_script("{ const now = Date.now; Date.now = () => now() + 5 * 60 * 1000; }")
    page.goto(live.web.url)
    page.wait_for_timeout(2500)  # a tick after the WebSocket's first serverTime
    timer = page.locator("[data-since]:not([data-since=''])").first
    since = datetime.fromisoformat(timer.get_attribute("data-since").replace("Z", "+00:00"))
    shown = seconds_shown(timer.inner_text())
    expected = (datetime.now(UTC) - since).total_seconds()
    assert abs(shown - expected) <= 3, (timer.inner_text(), expected)


# ------------------------------------------------------------------ a fresh start


NOW = datetime.now(UTC).replace(microsecond=0)
PROPHECY = ActivityRef(1077850348, "Prophecy", 82)


def first_roster(online: int, offline: int, with_stats: int) -> Snapshot:
    """The view right after the first roster poll: nobody's profile read yet, a few
    members' stats in."""
    now = NOW
    cards = []
    for i in range(online + offline):
        member = RosterMember(
            str(4611686018500000000 + i), 3, f"Member {i}", f"Member {i}#{i:04d}", "Member",
            now - timedelta(days=30), i < online, now - timedelta(hours=i), True,
        )  # fmt: skip
        record = StatsRecord(member.membership_id, 5000, 900, 40, 3, 7200, now)
        cards.append(MemberCard(member, None, False, False, record if i < with_stats else None))
    stats = {c.membership_id: c.stats for c in cards if c.stats}
    return Snapshot(
        clan=ClanInfo("4471", "Blades", "", len(cards)),
        members=tuple(cards),
        fireteams=(),
        stats=ClanTotals.of([c.membership_id for c in cards], stats, set(), now),  # type: ignore[arg-type]
        recent=(),
        synced_at=now,
        version=1,
    )


def test_first_paint_on_a_fresh_database_says_what_is_loading(
    web_only: WebServer, page: Page
) -> None:
    # Before the first roster poll: nothing is known yet, and the page says so.
    page.goto(web_only.url)
    assert page.locator("#roster-loading").is_visible()
    assert page.locator("#nobody").is_hidden()
    assert set(page.locator("#stats dd").all_inner_texts()) == {"loading"}

    snapshot = first_roster(online=3, offline=4, with_stats=2)
    publish(web_only, snapshot)
    # The front page is built once a second: the next second's build shows this state.
    time.sleep(1.01 - time.time() % 1)
    for javascript in (False, True):
        if javascript:
            page.goto(web_only.url)
            page.wait_for_timeout(1500)  # the WebSocket's snapshot applied
        else:
            context = page.context.browser.new_context(java_script_enabled=False)  # type: ignore[union-attr]
            nojs = context.new_page()
            nojs.goto(web_only.url)
        view = page if javascript else nojs
        idle = view.locator("#idle .activity").all_inner_texts()
        assert idle == ["checking…"] * 3, idle
        assert "in orbit" not in view.locator("body").inner_text()
        tiles = view.locator("#stats dd").all_inner_texts()
        assert tiles == ["loading (2/7 members)"] * len(tiles), tiles
        assert not any(re.fullmatch(r"[0-9,.]+", t) for t in tiles)
        assert view.locator("#recent-empty").is_visible()
        assert view.locator("#feed-empty").is_visible()
        assert view.locator("#roster-loading").is_hidden()
        if not javascript:
            context.close()

    # Profiles read and every member's stats in: the real words and totals, live.
    known = replace(
        snapshot,
        members=tuple(
            replace(c, known=True, stats=c.stats or snapshot.members[0].stats)
            for c in snapshot.members
        ),
        version=2,
    )
    records = {c.membership_id: c.stats for c in known.members if c.stats}
    known = replace(
        known,
        stats=ClanTotals.of(list(records), records, set(), snapshot.synced_at),  # type: ignore[arg-type]
    )
    publish(web_only, known)
    expect(page.locator("#idle .activity").first).to_have_text("in orbit")
    expect(page.locator('#stats dd[data-stat="kills"]')).to_have_text("35,000")
    expect(page.locator('#stats dd[data-stat="kd"]')).to_have_text(f"{5000 / 900:.2f}")
    assert page.errors == []  # type: ignore[attr-defined]


def test_online_and_offline_events_show_only_when_asked(live: Live, page: Page) -> None:
    member = live.h.world.roster()[0]
    live.h.system.ctx.peers.feed.tell(
        Record(events.member_online(member.membership_id, member.name, datetime.now(UTC)))
    )
    live.h.settle()
    page.goto(live.web.url)
    presence = page.locator("#feed .event.kind-member_online, #feed .event.kind-member_offline")
    assert presence.count() >= 1
    expect(presence.first).to_be_hidden()
    page.locator("#show-presence").check()
    expect(presence.first).to_be_visible()
    news = page.locator("#feed .event:not(.kind-member_online):not(.kind-member_offline)")
    empty = expect(page.locator("#feed-empty"))
    empty.to_be_hidden() if news.count() else empty.to_be_visible()
