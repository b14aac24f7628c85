"""Walk the simulated API the way the app does and hold every answer to the official spec."""

from __future__ import annotations

from typing import Any

import requests

from clanactors.bungie import models
from clanactors.bungie.client import BungieClient
from clanactors.core.clock import FakeClock
from clanactors.sim.server import RunningSimulator
from tests.sim.spec_check import check, response_schema


def get(http: requests.Session, sim: RunningSimulator, path: str, **params: Any) -> dict:
    response = http.get(f"{sim.url}/Platform{path}", params=params, timeout=10)
    body = response.json()
    assert body["ErrorCode"] == 1, body
    return body


def assert_spec(body: dict, template: str, response: str | None = None) -> None:
    """`body` matches the spec path's 200 schema; `response` names a more specific schema
    for the payload (the entity endpoint is typed as the generic DestinyDefinition)."""
    errors = check(body, response_schema(template))
    if response is not None:
        errors = [e for e in errors if not e.startswith("$.Response")]
        errors += check(body["Response"], {"$ref": f"#/components/schemas/{response}"})
    assert not errors, "\n".join(errors[:20])


def test_walk_roster_profile_history_pgcr_stats_definition(
    sim: RunningSimulator, http: requests.Session, clock: FakeClock
) -> None:
    clan = http.get(f"{sim.url}/sim/clan", timeout=10).json()
    group_id = clan["groupId"]

    body = get(http, sim, f"/GroupV2/{group_id}/")
    assert_spec(body, "/GroupV2/{groupId}/")
    assert body["Response"]["detail"]["name"] == clan["name"]

    roster: list[dict] = []
    page = 1
    while True:
        body = get(http, sim, f"/GroupV2/{group_id}/Members/", currentpage=page)
        assert_spec(body, "/GroupV2/{groupId}/Members/")
        roster += body["Response"]["results"]
        if not body["Response"]["hasMore"]:
            break
        page += 1
    assert page == 2  # 100 members, 50 a page
    assert 90 <= len(roster) <= 100

    world = sim.world
    busy = next(
        m
        for m in world.online_members()
        if m.play_id is not None
        and not m.private
        and world.play_of(m).activity.category in ("raid", "dungeon", "crucible", "strike")
        and len(world.play_of(m).members) > 1
    )
    body = get(
        http,
        sim,
        f"/Destiny2/{busy.membership_type}/Profile/{busy.membership_id}/",
        components="100,200,204,1000",
    )
    assert_spec(body, "/Destiny2/{membershipType}/Profile/{destinyMembershipId}/")
    state = models.parse_profile(body["Response"], busy.membership_id, busy.membership_type)
    play = world.play_of(busy)
    assert state.activity is not None and state.activity.activity_hash == play.activity.hash
    assert {p.membership_id for p in state.transitory.party} >= set(play.members)

    # Let the activity finish, then read it back everywhere.
    clock.advance((play.ends_at - clock.now()).total_seconds() + 1)
    character = busy.character
    body = get(
        http,
        sim,
        f"/Destiny2/{busy.membership_type}/Account/{busy.membership_id}/Character/"
        f"{character.character_id}/Stats/Activities/",
        count=5,
        mode=0,
        page=0,
    )
    assert_spec(
        body,
        "/Destiny2/{membershipType}/Account/{destinyMembershipId}/Character/"
        "{characterId}/Stats/Activities/",
    )
    newest = models.parse_history(body["Response"])[0]
    assert newest.instance_id == play.instance_id

    body = get(http, sim, f"/Destiny2/Stats/PostGameCarnageReport/{play.instance_id}/")
    assert_spec(body, "/Destiny2/Stats/PostGameCarnageReport/{activityId}/")
    pgcr = models.parse_pgcr(body["Response"])
    assert {p.membership_id for p in pgcr.players()} >= set(play.members)
    assert pgcr.activity_hash == play.activity.hash

    body = get(
        http, sim, f"/Destiny2/{busy.membership_type}/Account/{busy.membership_id}/Stats/", groups=1
    )
    assert_spec(body, "/Destiny2/{membershipType}/Account/{destinyMembershipId}/Stats/")
    assert models.parse_account_stats(body["Response"]).kills > 0

    body = get(
        http,
        sim,
        f"/Destiny2/{busy.membership_type}/Account/{busy.membership_id}/Character/0/Stats/",
        groups=1,
        modes=4,
        periodType=2,
    )
    assert_spec(
        body,
        "/Destiny2/{membershipType}/Account/{destinyMembershipId}/Character/{characterId}/Stats/",
    )

    body = get(http, sim, f"/Destiny2/Manifest/DestinyActivityDefinition/{play.activity.hash}/")
    assert_spec(
        body,
        "/Destiny2/Manifest/{entityType}/{hashIdentifier}/",
        "Destiny.Definitions.DestinyActivityDefinition",
    )
    assert models.parse_activity_definition(body["Response"]).name == play.activity.name

    mode_hash = play.activity.mode_hash
    body = get(http, sim, f"/Destiny2/Manifest/DestinyActivityModeDefinition/{mode_hash}/")
    assert_spec(
        body,
        "/Destiny2/Manifest/{entityType}/{hashIdentifier}/",
        "Destiny.Definitions.DestinyActivityModeDefinition",
    )

    body = get(http, sim, "/Destiny2/Manifest/")
    assert_spec(body, "/Destiny2/Manifest/")


def test_private_and_offline_profiles_match_the_spec(
    sim: RunningSimulator, http: requests.Session
) -> None:
    world = sim.world
    private = next(m for m in world.roster() if m.private)
    body = get(
        http,
        sim,
        f"/Destiny2/{private.membership_type}/Profile/{private.membership_id}/",
        components="100,200,204,1000",
    )
    assert_spec(body, "/Destiny2/{membershipType}/Profile/{destinyMembershipId}/")
    assert "data" not in body["Response"]["characterActivities"]
    state = models.parse_profile(body["Response"], private.membership_id, 0)
    assert state.activities_private and state.transitory_private

    response = http.get(
        f"{sim.url}/Platform/Destiny2/{private.membership_type}/Account/{private.membership_id}"
        f"/Character/{private.characters[0].character_id}/Stats/Activities/",
        timeout=10,
    )
    assert response.json()["ErrorCode"] == 1665

    offline = next(m for m in world.roster() if not m.online)
    body = get(
        http,
        sim,
        f"/Destiny2/{offline.membership_type}/Profile/{offline.membership_id}/",
        components="Profiles,Characters,CharacterActivities",
    )
    assert_spec(body, "/Destiny2/{membershipType}/Profile/{destinyMembershipId}/")
    assert "profileTransitoryData" not in body["Response"]


def test_errors_use_the_real_envelope_and_codes(
    sim: RunningSimulator, http: requests.Session
) -> None:
    member = sim.world.roster()[0]
    cases = [
        (
            f"/Destiny2/{member.membership_type}/Profile/{member.membership_id}/?components=babydog",
            7,
            500,
        ),
        ("/Destiny2/Stats/PostGameCarnageReport/1/", 1653, 404),
        ("/GroupV2/1/", 686, 200),
        (
            f"/Destiny2/{member.membership_type}/Profile/4611686018000000001/?components=100",
            1601,
            200,
        ),
        ("/Destiny2/Manifest/DestinyActivityDefinition/12345/", 21, 200),
    ]
    for path, code, status in cases:
        response = http.get(f"{sim.url}/Platform{path}", timeout=10)
        body = response.json()
        assert (body["ErrorCode"], response.status_code) == (code, status), path
        assert_spec(body, "/GroupV2/{groupId}/")

    no_key = requests.get(f"{sim.url}/Platform/GroupV2/{sim.clan_id}/", timeout=10)
    assert no_key.json()["ErrorCode"] == 2102
    empty_key = requests.get(
        f"{sim.url}/Platform/GroupV2/{sim.clan_id}/", headers={"X-API-Key": ""}, timeout=10
    )
    assert empty_key.json()["ErrorCode"] == 2102


def test_the_real_client_reads_the_whole_clan(sim: RunningSimulator) -> None:
    client = BungieClient(
        "k", api_root=f"{sim.url}/Platform", stats_root=f"{sim.url}/Platform", max_rps=1000
    )
    try:
        group = client.get_group(sim.clan_id)
        roster = client.get_roster(sim.clan_id)
        assert group.member_count == len(roster)
        assert len({m.membership_id for m in roster}) == len(roster)
        names = {m.bungie_name for m in roster}
        assert any("<b>Bold</b>" in n for n in names)
        assert any(any(ord(c) > 0x1F000 for c in n) for n in names)  # emoji
        online = [m for m in roster if m.is_online]
        assert len(online) == len(sim.world.online_members())
        for member in online:
            state = client.get_profile(member.membership_type, member.membership_id)
            if state.activities_private:
                continue
            assert state.appears_online
    finally:
        client.close()
    stats = requests.get(f"{sim.url}/sim/stats", timeout=10).json()
    assert stats["requests"]["GroupV2.GetMembersOfGroup"] == 2
    assert stats["requests"]["Destiny2.GetProfile"] == len(online)
