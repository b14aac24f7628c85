"""The simulated clan: steady, consistent with itself, and the same for the same seed."""

from __future__ import annotations

import json
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
import requests

from clanactors.core.clock import FakeClock
from clanactors.sim import render
from clanactors.sim.server import RunningSimulator, Simulator
from clanactors.sim.timeline import chunk_of
from clanactors.sim.world import World


def test_a_simulated_day_has_the_promised_shape() -> None:
    clock = FakeClock()
    world = World(seed=7, clock=clock)
    start = clock.now()
    online = []
    for _ in range(24 * 12):
        clock.advance(300)
        world.sync()
        online.append(len(world.online_members()))
    members = len(world.roster())
    share = sum(online) / len(online) / members
    assert 0.10 <= share <= 0.25, share
    assert max(online) / members <= 0.35
    day = [h for h in world.record if h.at >= start]
    kinds = Counter(h.kind for h in day)
    assert kinds["started"] >= 150  # several activities an hour, all day
    assert kinds["online"] >= 40
    categories = {
        world.catalog.activities[h.activity_hash].category for h in day if h.kind == "started"
    }
    assert {"raid", "dungeon", "strike", "crucible", "gambit", "patrol"} <= categories
    finished = [h for h in day if h.kind == "finished"]
    assert any(h.cleared for h in finished) and any(not h.cleared for h in finished)
    fireteams = [h for h in day if h.kind == "started" and len(h.members) > 1]
    assert len(fireteams) >= 20


def test_fireteams_are_consistent_across_members_and_pgcrs() -> None:
    clock = FakeClock()
    world = World(seed=3, clock=clock)
    plays = [p for p in world.plays.values() if len(p.members) > 1]
    assert plays, "no fireteam at the start"
    play = plays[0]
    with world.lock:
        for mid in play.members:
            member = world.members[mid]
            assert member.play_id == play.play_id
            profile = render.profile_response(world, member.membership_type, mid, {204, 1000})
            if member.private:
                continue
            party = {
                p["membershipId"] for p in profile["profileTransitoryData"]["data"]["partyMembers"]
            }
            assert party == set(play.members) | {g.membership_id for g in play.party_guests}
            activities = profile["characterActivities"]["data"]
            current = max(activities.values(), key=lambda a: a["dateActivityStarted"])
            assert current["currentActivityHash"] == play.activity.hash
    clock.advance((play.ends_at - clock.now()).total_seconds() + 1)
    world.sync()
    instance = world.instances[play.instance_id]
    entries = {e.player.membership_id for e in instance.entries}
    assert set(play.members) <= entries
    for mid in play.members:
        member = world.members[mid]
        assert any(r.instance_id == play.instance_id for c in member.characters for r in c.history)


def test_stats_grow_when_activities_finish() -> None:
    clock = FakeClock()
    world = World(seed=5, clock=clock)
    member = next(m for m in world.online_members() if m.play_id is not None)
    with world.lock:
        before = render.account_stats_response(world, member.membership_type, member.membership_id)
    play = world.play_of(member)
    clock.advance((play.ends_at - clock.now()).total_seconds() + 1)
    world.sync()
    with world.lock:
        after = render.account_stats_response(world, member.membership_type, member.membership_id)

    def seconds(stats: dict) -> float:
        return stats["mergedAllCharacters"]["merged"]["allTime"]["secondsPlayed"]["basic"]["value"]

    assert seconds(after) > seconds(before)


def test_members_join_and_leave_over_days() -> None:
    clock = FakeClock()
    world = World(seed=9, clock=clock)
    first = {m.membership_id for m in world.roster()}
    clock.advance(4 * 86400)
    world.sync()
    now = {m.membership_id for m in world.roster()}
    assert now - first, "nobody joined in four days"
    assert first - now, "nobody left in four days"
    assert len(now) <= 100


def _snapshot(sim: RunningSimulator) -> str:
    with requests.Session() as http:
        http.headers["X-API-Key"] = "k"
        base = f"{sim.url}/Platform"
        roster = http.get(f"{base}/GroupV2/{sim.clan_id}/Members/?currentpage=1", timeout=10).json()
        first = roster["Response"]["results"][3]["destinyUserInfo"]
        profile = http.get(
            f"{base}/Destiny2/{first['membershipType']}/Profile/{first['membershipId']}/"
            "?components=100,200,204,1000",
            timeout=10,
        ).json()
    return json.dumps([roster, profile], sort_keys=True)


def test_the_same_seed_gives_the_same_world() -> None:
    answers = []
    for _ in range(2):
        clock = FakeClock()
        sim = RunningSimulator(Simulator(seed=42, clock=clock)).start()
        try:
            clock.advance(3600)
            answers.append(_snapshot(sim))
        finally:
            sim.stop()
    assert answers[0] == answers[1]
    other = FakeClock()
    sim = RunningSimulator(Simulator(seed=43, clock=other)).start()
    try:
        other.advance(3600)
        assert _snapshot(sim) != answers[0]
    finally:
        sim.stop()


def test_pgcrs_can_be_published_late(clock: FakeClock) -> None:
    sim = RunningSimulator(Simulator(seed=7, clock=clock, pgcr_delay=timedelta(minutes=5))).start()
    try:
        play = next(iter(sim.world.plays.values()))
        clock.advance((play.ends_at - clock.now()).total_seconds() + 1)
        url = f"{sim.url}/Platform/Destiny2/Stats/PostGameCarnageReport/{play.instance_id}/"
        early = requests.get(url, headers={"X-API-Key": "k"}, timeout=10)
        assert (early.status_code, early.json()["ErrorCode"]) == (404, 1653)
        clock.advance(300)
        late = requests.get(url, headers={"X-API-Key": "k"}, timeout=10)
        assert late.json()["ErrorCode"] == 1
    finally:
        sim.stop()


def test_the_past_is_the_day_any_world_plays() -> None:
    """A day the archive plays (before the world's first day) holds the same rows, with
    the same values, as a world that began earlier and played it live."""
    from clanactors.sim.archive import Archive

    start = datetime(2026, 11, 3, 18, tzinfo=UTC)
    world = World(seed=7, clock=FakeClock(start))
    archive = Archive(world, 1, private_members=3, hostile_names=False).start()
    try:
        assert archive.wait_for(archive.oldest, 60)
        earlier = World(seed=7, clock=FakeClock(start), warmup=timedelta(days=3))
        compared = 0
        for member in earlier.members.values():
            for character in member.characters:
                live = {
                    r.instance_id: r
                    for r in character.history
                    if chunk_of(r.period) == archive.oldest
                }
                past = {r.instance_id: r for r in archive.rows(character.character_id, 0)}
                assert set(past) == set(live), character.character_id
                for instance_id, row in past.items():
                    assert row.period == live[instance_id].period
                    assert row.activity_hash == live[instance_id].activity_hash
                    for key, value in row.values.items():
                        assert value == pytest.approx(live[instance_id].values[key]), key
                    compared += 1
        assert compared > 100
    finally:
        archive.stop()
