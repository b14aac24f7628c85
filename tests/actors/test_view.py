"""The view actor says what it does not know: online members are "checking" until their
profile is read, totals count whom they cover, and a private profile stays marked after
its owner goes offline."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from clanactors.actors.messages import ViewPresence, ViewRoster, ViewStats
from clanactors.bungie.models import RosterMember
from clanactors.domain.stats import StatsRecord
from tests.actors.harness import Harness

T0 = datetime(2026, 11, 24, 18, 0, tzinfo=UTC)


def person(i: int, online: bool) -> RosterMember:
    return RosterMember(
        str(4611686018600000000 + i), 3, f"P{i}", f"P{i}#{i:04d}", "Member",
        T0 - timedelta(days=9), online, T0 - timedelta(hours=i), True,
    )  # fmt: skip


def test_the_view_says_what_it_does_not_know(harness: Harness) -> None:
    h = harness
    system = h.start()
    h.settle()
    view = system.ctx.peers.view
    alice, bob = person(1, online=True), person(2, online=False)

    def tell(message: object) -> dict:
        view.tell(message)
        h.settle()
        return system.snapshot().parts()

    state = tell(ViewRoster(None, (alice, bob), T0))
    [online] = state["members"]["online"]
    assert online["membershipId"] == alice.membership_id
    assert online["checking"] is True and online["currentActivity"] is None
    assert state["stats"]["membersCounted"] == 0 and state["stats"]["members"] == 2

    state = tell(ViewPresence(alice.membership_id, None, None, None, private=True))
    [online] = state["members"]["online"]
    assert online["checking"] is False and online["isPrivate"] is True

    # Offline now: no longer "checking", still marked private; back online, unknown again.
    gone = replace(alice, is_online=False, last_online_change=T0)
    tell(ViewPresence(alice.membership_id, None, None, None, False, known=False))
    state = tell(ViewRoster(None, (gone, bob), T0 + timedelta(minutes=1)))
    offline = {m["membershipId"]: m for m in state["members"]["offline"]}
    assert offline[alice.membership_id]["isPrivate"] is True
    assert offline[alice.membership_id]["checking"] is False
    assert offline[bob.membership_id]["isPrivate"] is False
    state = tell(ViewRoster(None, (alice, bob), T0 + timedelta(minutes=2)))
    assert state["members"]["online"][0]["checking"] is True

    # Totals cover the members whose stats are in, or known to be unavailable.
    record = StatsRecord(bob.membership_id, 100, 50, 3, 1, 3600, T0)
    state = tell(ViewStats({bob.membership_id: record}))
    assert (state["stats"]["membersCounted"], state["stats"]["kills"]) == (1, 100)
    state = tell(ViewStats({}, frozenset({alice.membership_id})))
    assert (state["stats"]["membersCounted"], state["stats"]["kills"]) == (2, 100)


def test_the_view_forgets_the_stats_of_members_who_left(harness: Harness) -> None:
    """What the view keeps is bounded by the clan: a member who left is dropped from its
    stats (a week's soak showed one more StatsRecord a day otherwise)."""
    h = harness
    system = h.start()
    h.settle()
    view = system.ctx.peers.view
    assert view.ref is not None
    alice, bob = person(1, online=False), person(2, online=False)
    view.tell(ViewRoster(None, (alice, bob), T0))
    view.tell(
        ViewStats(
            {
                p.membership_id: StatsRecord(p.membership_id, 1, 1, 1, 0, 60, T0)
                for p in (alice, bob)
            },
            frozenset({"4611686018600000009"}),
        )
    )
    view.tell(ViewRoster(None, (alice,), T0 + timedelta(minutes=1)))  # bob left
    h.settle()
    proxy = view.ref.proxy()
    assert set(proxy.stats.get()) == {alice.membership_id}
    assert proxy.no_stats.get() == set()
