"""The chaos scenes, played the same way by the tests (which assert) and by
`bench/chaos.py` (which prints figures). Each scene returns the `serve` process that
polls at its end and what it observed along the way."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from tests.chaos.rig import Serve, Sim, ThrowawayPostgres, wait_for

PLAY = 25.0  # wall seconds of clan life between the moments of a scene
CATCH_UP = 45.0  # wall seconds for slowed presence polls to see the last ends


@dataclass
class Scene:
    serve: Serve
    database_url: str
    seen: dict[str, Any] = field(default_factory=dict)
    others: list[Serve] = field(default_factory=list)

    def stop(self) -> None:
        for serve in [self.serve, *self.others]:
            serve.stop()


def started(serve: Serve) -> Serve:
    wait_for(serve.polls, 60, f"{serve.name} to poll")
    return serve


def kill_9(sim: Sim, database_url: str, folder: Path) -> Scene:
    """kill -9 while fireteams are mid-activity, and again while PGCRs are fetched."""
    serve = started(Serve(sim, database_url, folder, "serve").start())
    time.sleep(PLAY)
    serve.kill()  # fireteams are mid-activity: their ends happen while nothing runs
    time.sleep(10)
    started(serve.start())
    sim.faults(delay=0.3)  # slow answers keep PGCR fetches in flight
    wait_for(lambda: serve.healthz()["recording"]["backlog"] > 0, 60, "recording work")
    serve.kill()
    sim.faults(delay=0.0)
    time.sleep(5)
    started(serve.start())
    time.sleep(PLAY)
    return Scene(serve, database_url)


def sigterm_restart(sim: Sim, database_url: str, folder: Path) -> Scene:
    """SIGTERM, then an immediate start."""
    serve = started(Serve(sim, database_url, folder, "serve").start())
    time.sleep(PLAY)
    took = serve.terminate()
    seen = {
        "stop_seconds": took,
        "exit_code": serve.proc.returncode if serve.proc else None,
        "lock_files": [p.name for p in folder.glob("*.lock")],
    }
    started(serve.start())
    time.sleep(PLAY)
    return Scene(serve, database_url, seen)


def poller_killed(sim: Sim, database_url: str, folder: Path) -> Scene:
    """Two processes on PostgreSQL; the poller is killed, twice."""
    first = started(Serve(sim, database_url, folder, "first").start())
    second = Serve(sim, database_url, folder, "second").start()
    wait_for(lambda: second.healthz()["database"] == "ok", 60, "the second process")
    time.sleep(PLAY)
    first.kill()
    began = time.monotonic()
    started(second)
    takeovers = [time.monotonic() - began]
    first.start()  # back, as a follower
    time.sleep(PLAY)
    second.kill()
    began = time.monotonic()
    started(first)
    takeovers.append(time.monotonic() - began)
    time.sleep(PLAY)
    return Scene(first, database_url, {"takeover_seconds": takeovers}, [second])


def database_down(sim: Sim, pg: ThrowawayPostgres, folder: Path) -> Scene:
    """The database stopped for 30 s while pages are asked for."""
    serve = started(Serve(sim, pg.url, folder, "serve").start())
    time.sleep(PLAY)
    pg.stop()
    deadline = time.monotonic() + 30
    statuses: set[tuple[str, int]] = set()
    while time.monotonic() < deadline:
        for path in ("/", "/api/feed", "/api/members", "/healthz"):
            statuses.add((path, requests.get(serve.url + path, timeout=10).status_code))
        time.sleep(1)
    pg.start()
    time.sleep(PLAY)
    return Scene(serve, pg.url, {"statuses": statuses})


def maintenance(sim: Sim, database_url: str, folder: Path) -> Scene:
    """Bungie answers an HTML maintenance page for 20 s."""
    serve = started(Serve(sim, database_url, folder, "serve").start())
    time.sleep(PLAY)
    sim.faults(maintenance=True, maintenance_html=True)
    wait_for(lambda: serve.healthz()["bungie"] == "maintenance", 20, "/healthz to say so")
    during = serve.healthz()
    time.sleep(20)
    sim.faults(maintenance=False, maintenance_html=False)
    # One probe every two minutes while Bungie is down: the client sees it back within
    # that, then reads what finished meanwhile from history.
    began = time.monotonic()
    wait_for(lambda: serve.healthz()["bungie"] == "ok", 150, "Bungie to be seen back")
    back_after = time.monotonic() - began
    time.sleep(PLAY)
    return Scene(serve, database_url, {"health_during": during, "back_after": back_after})


def overloaded(sim: Sim, database_url: str, folder: Path) -> Scene:
    """The request ceiling at a third of what the load needs (~15 profile polls a
    second wanted, 5 requests a second allowed), with /healthz sampled every second.

    Detection is slowed (presence polls wait their turn), so what finished in the last
    seconds of the scene may not be seen yet: the judge looks at what finished before
    `until`, and the scene plays on, still overloaded, while that is caught up.
    """
    serve = Serve(sim, database_url, folder, "serve", {"CLANACTORS_MAX_RPS": "5"})
    started(serve.start())
    samples = []
    deadline = time.monotonic() + 2 * PLAY
    while time.monotonic() < deadline:
        health = serve.healthz()
        samples.append((health["recording"]["lagSeconds"], health["presence"]["waitSeconds"]))
        time.sleep(1)
    seen = {"samples": samples, "health_after": serve.healthz(), "until": sim.now()}
    time.sleep(CATCH_UP)
    return Scene(serve, database_url, seen)
