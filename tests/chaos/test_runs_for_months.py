"""It runs for months unattended (README "How it works"; docs/api.md, "/healthz"): a
database that comes up after the app, a takeover while the database stalls, Bungie back
from maintenance, an actor that fails at its start. Nothing here is restarted by hand:
each scene heals by itself or fails.

Real `serve` processes against the simulator (rig.py), judged against its own record.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from tests.chaos.rig import Serve, Sim, ThrowawayPostgres, iso, stop_all, wait_for
from tests.chaos.scenes import Scene, started
from tests.chaos.test_nothing_lost import assert_nothing_lost

pytestmark = pytest.mark.chaos

ROSTER = 1.0  # seconds: short, so "within a few roster intervals" is short too
FAST = {"CLANACTORS_ROSTER_INTERVAL": str(ROSTER), "CLANACTORS_PROFILE_INTERVAL": "1"}
BEFORE = 5.0  # wall seconds of clan life before a fault (ten simulated minutes)
AFTER = 10.0  # ... and after it
STALL = 65.0  # seconds: longer than a takeover's start may wait for the database
HOLD_WHILE_STARTING = 60.0  # seconds a process may hold the poller lock before it polls
# The tables the actors read when they start (view, stats, tracker, recorder); not the
# ones /healthz reads, so the follower can still say how it is.
READ_AT_START = ("live_snapshot", "member_stats", "clan", "activity_instances", "member_activities")


@pytest.fixture
def sim() -> Iterator[Sim]:
    """A clan of 40: a new poller's first looks at everyone's history (paced at a quarter
    of the request budget) are read in half a minute, not two."""
    running = Sim(seed=7, members=40)
    yield running
    running.stop()


@pytest.fixture
def full_sim() -> Iterator[Sim]:
    """A clan of 100: enough comings and goings to see some in a few seconds."""
    running = Sim(seed=7)
    yield running
    running.stop()


@pytest.fixture
def pg() -> Iterator[ThrowawayPostgres]:
    server = ThrowawayPostgres()
    yield server
    stop_all()  # before the database goes, so no process is left talking to nothing
    server.destroy()


def health(serve: Serve) -> tuple[int, dict[str, Any]]:
    answer = requests.get(f"{serve.url}/healthz", timeout=10)
    try:
        return answer.status_code, dict(answer.json())
    except ValueError:
        return answer.status_code, {}


def polling(serve: Serve) -> dict[str, Any] | None:
    """`/healthz` `polling` of a live process; None if it has none or does not answer."""
    if not serve.alive():
        return None
    try:
        return health(serve)[1].get("polling")
    except (requests.RequestException, ValueError):
        return None


def log_lines(serve: Serve) -> list[str]:
    """This run's log lines (after the rig's start marker)."""
    run = serve.log_text().rsplit(f"===== start {serve.runs}\n", 1)[-1]
    return [line for line in run.splitlines() if line.strip()]


def roster_polls(sim: Sim) -> int:
    answer = requests.get(f"{sim.url}/sim/stats", timeout=5).json()
    return int(answer["requests"].get("GroupV2.GetMembersOfGroup", 0))


def connect(url: str) -> psycopg.Connection[Any]:
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host, port=parsed.port, dbname=parsed.database, user=parsed.username
    )


def tcp_ports(serve: Serve) -> set[int]:
    """Local ports of the TCP connections a live process has open (Linux /proc)."""
    if serve.proc is None or not serve.alive():
        return set()
    inodes = set()
    with contextlib.suppress(OSError):  # (it may be exiting)
        for fd in Path(f"/proc/{serve.proc.pid}/fd").iterdir():
            with contextlib.suppress(OSError):
                target = os.readlink(fd)
                if target.startswith("socket:["):
                    inodes.add(target[len("socket:[") : -1])
    ports = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[9] in inodes:
                ports.add(int(fields[1].rsplit(":", 1)[1], 16))
    return ports


def lock_holders(url: str, *serves: Serve) -> list[str]:
    """Which of `serves` holds an advisory lock (only the poller lock is one); "?" for
    a holder that is none of them."""
    with connect(url) as conn:
        rows = conn.execute(
            "SELECT a.client_port FROM pg_locks l JOIN pg_stat_activity a USING (pid)"
            " WHERE l.locktype = 'advisory' AND l.granted"
        ).fetchall()
    ports = {serve.name: tcp_ports(serve) for serve in serves}
    return [next((n for n, p in ports.items() if row[0] in p), "?") for row in rows]


# --------------------------------------------------------------- database not up at start


@pytest.mark.postgres
def test_serve_waits_for_a_database_that_starts_after_it(
    sim: Sim, pg: ThrowawayPostgres, tmp_path: Path
) -> None:
    """A host reboot where PostgreSQL starts after the app: serve waits (one line, /healthz
    503) and polls as soon as the database answers."""
    pg.stop()
    serve = Serve(sim, pg.url, tmp_path, "serve", FAST).start()

    def listening() -> bool:
        assert serve.alive(), f"serve exited while the database was down: {log_lines(serve)}"
        return f"listening on http://127.0.0.1:{serve.port}/" in serve.log_text()

    wait_for(listening, 30, "serve to listen while the database is down")
    statuses = {health(serve)[0]}
    before = log_lines(serve)
    for _ in range(8):  # retries happen meanwhile; their lines must not
        time.sleep(1)
        statuses.add(health(serve)[0])
    during = log_lines(serve)
    assert serve.alive(), during
    assert statuses == {503}, f"/healthz while the database is down: {statuses}"
    assert during == before, f"a line per retry: {during[len(before) :]}"
    waiting = [line for line in during if "database" in line.lower() and "listening" not in line]
    assert len(waiting) == 1, f"one line saying it waits for the database: {during}"

    pg.start()
    began = time.monotonic()
    wait_for(lambda: health(serve)[0] == 200, 5 * ROSTER + 10, "/healthz 200 once PG is up")
    wait_for(serve.polls, 5 * ROSTER + 10, "polling once PostgreSQL is up")
    print(f"polling {time.monotonic() - began:.1f} s after PostgreSQL started")
    start_lines = [line for line in log_lines(serve) if "clanactors.process.app:" in line]
    twice = sorted({line for line in start_lines if start_lines.count(line) > 1})
    assert not twice, f"start lines logged twice: {twice}"
    time.sleep(AFTER)
    assert_nothing_lost(sim, Scene(serve, pg.url))
    serve.stop()


@pytest.mark.postgres
@pytest.mark.parametrize("wrong", ["database", "role"])
def test_a_wrong_database_setting_still_exits_2_with_one_line(
    sim: Sim, postgres_server: str, tmp_path: Path, wrong: str
) -> None:
    """Not up yet is waited for; a database that does not exist or a refused role is not."""
    url = make_url(postgres_server)
    url = url.set(database="clanactors_no_such_database") if wrong == "database" else url
    url = url.set(username="clanactors_no_such_role", password="wrong") if wrong == "role" else url
    serve = Serve(sim, url.render_as_string(hide_password=False), tmp_path, "serve").start()
    assert serve.proc is not None
    try:
        code = serve.proc.wait(30)
    except subprocess.TimeoutExpired:
        pytest.fail(f"a {wrong} that does not exist is not waited for: {log_lines(serve)}")
    lines = log_lines(serve)
    assert code == 2, lines
    assert len(lines) == 1 and "DATABASE_URL" in lines[0], lines


# ------------------------------------------------------- takeover while the database stalls


Sample = tuple[float, dict[str, Any], list[str]]  # seconds, what each said, lock holders


def show(samples: list[Sample]) -> str:
    return "; ".join(f"{t:.0f} s: {said}, lock held by {held}" for t, said, held in samples)


def longest_hold_without_polling(samples: list[Sample], name: str) -> float:
    longest, since = 0.0, None
    for t, said, holders in samples:
        if name in holders and not (said[name] or {}).get("active"):
            since = t if since is None else since
            longest = max(longest, t - since)
        else:
            since = None
    return longest


@pytest.mark.postgres
def test_a_takeover_during_a_database_stall_heals_by_itself(
    sim: Sim, pg: ThrowawayPostgres, tmp_path: Path
) -> None:
    """The poller is killed while a table lock stalls the database for 65 s. The survivor
    may hold the poller lock while it tries to start, not for good; it says whether it
    polls; and once the stall is over one process polls. (Before: the survivor held the
    lock with nothing running, for good, and the killed poller, restarted by its service
    manager, followed it forever.)"""
    a = started(Serve(sim, pg.url, tmp_path, "a", FAST).start())
    b = Serve(sim, pg.url, tmp_path, "b", FAST).start()
    wait_for(lambda: "following it" in b.log_text(), 60, "b to follow a")
    time.sleep(BEFORE)
    following = polling(b)  # what a follower says

    samples: list[Sample] = []
    began = time.monotonic()

    def sample() -> list[str]:
        said = {serve.name: polling(serve) for serve in (a, b)}
        samples.append((time.monotonic() - began, said, lock_holders(pg.url, a, b)))
        return [name for name, p in said.items() if (p or {}).get("active")]

    locker = connect(pg.url)
    try:
        locker.execute("SET lock_timeout = '20s'")
        locker.execute(f"LOCK TABLE {', '.join(READ_AT_START)} IN ACCESS EXCLUSIVE MODE")
        a.kill()  # its lock connection was idle: the advisory lock is free at once
        began = time.monotonic()
        a.start()  # restarted as a service manager would; stuck behind the stall too
        while time.monotonic() - began < STALL:
            sample()
            time.sleep(0.5)
    finally:
        locker.rollback()  # the routine maintenance is over
        locker.close()
    over, before = time.monotonic(), roster_polls(sim)
    back_after = None
    while back_after is None and time.monotonic() - over < 2 * ROSTER + 10:
        if len(sample()) == 1 and roster_polls(sim) >= before + 2:
            back_after = round(time.monotonic() - over, 1)
        time.sleep(0.5)

    print(f"stall over at {STALL:.0f} s; one process polls {back_after} s later; b said:")
    for i, (t, said, holders) in enumerate(samples):
        if i == 0 or (said["b"], holders) != (samples[i - 1][1]["b"], samples[i - 1][2]):
            print(f"  {t:5.1f} s {said['b']}, lock held by {holders}")
    for serve in (a, b):
        held = longest_hold_without_polling(samples, serve.name)
        assert held < HOLD_WHILE_STARTING, (
            f"{serve.name} held the poller lock {held:.0f} s without polling: {show(samples[-2:])}"
        )
    silent = [s for s in samples if not isinstance(s[1]["b"], dict)]
    assert not silent, f"b did not say in /healthz whether it polls: {show(silent[-2:])}"
    unexplained = [s for s in samples if not (s[1]["b"].get("active") or s[1]["b"].get("reason"))]
    assert not unexplained, f"b does not poll and gives no reason: {show(unexplained[-2:])}"
    misleading = [
        s for s in samples if "b" in s[2] and not s[1]["b"].get("active") and s[1]["b"] == following
    ]
    assert not misleading, f"b holds the lock and says what a follower says: {show(misleading[:1])}"
    assert back_after is not None, f"not exactly one poller after the stall: {show(samples[-2:])}"

    time.sleep(AFTER)
    active = [s.name for s in (a, b) if (polling(s) or {}).get("active")]
    holders = lock_holders(pg.url, a, b)
    assert len(active) == 1 and holders == active, (active, holders)
    poller, other = (a, b) if active == ["a"] else (b, a)
    assert_nothing_lost(sim, Scene(poller, pg.url, others=[other]))
    a.stop()
    b.stop()


# ---------------------------------------------------------------- back after maintenance


def test_members_are_read_again_within_a_roster_interval_after_maintenance(
    full_sim: Sim, sqlite_url: str, tmp_path: Path
) -> None:
    """30 s of maintenance: the probe runs at the roster interval, so within seconds of
    its end members are read again (it used to run every 120 s)."""
    sim = full_sim
    sim.faults(rate_limit=None)  # first looks at 100 members take a quarter of MAX_RPS
    settings = {**FAST, "CLANACTORS_MAX_RPS": "40"}
    serve = started(Serve(sim, sqlite_url, tmp_path, "serve", settings).start())
    time.sleep(BEFORE)
    requests_before = requests.get(f"{sim.url}/sim/stats", timeout=5).json()["total"]
    sim.faults(maintenance=True)
    wait_for(lambda: serve.healthz()["bungie"] == "maintenance", 10, "/healthz to say so")
    time.sleep(30)
    sent = requests.get(f"{sim.url}/sim/stats", timeout=5).json()["total"] - requests_before
    sim.faults(maintenance=False)
    ended, sim_ended = datetime.now(UTC), sim.now()
    engine = create_engine(sqlite_url)
    try:
        with engine.connect() as conn:
            last_id = conn.execute(text("SELECT max(id) FROM events")).scalar_one() or 0
    finally:
        engine.dispose()
    assert sent < 5 * 30, f"{sent} requests in 30 s of maintenance: Bungie is hammered"

    def read_again() -> bool:
        now = serve.healthz()
        synced = now["lastRosterSync"]
        return now["bungie"] == "ok" and synced is not None and iso(synced) > ended

    wait_for(read_again, 10, "/healthz bungie ok and lastRosterSync past the maintenance")

    def seen_after(kinds: dict[str, str]) -> list[dict[str, Any]]:
        """Events stored after the window for what the world did after it."""
        record = sim.record(",".join(kinds.values()))["record"]
        happened = {
            (h["kind"], m) for h in record if iso(h["at"]) >= sim_ended for m in h["members"]
        }
        feed = requests.get(f"{serve.url}/api/feed?after={last_id}&limit=500", timeout=5)
        return [
            e
            for e in feed.json()["events"]
            if e["kind"] in kinds and any((kinds[e["kind"]], m) in happened for m in e["members"])
        ]

    presence = {"member_online": "online", "member_offline": "offline"}
    wait_for(lambda: seen_after(presence), 25, "an online/offline change after the window")
    wait_for(lambda: seen_after({"activity_started": "started"}), 25, "an activity after it")
    time.sleep(AFTER)
    assert_nothing_lost(sim, Scene(serve, sqlite_url))
    serve.stop()


# ------------------------------------------------------------ an actor that fails at start


@pytest.mark.postgres
def test_an_actor_that_fails_at_its_start_is_reported_and_comes_back(
    sim: Sim, postgres_url: str, tmp_path: Path
) -> None:
    """The stats actor's table is renamed away while nothing runs: it fails at its start,
    /healthz names it, and it comes back by itself once the table is back."""
    serve = started(Serve(sim, postgres_url, tmp_path, "serve", FAST).start())
    serve.kill()
    engine = create_engine(postgres_url)
    try:
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE member_stats RENAME TO member_stats_away"))
        serve.start()

        def stats_down() -> dict[str, Any] | None:
            now = serve.healthz()
            down = now["actors"]["down"]
            return now if now["status"] == "degraded" and any("stats" in n for n in down) else None

        during = wait_for(stats_down, 30, "/healthz actors.down to name the stats actor")
        with engine.begin() as conn:
            conn.execute(text("ALTER TABLE member_stats_away RENAME TO member_stats"))
        back_at = datetime.now(UTC)
        back = wait_for(
            lambda: (now := serve.healthz())["actors"]["down"] == [] and now,
            45,
            "the stats actor to come back by itself",
        )
        assert isinstance(back, dict) and back["actors"]["restarts"] >= 1, (during, back)
    finally:
        engine.dispose()
    wait_for(
        lambda: iso(serve.healthz()["lastRosterSync"] or "2000-01-01") > back_at,
        10,
        "the clan to be polled after the actor came back",
    )
    serve.stop()
