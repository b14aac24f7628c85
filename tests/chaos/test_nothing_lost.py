"""Nothing lost, nothing recorded twice (README, "Nothing is lost"), whatever happens to
the process, the database or Bungie: real `serve` processes against the simulator at two simulated
hours a minute, judged against the world's own record (`/sim/record`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.chaos import scenes
from tests.chaos.rig import Serve, Sim, ThrowawayPostgres, judge, settle

pytestmark = pytest.mark.chaos


@pytest.fixture
def sim() -> Iterator[Sim]:
    running = Sim(seed=7)
    yield running
    running.stop()


def assert_nothing_lost(sim: Sim, scene: scenes.Scene) -> None:
    settle(scene.serve)
    verdict = judge(sim, scene.database_url, scene.seen.get("until") or sim.now())
    print(f"verdict: {verdict}")
    assert len(verdict.expected) >= 5, f"too little happened to judge: {verdict}"
    assert not verdict.lost, str(verdict)
    assert not verdict.twice, str(verdict)
    assert not verdict.invented, str(verdict)
    assert not verdict.wrong_result, str(verdict)
    for serve in [scene.serve, *scene.others]:
        assert "Traceback" not in serve.log_text(), serve.name


def test_kill_9_mid_activity_and_mid_pgcr_then_restart(
    sim: Sim, sqlite_url: str, tmp_path: Path
) -> None:
    scene = scenes.kill_9(sim, sqlite_url, tmp_path)
    assert_nothing_lost(sim, scene)
    scene.stop()


def test_sigterm_stops_within_10_s_and_an_immediate_restart_loses_nothing(
    sim: Sim, sqlite_url: str, tmp_path: Path
) -> None:
    scene = scenes.sigterm_restart(sim, sqlite_url, tmp_path)
    assert scene.seen["exit_code"] == 0
    assert scene.seen["stop_seconds"] < 10, scene.seen
    assert scene.seen["lock_files"] == [], "lock files left after a clean stop"
    assert_nothing_lost(sim, scene)
    scene.stop()


def test_sigterm_within_10_s_while_bungie_hangs(sim: Sim, sqlite_url: str, tmp_path: Path) -> None:
    serve = scenes.started(Serve(sim, sqlite_url, tmp_path, "serve").start())
    time.sleep(5)
    sim.faults(delay=25.0)  # every answer hangs past the client's read timeout
    time.sleep(5)
    took = serve.terminate()
    sim.faults(delay=0.0)
    assert serve.proc is not None and serve.proc.returncode == 0
    assert took < 10, f"SIGTERM took {took:.1f} s while Bungie hung"


@pytest.mark.postgres
def test_two_processes_on_postgres_with_the_poller_killed(
    sim: Sim, postgres_url: str, tmp_path: Path
) -> None:
    scene = scenes.poller_killed(sim, postgres_url, tmp_path)
    assert_nothing_lost(sim, scene)
    scene.stop()


@pytest.mark.postgres
def test_the_database_stopped_for_30_s(sim: Sim, tmp_path: Path) -> None:
    pg = ThrowawayPostgres()
    try:
        scene = scenes.database_down(sim, pg, tmp_path)
        statuses = scene.seen["statuses"]
        assert all(code != 500 for _, code in statuses), sorted(statuses)
        assert ("/healthz", 503) in statuses and ("/api/feed", 503) in statuses
        assert ("/api/members", 200) in statuses and ("/", 200) in statuses  # from memory
        assert_nothing_lost(sim, scene)
        log = scene.serve.log_text()
        assert log.count("database unavailable") == 1, "logged once per outage"
        assert log.count("database recovered") == 1
        scene.stop()
    finally:
        pg.destroy()


def test_html_maintenance_for_20_s(sim: Sim, sqlite_url: str, tmp_path: Path) -> None:
    scene = scenes.maintenance(sim, sqlite_url, tmp_path)
    during = scene.seen["health_during"]
    assert (during["status"], during["bungie"]) == ("degraded", "maintenance")
    assert_nothing_lost(sim, scene)
    scene.stop()


def test_request_ceiling_at_a_third_of_the_load(sim: Sim, sqlite_url: str, tmp_path: Path) -> None:
    scene = scenes.overloaded(sim, sqlite_url, tmp_path)
    waits = [wait for _, wait in scene.seen["samples"]]
    assert max(waits) > 0.5, "presence polls should have waited behind recording"
    assert scene.seen["health_after"]["presence"]["slowed"], scene.seen["health_after"]
    assert_nothing_lost(sim, scene)
    scene.stop()
