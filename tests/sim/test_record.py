"""/sim/record: the world's own record of what happened, the truth a harness compares an
event log with."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import requests

from clanactors.core.clock import FakeClock
from clanactors.sim.server import RunningSimulator
from clanactors.sim.world import KINDS

VAULT_OF_GLASS = 3881495763


def iso(sim: RunningSimulator, delta: timedelta = timedelta(0)) -> str:
    return (sim.world.now + delta).strftime("%Y-%m-%dT%H:%M:%SZ")


def record(sim: RunningSimulator, **params: Any) -> dict[str, Any]:
    response = requests.get(f"{sim.url}/sim/record", params=params, timeout=10)
    assert response.status_code == 200, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def histories(http: requests.Session, sim: RunningSimulator, mid: str) -> dict[str, dict]:
    """A member's history rows over all characters, by instanceId."""
    member = sim.world.members[mid]
    base = f"{sim.url}/Platform/Destiny2/{member.membership_type}"
    profile = http.get(f"{base}/Profile/{mid}/?components=100", timeout=10).json()
    rows: dict[str, dict] = {}
    for character in profile["Response"]["profile"]["data"]["characterIds"]:
        url = f"{base}/Account/{mid}/Character/{character}/Stats/Activities/?count=250"
        body = http.get(url, timeout=10).json()
        for row in (body.get("Response") or {}).get("activities", []):
            rows[row["activityDetails"]["instanceId"]] = row
    return rows


def test_record_shape_and_members(sim: RunningSimulator, clock: FakeClock) -> None:
    body = record(sim)
    assert set(body) == {"record", "private", "now"}
    assert body["now"] == iso(sim)
    roster = {m.membership_id for m in sim.world.roster()}
    assert len(body["private"]) == 3 and set(body["private"]) <= roster
    assert {m.membership_id for m in sim.world.roster() if m.private} == set(body["private"])
    happenings = body["record"]
    assert {h["kind"] for h in happenings} <= KINDS
    assert {"started", "finished", "online", "offline"} <= {h["kind"] for h in happenings}
    assert [h["at"] for h in happenings] == sorted(h["at"] for h in happenings)
    guests = {g.membership_id for g in sim.world.guests}
    for h in happenings:
        assert set(h) == {"at", "kind", "members", "activityHash", "instanceId", "cleared"}
        assert h["at"].endswith("Z") and h["members"]
        assert not set(h["members"]) & guests
        assert set(h["members"]) <= set(sim.world.members)
        activity = h["kind"] in ("started", "finished")
        assert (h["instanceId"] is not None) == activity
        assert isinstance(h["instanceId"], str) or not activity
        assert isinstance(h["activityHash"], int) or not activity
        assert (h["cleared"] is not None) == (h["kind"] == "finished")


def test_finished_happenings_agree_with_history_and_pgcrs(
    sim: RunningSimulator, http: requests.Session, clock: FakeClock
) -> None:
    four = [m.membership_id for m in sim.world.idle_members(4)]
    since = iso(sim)
    won = sim.world.script_play(four[:2], VAULT_OF_GLASS, minutes=3, cleared=True)
    clock.advance(60)
    sim.world.sync()
    lost = sim.world.script_play(four[2:], VAULT_OF_GLASS, minutes=3, cleared=False)
    clock.advance(4 * 60)
    scene = record(sim, since=since, kinds="started,finished")["record"]
    mine = [h for h in scene if h["instanceId"] in (won.instance_id, lost.instance_id)]
    assert [(h["kind"], h["instanceId"], h["cleared"], h["members"]) for h in mine] == [
        ("started", won.instance_id, None, four[:2]),
        ("started", lost.instance_id, None, four[2:]),
        ("finished", won.instance_id, True, four[:2]),
        ("finished", lost.instance_id, False, four[2:]),
    ]
    assert all(h["activityHash"] == VAULT_OF_GLASS for h in mine)

    # Every finished happening of the last hours, against each public member's history.
    finished = record(sim, kinds="finished")["record"][-40:]
    private = set(record(sim)["private"])
    rows: dict[str, dict[str, dict]] = {}
    checked = 0
    for h in finished:
        for mid in h["members"]:
            if mid in private:
                continue
            if mid not in rows:
                rows[mid] = histories(http, sim, mid)
            values = rows[mid][h["instanceId"]]["values"]
            completed = values["completed"]["basic"]["value"]
            reason = values["completionReason"]["basic"]["value"]
            assert h["cleared"] == (completed == 1 and reason == 0), h
            checked += 1
        pgcr = http.get(
            f"{sim.url}/Platform/Destiny2/Stats/PostGameCarnageReport/{h['instanceId']}/",
            timeout=10,
        ).json()["Response"]
        in_pgcr = {e["player"]["destinyUserInfo"]["membershipId"] for e in pgcr["entries"]}
        assert set(h["members"]) <= in_pgcr
        assert pgcr["activityDetails"]["referenceId"] == h["activityHash"]
    assert checked >= 40


def test_record_filters(sim: RunningSimulator, clock: FakeClock) -> None:
    everything = record(sim)["record"]
    since = everything[len(everything) // 2]["at"]
    later = record(sim, since=since)["record"]
    assert later == [h for h in everything if h["at"] >= since]
    assert record(sim, since=since.removesuffix("Z"))["record"] == later  # no offset: UTC
    assert record(sim, since=since.replace("Z", "+00:00"))["record"] == later
    assert record(sim, since=iso(sim, timedelta(hours=1)))["record"] == []
    churn = record(sim, kinds="joined, left")["record"]
    assert {h["kind"] for h in churn} <= {"joined", "left"}
    newcomer = sim.world.script_join()
    joined = record(sim, kinds="joined", since=iso(sim))["record"]
    assert [h["members"] for h in joined] == [[newcomer.membership_id]]
    assert record(sim, kinds="")["record"] == record(sim)["record"]


def test_record_refuses_bad_parameters(sim: RunningSimulator) -> None:
    for params in ({"since": "yesterday"}, {"since": "2026-13-01"}, {"kinds": "started,won"}):
        response = requests.get(f"{sim.url}/sim/record", params=params, timeout=10)
        assert response.status_code == 400, params
        assert response.headers["Content-Type"].startswith("application/json")
        assert set(response.json()) == {"error"}
