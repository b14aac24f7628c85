"""Fault injection, seen through the app's real client, and switched over HTTP."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from typing import Any

import pytest
import requests

from clanactors.bungie.client import BungieClient
from clanactors.bungie.errors import MaintenanceError, ThrottledError
from clanactors.core.clock import FakeClock
from clanactors.sim.server import RunningSimulator


def make_client(sim: RunningSimulator) -> BungieClient:
    return BungieClient(
        "k",
        api_root=f"{sim.url}/Platform",
        stats_root=f"{sim.url}/Platform",
        max_rps=1000,
        backoff=0.01,
        throttle_floor=0.0,
        max_attempts=2,
    )


@pytest.fixture
def client(sim: RunningSimulator) -> Iterator[BungieClient]:
    c = make_client(sim)
    yield c
    c.close()


def test_maintenance_json_and_html(sim: RunningSimulator) -> None:
    # A fresh client for each phase: a client may rightly hold back after maintenance.
    sim.faults.set(maintenance=True)
    with closing(make_client(sim)) as client, pytest.raises(MaintenanceError) as info:
        client.get_group(sim.clan_id)
    assert info.value.code == 5
    sim.faults.set(maintenance_html=True)
    with closing(make_client(sim)) as client, pytest.raises(MaintenanceError, match="non-JSON"):
        client.get_group(sim.clan_id)
    sim.faults.set(maintenance=False, maintenance_html=False)
    with closing(make_client(sim)) as client:
        assert client.get_group(sim.clan_id).group_id == sim.clan_id
        assert client.status == "ok"


def test_throttle_then_recovery(sim: RunningSimulator, client: BungieClient) -> None:
    sim.faults.set(throttle_next=1, throttle_seconds=1)
    started = time.monotonic()
    assert client.get_group(sim.clan_id).group_id == sim.clan_id
    assert time.monotonic() - started >= 1.0  # waited ThrottleSeconds before the retry
    sim.faults.set(throttle_next=5, throttle_seconds=0)
    with pytest.raises(ThrottledError):
        client.get_group(sim.clan_id)


def test_flooding_trips_bungies_per_ip_limit(sim: RunningSimulator, http: requests.Session) -> None:
    sim.faults.set(rate_limit=1.0)  # 10 requests per 10 s
    codes = [
        http.get(f"{sim.url}/Platform/Destiny2/Manifest/", timeout=10).json()["ErrorCode"]
        for _ in range(12)
    ]
    assert codes[:10] == [1] * 10
    assert codes[10:] == [51, 51]


def test_truncated_body_is_retried(sim: RunningSimulator, client: BungieClient) -> None:
    sim.faults.set(truncate_next=1)
    assert client.get_group(sim.clan_id).group_id == sim.clan_id
    stats = requests.get(f"{sim.url}/sim/stats", timeout=10).json()
    assert stats["requests"]["GroupV2.GetGroup"] == 2


def test_slow_responses(sim: RunningSimulator, client: BungieClient) -> None:
    sim.faults.set(delay=0.3)
    started = time.monotonic()
    client.get_group(sim.clan_id)
    assert time.monotonic() - started >= 0.3


def test_missing_slash_is_redirected(sim: RunningSimulator, http: requests.Session) -> None:
    response = http.get(f"{sim.url}/Platform/GroupV2/{sim.clan_id}", timeout=10)
    assert response.history and response.history[0].status_code == 301
    assert response.json()["ErrorCode"] == 1


def test_sim_stats_count_requests_per_endpoint(
    sim: RunningSimulator, client: BungieClient, clock: FakeClock
) -> None:
    client.get_roster(sim.clan_id)
    member = sim.world.roster()[0]
    client.get_profile(member.membership_type, member.membership_id)
    stats = requests.get(f"{sim.url}/sim/stats", timeout=10).json()
    assert stats["requests"] == {"Destiny2.GetProfile": 1, "GroupV2.GetMembersOfGroup": 2}
    assert stats["total"] == 3
    assert stats["world"]["members"] == len(sim.world.roster())


# ---------------------------------------------------------------------------- /sim/faults

SWITCHES = {
    "maintenance",
    "maintenance_html",
    "throttle_next",
    "throttle_code",
    "throttle_seconds",
    "delay",
    "truncate_next",
    "rate_limit",
    "pgcr_delay",
}


def faults(sim: RunningSimulator, changes: Any = None, status: int = 200) -> dict[str, Any]:
    url = f"{sim.url}/sim/faults"
    if changes is None:
        response = requests.get(url, timeout=10)
    elif isinstance(changes, bytes):
        response = requests.post(url, data=changes, timeout=10)
    else:
        response = requests.post(url, json=changes, timeout=10)
    assert response.status_code == status, response.text
    assert response.headers["Content-Type"].startswith("application/json")
    return response.json()


def test_faults_read_and_set(sim: RunningSimulator, http: requests.Session) -> None:
    sim.faults.set(rejected_keys=frozenset({"secret-key"}))
    state = faults(sim)
    assert set(state) == SWITCHES
    assert "secret-key" not in str(state)
    assert state["maintenance"] is False and state["rate_limit"] == 25.0
    assert state["pgcr_delay"] == 0.0

    group = f"{sim.url}/Platform/GroupV2/{sim.clan_id}/"
    state = faults(sim, {"maintenance": True})
    assert state["maintenance"] is True and sim.faults.maintenance
    body = http.get(group, timeout=10).json()
    assert body["ErrorCode"] == 5
    assert requests.get(f"{sim.url}/sim/clan", timeout=10).ok, "the sim's own paths answer"
    assert faults(sim)["maintenance"] is True
    state = faults(sim, {"maintenance_html": True})
    assert http.get(group, timeout=10).headers["Content-Type"].startswith("text/html")
    faults(sim, {"maintenance": False, "maintenance_html": False})
    assert http.get(group, timeout=10).json()["ErrorCode"] == 1

    state = faults(sim, {"throttle_next": 1, "throttle_seconds": 3, "throttle_code": 36})
    throttled = http.get(group, timeout=10).json()
    assert (throttled["ErrorCode"], throttled["ThrottleSeconds"]) == (36, 3)
    assert faults(sim)["throttle_next"] == 0

    state = faults(sim, {"rate_limit": None, "delay": 0.05, "truncate_next": 0})
    assert state["rate_limit"] is None and sim.faults.rate_limit is None
    assert state["delay"] == 0.05
    state = faults(sim, {"rate_limit": 1.5, "delay": 0, "pgcr_delay": 300})
    assert state["rate_limit"] == 1.5 and state["delay"] == 0.0
    assert sim.world.pgcr_delay == timedelta(minutes=5) and state["pgcr_delay"] == 300.0


def test_faults_refuse_bad_changes_and_change_nothing(sim: RunningSimulator) -> None:
    before = faults(sim)
    for bad in (
        {"maintenance": True, "bogus": 1},
        {"maintenance": 1},
        {"delay": "slow"},
        {"delay": -1},
        {"throttle_next": 1.5},
        {"throttle_next": True},
        {"rate_limit": 0},
        {"pgcr_delay": None},
        {"rejected_keys": []},
        [],
        "maintenance",
    ):
        body = faults(sim, bad, status=400)
        assert set(body) == {"error"} and body["error"], bad
    assert set(faults(sim, b"{not json", status=400)) == {"error"}
    assert faults(sim) == before
