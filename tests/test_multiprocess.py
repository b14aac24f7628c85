"""Several `serve` processes on one PostgreSQL database (README "Several processes"): one
polls, every one serves pages and live events, and another takes over when the poller
dies."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import requests
import websocket

from clanactors.core.clock import ScaledClock
from clanactors.sim.faults import Faults
from clanactors.sim.server import RunningSimulator, Simulator

ROSTER_INTERVAL = 1.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(check: Callable[[], object], limit: float, what: str) -> object:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            result = check()
        except (requests.ConnectionError, ValueError, KeyError):
            result = None
        if result:
            return result
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


class Serve:
    def __init__(self, sim: RunningSimulator, database_url: str, folder: Path, name: str) -> None:
        self.port = free_port()
        self.log = folder / f"{name}.log"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLANACTORS_", "BUNGIE_"))}
        env.update(
            {
                "BUNGIE_API_KEY": "multi-process-key",
                "CLAN_ID": sim.clan_id,
                "BUNGIE_API_ROOT": f"{sim.url}/Platform",
                "BUNGIE_STATS_ROOT": f"{sim.url}/Platform",
                "DATABASE_URL": database_url,
                "CLANACTORS_PORT": str(self.port),
                "CLANACTORS_ROSTER_INTERVAL": str(ROSTER_INTERVAL),
                "CLANACTORS_PROFILE_INTERVAL": "2",
                "CLANACTORS_MAX_RPS": "50",
            }
        )
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "clanactors", "serve"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=self.log.open("w"),
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return self.log.read_text()

    def polls(self) -> bool:
        return "this process polls Bungie" in self.text()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            self.proc.wait(30)


@pytest.fixture
def sim() -> Iterator[RunningSimulator]:
    running = RunningSimulator(
        Simulator(seed=11, clock=ScaledClock(1.0), faults=Faults(rate_limit=None))
    ).start()
    yield running
    running.stop()


@pytest.mark.postgres
def test_one_poller_everyone_serves_and_a_survivor_takes_over(
    sim: RunningSimulator, postgres_url: str, tmp_path: Path
) -> None:
    first = Serve(sim, postgres_url, tmp_path, "first")
    wait_for(first.polls, 30, "the first process to poll")
    second = Serve(sim, postgres_url, tmp_path, "second")
    try:
        wait_for(lambda: "following it" in second.text(), 30, "the second process to follow")
        assert not second.polls()

        members = wait_for(
            lambda: requests.get(f"{second.url}/api/members", timeout=5).json()["offline"],
            30,
            "the follower to serve the clan",
        )
        assert len(members) > 10

        ws = websocket.create_connection(
            f"ws://127.0.0.1:{second.port}/ws", timeout=30, origin=second.url
        )
        newcomer = sim.world.script_join()
        deadline = time.monotonic() + 30
        seen = None
        while time.monotonic() < deadline and seen is None:
            frame = json.loads(ws.recv())
            if frame["type"] == "event" and frame["event"]["kind"] == "member_joined":
                seen = frame["event"]
        assert seen is not None and seen["members"] == [newcomer.membership_id]
        ws.close()
        polled_before = sim.sim.requests["GroupV2.GetMembersOfGroup"]

        first.proc.kill()  # kill -9: no goodbye, the lock goes with the connection
        started = time.monotonic()
        wait_for(second.polls, 4 * ROSTER_INTERVAL + 10, "the survivor to take over")
        assert time.monotonic() - started <= 2 * ROSTER_INTERVAL + 5
        wait_for(
            lambda: sim.sim.requests["GroupV2.GetMembersOfGroup"] > polled_before + 2,
            30,
            "the survivor's roster polls",
        )
        after = sim.world.script_join()
        feed = wait_for(
            lambda: [
                e
                for e in requests.get(f"{second.url}/api/feed?limit=500", timeout=5).json()[
                    "events"
                ]
                if e["members"] == [after.membership_id]
            ],
            30,
            "the survivor to record a join",
        )
        assert len(feed) == 1
    finally:
        second.stop()
        first.stop()
    assert "Traceback" not in second.text()
