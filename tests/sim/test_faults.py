"""Fault injection, seen through the app's real client."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import closing

import pytest
import requests

from clanactors.bungie.client import BungieClient
from clanactors.bungie.errors import MaintenanceError, ThrottledError
from clanactors.clock import FakeClock
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
