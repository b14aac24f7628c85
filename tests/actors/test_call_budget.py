"""Bungie calls per endpoint stay within what the design needs, by the simulator's count."""

from __future__ import annotations

import math

from tests.actors.harness import Harness


def test_steady_state_calls_are_near_the_minimum(harness: Harness) -> None:
    h = harness
    h.start()
    # Start-up: first sync, then history backfill and stats for everyone, one member a tick.
    h.run(250, step=1)
    h.run(300, step=10)
    start_requests = h.requests()
    start_time = h.clock.now()
    online_seconds = 0.0
    window = 1800.0
    step = 10.0
    elapsed = 0.0
    while elapsed < window:
        h.run(step, step)
        elapsed += step
        online_seconds += len(h.world.online_members()) * step
    used = h.requests() - start_requests
    record = [x for x in h.world.record if x.at >= start_time]
    sessions = sum(1 for x in record if x.kind == "online")
    logouts = sum(1 for x in record if x.kind == "offline")
    finished = [x for x in record if x.kind == "finished"]

    pages = math.ceil(len(h.world.roster()) / 50)
    assert used["GroupV2.GetMembersOfGroup"] <= (window / h.roster_interval + 1) * pages
    minimum_profiles = online_seconds / h.profile_interval
    assert used["Destiny2.GetProfile"] <= 1.2 * minimum_profiles + sessions
    # One history read per finished fireteam activity, plus one per logout.
    assert used["Destiny2.GetActivityHistory"] <= len(finished) + logouts + 5
    assert used["Destiny2.GetPostGameCarnageReport"] <= len(finished) + 3

    paths = h.paths()
    fetched_twice = {
        p: n
        for p, n in paths.items()
        if ("PostGameCarnageReport" in p or "/Manifest/Destiny" in p) and n > 1
    }
    assert fetched_twice == {}
