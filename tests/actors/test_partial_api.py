"""A Bungie stand-in that lacks an endpoint the app could do without: degrade, not stall."""

from __future__ import annotations

import pytest

from clanactors.bungie.client import BungieClient
from clanactors.bungie.errors import NotFoundError
from tests.actors.harness import Harness


def _missing(*args: object, **kwargs: object) -> None:
    raise NotFoundError("HTTP 404 without a Bungie envelope", path="/missing/")


def test_no_group_endpoint_still_syncs_the_roster(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(BungieClient, "get_group", _missing)
    harness.start()
    harness.run(60)
    snapshot = harness.system.snapshot()
    assert snapshot.clan["memberCount"] == len(harness.world.roster())
    assert snapshot.clan["name"] == ""  # nothing to show, nothing invented
    assert len(snapshot.members["online"]) == len(harness.world.online_members())


def test_no_raid_stats_endpoint_still_stores_account_stats(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(BungieClient, "get_raid_clears", _missing)
    harness.start()
    harness.run(200, step=1)
    snapshot = harness.system.snapshot()
    with_stats = [
        m
        for m in snapshot.members["online"] + snapshot.members["offline"]
        if m["stats"] is not None
    ]
    assert len(with_stats) >= len(harness.world.roster()) // 2
    assert all(m["stats"]["raidClears"] == 0 and m["stats"]["kills"] > 0 for m in with_stats)
