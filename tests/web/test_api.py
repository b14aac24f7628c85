"""Every endpoint of the JSON API (docs/api.md, "HTTP API") against a real Tornado server
fed by the real actors."""

from __future__ import annotations

import re

import requests

from tests.web.conftest import Live

ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ")
MEMBER_KEYS = {
    "membershipId",
    "membershipType",
    "displayName",
    "bungieName",
    "rank",
    "joinedAt",
    "isOnline",
    "lastOnlineAt",
    "currentActivity",
    "stats",
}
RANKS = {"Beginner", "Member", "Admin", "ActingFounder", "Founder"}


def get(live: Live, path: str, status: int = 200) -> object:
    response = requests.get(f"{live.web.url}{path}", timeout=10)
    assert response.status_code == status, (path, response.text[:300])
    assert response.headers["Content-Type"] == "application/json; charset=utf-8"
    return response.json()


def check_member(member: dict) -> None:
    assert set(member) >= MEMBER_KEYS
    assert isinstance(member["membershipId"], str) and member["membershipId"].isdigit()
    assert isinstance(member["membershipType"], int)
    assert member["rank"] in RANKS
    assert member["joinedAt"] is None or ISO.fullmatch(member["joinedAt"])
    activity = member["currentActivity"]
    if activity is not None:
        assert set(activity) == {"hash", "name", "mode", "startedAt", "fireteamId"}
        assert isinstance(activity["hash"], int) and activity["hash"] >= 0
        assert ISO.fullmatch(activity["startedAt"])
    if member["stats"] is not None:
        assert {"kills", "deaths", "activitiesCleared", "timePlayedSeconds", "raidClears"} <= set(
            member["stats"]
        )


def test_clan_members_fireteams_and_stats(live: Live) -> None:
    clan = get(live, "/api/clan")
    assert set(clan) == {"id", "name", "motto", "memberCount"}
    assert clan["id"] == live.h.sim.clan_id and clan["name"] == "Lighthouse Keepers"

    members = get(live, "/api/members")
    assert set(members) == {"online", "offline", "updatedAt"}
    assert ISO.fullmatch(members["updatedAt"])
    everyone = members["online"] + members["offline"]
    assert len(everyone) == clan["memberCount"] == len(live.h.world.roster())
    for member in everyone:
        check_member(member)
    assert all(m["isOnline"] for m in members["online"])
    assert not any(m["isOnline"] for m in members["offline"])
    assert {m["membershipId"] for m in members["online"]} == {
        m.membership_id for m in live.h.world.online_members()
    }
    starts = [m["currentActivity"]["startedAt"] for m in members["online"] if m["currentActivity"]]
    assert starts == sorted(starts)
    assert all(
        re.fullmatch(r".+#\d{4}", m["bungieName"]) or "#" not in m["bungieName"] for m in everyone
    )

    fireteams = get(live, "/api/fireteams")
    online_ids = {m["membershipId"] for m in members["online"]}
    for fireteam in fireteams:
        assert set(fireteam) == {"id", "activity", "startedAt", "members", "guests"}
        assert set(fireteam["activity"]) == {"hash", "name", "mode"}
        assert set(fireteam["members"]) <= online_ids
        assert len(fireteam["members"]) + fireteam["guests"] >= 2

    stats = get(live, "/api/stats")
    assert set(stats) == {
        "members",
        "kills",
        "deaths",
        "activitiesCleared",
        "raidClears",
        "timePlayedSeconds",
        "updatedAt",
        "membersCounted",
    }
    assert stats["members"] == clan["memberCount"]
    with_stats = [m["stats"] for m in everyone if m["stats"]]
    assert stats["kills"] == sum(s["kills"] for s in with_stats)
    assert stats["membersCounted"] >= len(with_stats)


def test_member_detail_recent_activities_and_pgcr(live: Live) -> None:
    h = live.h
    pair = [m.membership_id for m in h.world.idle_members(2)]
    play = h.world.script_play(pair, 1077850348, minutes=3, cleared=True)
    h.run_until(
        lambda: any(
            r["instanceId"] == play.instance_id for r in get(live, "/api/activities/recent")
        ),
        limit=600,
    )

    recent = get(live, "/api/activities/recent")
    assert 1 <= len(recent) <= 3
    assert len({r["instanceId"] for r in recent}) == len(recent)
    assert [r["period"] for r in recent] == sorted((r["period"] for r in recent), reverse=True)
    mine = next(r for r in recent if r["instanceId"] == play.instance_id)
    assert set(mine) == {
        "instanceId",
        "activity",
        "period",
        "durationSeconds",
        "completed",
        "members",
    }
    assert sorted(mine["members"]) == sorted(pair) and mine["completed"] is True

    report = get(live, f"/api/activities/{play.instance_id}")
    assert report["instanceId"] == play.instance_id
    assert report["activity"]["name"] == "Prophecy"
    entry_keys = {
        "membershipId",
        "displayName",
        "characterClass",
        "kills",
        "deaths",
        "assists",
        "completed",
        "timePlayedSeconds",
        "isClanMember",
    }
    for entry in report["entries"]:
        assert entry_keys <= set(entry)
    assert {e["membershipId"] for e in report["entries"] if e["isClanMember"]} == set(pair)

    detail = get(live, f"/api/members/{pair[0]}")
    check_member(detail)
    assert detail["recentActivities"][0]["instanceId"] == play.instance_id
    assert len(detail["recentActivities"]) <= 10


def test_errors_are_json_with_the_right_status(live: Live) -> None:
    assert "error" in get(live, "/api/members/4611686018000000001", 404)
    assert "error" in get(live, "/api/members/not-a-number", 404)  # no such id can exist
    assert "error" in get(live, "/api/activities/1", 404)
    assert "error" in get(live, "/api/activities/x1", 404)
    assert "error" in get(live, "/api/feed?limit=0", 400)
    assert "error" in get(live, "/api/feed?limit=501", 400)
    assert "error" in get(live, "/api/feed?after=yesterday", 400)
    assert "error" in get(live, "/api/nothing-here", 404)
    page = requests.get(f"{live.web.url}/members/4611686018000000001", timeout=10)
    assert page.status_code == 404 and "text/html" in page.headers["Content-Type"]
    assert "Traceback" not in page.text


def test_feed_pages_oldest_first(live: Live) -> None:
    h = live.h
    for _ in range(3):
        h.world.script_join()
    h.run(60)
    everything = get(live, "/api/feed?limit=500")["events"]
    assert len(everything) >= 3
    ids = [e["id"] for e in everything]
    assert ids == sorted(ids)
    first_two = get(live, "/api/feed?limit=2")["events"]
    assert [e["id"] for e in first_two] == ids[:2]
    after = get(live, f"/api/feed?after={ids[0]}&limit=500")["events"]
    assert [e["id"] for e in after] == ids[1:]
    event = everything[-1]
    assert set(event) == {"id", "kind", "occurredAt", "members", "activity", "instanceId", "text"}


def test_healthz(live: Live) -> None:
    health = get(live, "/healthz")
    assert health == {
        "status": "ok",
        "reasons": [],
        "bungie": "ok",
        "database": "ok",
        "lastRosterSync": health["lastRosterSync"],
        "recording": {"backlog": health["recording"]["backlog"], "lagSeconds": 0.0},
        "presence": {"slowed": False, "waitSeconds": health["presence"]["waitSeconds"]},
        "actors": {"restarts": 0, "down": []},
        "history": {"membersDone": health["history"]["membersDone"], "membersTotal": 100},
        "polling": {"active": True, "reason": None},
    }
    assert ISO.fullmatch(health["lastRosterSync"])
    # Two minutes in, the history of members from before the install is being read.
    assert 0 < health["history"]["membersDone"] <= 100
    live.h.sim.faults.set(maintenance=True)
    live.h.run(150)
    health = get(live, "/healthz")
    assert (health["status"], health["bungie"]) == ("degraded", "maintenance")


def test_malformed_paths_are_4xx_never_500(live: Live) -> None:
    for path in (
        "/static/%00",
        "/static/app.js%00.png",
        "/static/%ff%fe",
        "/members/%00",
        "/activities/%00",
        "/api/members/%00",
        "/api/activities/%ff",
        "/%00",
    ):
        answer = requests.get(live.web.url + path, timeout=10)
        assert 400 <= answer.status_code < 500, (path, answer.status_code)


def test_healthz_tells_of_restarts_and_a_stale_roster(live: Live) -> None:
    health = live.h.system.ctx.health
    health.actor_failed("recorder", "recorder")
    answer = get(live, "/healthz")
    assert answer["status"] == "degraded" and answer["actors"]["down"] == ["recorder"]
    assert answer["actors"]["restarts"] == 1
    health.actor_back("recorder")
    assert get(live, "/healthz")["status"] == "ok"
    live.h.sim.faults.set(maintenance=True)  # no roster for three intervals and more
    live.h.run(4 * live.h.roster_interval)
    answer = get(live, "/healthz")
    assert "roster stale" in answer["reasons"], answer
