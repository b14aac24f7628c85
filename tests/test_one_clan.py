"""A database belongs to one clan, and the demo world does not invent (README "Running it
for your clan", "The simulated Bungie API")."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import select

from clanactors.core.clock import FakeClock
from clanactors.core.errors import ConfigError
from clanactors.domain.events import StoredEvent
from clanactors.sim.server import RunningSimulator, Simulator
from clanactors.store.db import Database, migrate
from clanactors.store.eventlog import events_after
from clanactors.store.models import Clan, Member
from clanactors.store.roster import claim_clan


def _env(**values: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLANACTORS_", "BUNGIE_"))}
    env.pop("DATABASE_URL", None)
    env.pop("CLAN_ID", None)
    env.update(values)
    return env


def test_another_clan_on_the_same_database_exits_2_naming_both(sqlite_url: str) -> None:
    ours = RunningSimulator(Simulator(seed=5, clock=FakeClock())).start()
    theirs = RunningSimulator(Simulator(seed=9, clock=FakeClock())).start()
    assert ours.clan_id != theirs.clan_id

    def real(sim: RunningSimulator) -> dict[str, str]:
        root = f"{sim.url}/Platform"
        return _env(
            BUNGIE_API_KEY="a-good-key",
            CLAN_ID=sim.clan_id,
            BUNGIE_API_ROOT=root,
            BUNGIE_STATS_ROOT=root,
            DATABASE_URL=sqlite_url,
            CLANACTORS_PORT="0",
        )

    try:
        first = _serve_until_listening(real(ours))
        first.send_signal(signal.SIGTERM)
        assert first.wait(15) == 0
        # Another clan, or the demo, on this database: refused before anything is served.
        demo = _env(DATABASE_URL=sqlite_url, CLANACTORS_PORT="0")
        for env, other in (
            (real(theirs), f"not the real clan {theirs.clan_id}"),
            (demo, "not the demo's simulated clan"),
        ):
            result = subprocess.run(
                [sys.executable, "-m", "clanactors", "serve"],
                env=env,
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert result.returncode == 2, result.stderr
            (line,) = result.stderr.strip().splitlines()
            assert f"holds the real clan {ours.clan_id}" in line and "DATABASE_URL" in line, line
            assert other in line, line
    finally:
        ours.stop()
        theirs.stop()


def _serve_until_listening(env: dict[str, str], cwd: Path | None = None) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "clanactors", "serve"],
        env=env,
        cwd=cwd,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if "listening on" in line:
            return proc
        assert line or proc.poll() is None, "serve exited before listening"
    raise AssertionError("serve did not start listening")


def _demo(folder: Path, seconds: float) -> tuple[list[dict], list[str]]:
    """Run the demo in `folder` for `seconds`; return its world's record of joins and
    leaves (asked just before the stop) and the log."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "clanactors", "serve"],
        env=_env(CLANACTORS_PORT="0", CLANACTORS_ROSTER_INTERVAL="1"),
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    lines: list[str] = []
    sim_url = ""
    deadline = time.monotonic() + seconds
    os.set_blocking(proc.stderr.fileno(), False)
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if line:
            lines.append(line)
            found = re.search(r"simulated Bungie API at (http://[0-9.:]+)/Platform", line)
            if found:
                sim_url = found.group(1)
        else:
            time.sleep(0.1)
    assert sim_url, "".join(lines)
    record = requests.get(f"{sim_url}/sim/record", params={"kinds": "joined,left"}, timeout=10)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(15) == 0
    os.set_blocking(proc.stderr.fileno(), True)
    lines.extend(proc.stderr.readlines())
    return list(record.json()["record"]), lines


def _read_demo(demo_db: Path) -> tuple[list[StoredEvent], set[str], datetime]:
    """The demo database's event log, members in the clan, and the last roster sync."""
    url = f"sqlite:///{demo_db}"
    migrate(url)
    db = Database(url)
    with db.session() as session:
        stored = events_after(session, 0, 100_000)
        in_clan = set(session.scalars(select(Member.membership_id).where(Member.in_clan)))
        synced = session.scalar(select(Clan.updated_at))
    db.dispose()
    assert synced is not None, "the demo did not sync its clan"
    return stored, in_clan, synced


def test_a_restarted_demo_records_only_what_happened_meanwhile(tmp_path: Path) -> None:
    first_truth, _ = _demo(tmp_path, 20)
    demo_db = tmp_path / "clanactors-demo.db"
    assert demo_db.exists() and not (tmp_path / "clanactors.db").exists()
    first_log, first_roster, first_sync = _read_demo(demo_db)
    assert len(first_roster) >= 90, "the demo did not sync its roster"
    # A new database's roster is the starting point, not news: nobody "joined" but those
    # the world itself had join while it ran (at demo pace, rarely anyone).
    joined = {tuple(h["members"]) for h in first_truth if h["kind"] == "joined"}
    announced = [e for e in first_log if e.event.kind == "member_joined"]
    assert [e for e in announced if e.event.members not in joined] == []
    time.sleep(20)
    truth, log = _demo(tmp_path, 20)
    assert not [line for line in log if "Traceback" in line], "".join(log)
    stored, roster, synced = _read_demo(demo_db)
    assert synced > first_sync, "the restarted demo did not read the roster again"
    assert len(roster) >= 90
    first_ids = {e.id for e in first_log}
    new = [e for e in stored if e.id not in first_ids]
    # Nobody the first run already had in the clan is announced again by the restart ...
    rejoined = [
        e for e in new if e.event.kind == "member_joined" and e.event.members[0] in first_roster
    ]
    assert not rejoined, [e.event.text for e in rejoined]
    # ... and every join or leave it did record is one the world's own record has.
    truth_keys = {(h["kind"], tuple(h["members"])) for h in truth}
    for stored_event in new:
        if stored_event.event.kind in ("member_joined", "member_left"):
            kind = "joined" if stored_event.event.kind == "member_joined" else "left"
            assert (kind, stored_event.event.members) in truth_keys, stored_event.event.text


def test_the_refusal_says_demo_and_real_plainly(sqlite_url: str) -> None:
    """The demo's clan and a real clan may carry the same number: the words tell them apart."""
    migrate(sqlite_url)
    db = Database(sqlite_url)
    now = datetime.now(UTC)
    try:
        with db.session() as session:
            claim_clan(session, "6433012", True, now)
        with pytest.raises(ConfigError) as refused, db.session() as session:
            claim_clan(session, "6433012", False, now)
        message = str(refused.value)
        assert "holds the demo's simulated clan 6433012, not the real clan 6433012" in message
        assert "database of its own" in message
        with pytest.raises(ConfigError) as refused, db.session() as session:
            claim_clan(session, "777", True, now)
        assert "not the demo's simulated clan 777" in str(refused.value)
    finally:
        db.dispose()
