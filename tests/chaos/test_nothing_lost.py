"""Nothing lost, nothing recorded twice (CONTRACT §5), whatever happens to the process,
the database or Bungie: real `serve` processes against the simulator at two simulated
hours a minute, judged against the world's own record."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.chaos.rig import Serve, Sim, ThrowawayPostgres, judge, settle, wait_for

pytestmark = pytest.mark.chaos
PLAY = 25.0  # wall seconds of clan life between the scenes of a test


@pytest.fixture
def sim() -> Iterator[Sim]:
    running = Sim(seed=7)
    yield running
    running.stop()


def assert_nothing_lost(sim: Sim, serve: Serve, database_url: str) -> None:
    settle(serve)
    verdict = judge(sim, database_url, sim.now())
    print(f"verdict: {verdict}")
    assert len(verdict.expected) >= 5, f"too little happened to judge: {verdict}"
    assert not verdict.lost, str(verdict)
    assert not verdict.twice, str(verdict)
    assert not verdict.invented, str(verdict)
    assert not verdict.wrong_result, str(verdict)


def started(serve: Serve) -> Serve:
    wait_for(serve.polls, 60, f"{serve.name} to poll")
    return serve


def test_kill_9_mid_activity_and_mid_pgcr_then_restart(
    sim: Sim, sqlite_url: str, tmp_path: Path
) -> None:
    serve = started(Serve(sim, sqlite_url, tmp_path, "serve").start())
    time.sleep(PLAY)
    serve.kill()  # fireteams are mid-activity: their ends happen while nothing runs
    time.sleep(10)
    started(serve.start())
    # Slow answers keep PGCR fetches in flight; kill while work is queued.
    sim.faults(delay=0.3)
    wait_for(lambda: serve.healthz()["recording"]["backlog"] > 0, 60, "recording work")
    serve.kill()
    sim.faults(delay=0.0)
    time.sleep(5)
    started(serve.start())
    time.sleep(PLAY)
    assert_nothing_lost(sim, serve, sqlite_url)
    serve.stop()


def test_sigterm_stops_within_10_s_and_an_immediate_restart_loses_nothing(
    sim: Sim, sqlite_url: str, tmp_path: Path
) -> None:
    serve = started(Serve(sim, sqlite_url, tmp_path, "serve").start())
    time.sleep(PLAY)
    took = serve.terminate()
    assert serve.proc is not None and serve.proc.returncode == 0
    assert took < 10, f"SIGTERM took {took:.1f} s"
    lock_files = list(tmp_path.glob("*.lock"))
    assert lock_files == [], f"lock files left after a clean stop: {lock_files}"
    started(serve.start())
    time.sleep(PLAY)
    assert_nothing_lost(sim, serve, sqlite_url)
    serve.stop()


def test_sigterm_within_10_s_while_bungie_is_unreachable(
    sim: Sim, sqlite_url: str, tmp_path: Path
) -> None:
    serve = started(Serve(sim, sqlite_url, tmp_path, "serve").start())
    time.sleep(5)
    sim.faults(delay=25.0)  # every answer hangs past the client's read timeout
    time.sleep(5)
    took = serve.terminate()
    sim.faults(delay=0.0)
    assert took < 10, f"SIGTERM took {took:.1f} s while Bungie hung"


@pytest.mark.postgres
def test_two_processes_on_postgres_with_the_poller_killed(
    sim: Sim, postgres_url: str, tmp_path: Path
) -> None:
    first = started(Serve(sim, postgres_url, tmp_path, "first").start())
    second = Serve(sim, postgres_url, tmp_path, "second").start()
    wait_for(lambda: second.healthz()["database"] == "ok", 60, "the second process")
    time.sleep(PLAY)
    first.kill()
    started(second)  # takes over
    first.start()  # back as a follower
    time.sleep(PLAY)
    second.kill()
    started(first)
    time.sleep(PLAY)
    assert_nothing_lost(sim, first, postgres_url)
    first.stop()


@pytest.mark.postgres
def test_the_database_stopped_for_30_s(sim: Sim, tmp_path: Path) -> None:
    pg = ThrowawayPostgres()
    try:
        serve = started(Serve(sim, pg.url, tmp_path, "serve").start())
        time.sleep(PLAY)
        pg.stop()
        deadline = time.monotonic() + 30
        statuses = set()
        while time.monotonic() < deadline:
            for path in ("/", "/api/feed", "/api/members", "/healthz"):
                statuses.add((path, requests.get(serve.url + path, timeout=10).status_code))
            time.sleep(1)
        pg.start()
        assert all(code != 500 for _, code in statuses), sorted(statuses)
        assert ("/healthz", 503) in statuses
        assert ("/api/members", 200) in statuses  # served from memory
        time.sleep(PLAY)
        assert_nothing_lost(sim, serve, pg.url)
        log = serve.log_text()
        assert log.count("Traceback") == 0
        assert log.count("database unavailable") <= 4  # once per state change, per side
        serve.stop()
    finally:
        pg.destroy()


def test_html_maintenance_for_20_s(sim: Sim, sqlite_url: str, tmp_path: Path) -> None:
    serve = started(Serve(sim, sqlite_url, tmp_path, "serve").start())
    time.sleep(PLAY)
    sim.faults(maintenance_html=True)
    wait_for(lambda: serve.healthz()["bungie"] == "maintenance", 20, "/healthz to say so")
    assert serve.healthz()["status"] == "degraded"
    time.sleep(20)
    sim.faults(maintenance_html=False)
    time.sleep(PLAY)
    assert_nothing_lost(sim, serve, sqlite_url)
    assert "Traceback" not in serve.log_text()
    serve.stop()


def test_request_ceiling_at_a_third_of_the_load(sim: Sim, sqlite_url: str, tmp_path: Path) -> None:
    # ~15 online members polled every second want ~15 requests a second: give it 5.
    serve = Serve(sim, sqlite_url, tmp_path, "serve", {"CLANACTORS_MAX_RPS": "5"})
    started(serve.start())
    time.sleep(2 * PLAY)
    health = serve.healthz()
    assert health["presence"]["slowed"], health  # freshness suffers, and says so
    assert_nothing_lost(sim, serve, sqlite_url)
    serve.stop()
