"""Chaos rig: the simulator sped up, real `clanactors serve` processes, and a judge that
compares the event log with the simulated world's own record (`/sim/record`).

Everything here is driven from outside, as an operator or a harness would: processes are
killed with signals, faults are switched over HTTP (`/sim/faults`), and the verdict is
read from the `events` table and `/sim/record`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, select
from sqlalchemy.exc import SQLAlchemyError

from clanactors.core.clock import ScaledClock
from clanactors.sim.server import RunningSimulator, Simulator
from clanactors.store.models import Clan, EventRow

PACE = 120.0  # two simulated hours a minute
SETTLE_MARGIN = 600.0  # simulated seconds: what finished this close to the end is not judged


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(check: Callable[[], object], limit: float, what: str) -> object:
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            result = check()
        except (requests.RequestException, ValueError, KeyError, SQLAlchemyError):
            result = None
        if result:
            return result
        time.sleep(0.2)
    raise AssertionError(f"timed out after {limit:.0f} s waiting for {what}")


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class Sim:
    """The simulated Bungie API at PACE, in this process, spoken to over HTTP only."""

    def __init__(self, seed: int = 7, pace: float = PACE, members: int = 100) -> None:
        world = Simulator(seed=seed, members=members, clock=ScaledClock(pace))
        self.running = RunningSimulator(world).start()
        self.url = self.running.url
        self.clan_id = requests.get(f"{self.url}/sim/clan", timeout=5).json()["groupId"]

    def faults(self, **changes: Any) -> dict[str, Any]:
        answer = requests.post(f"{self.url}/sim/faults", json=changes, timeout=5)
        answer.raise_for_status()
        return dict(answer.json())

    def record(self, kinds: str = "finished") -> dict[str, Any]:
        answer = requests.get(f"{self.url}/sim/record", params={"kinds": kinds}, timeout=10)
        answer.raise_for_status()
        return dict(answer.json())

    def now(self) -> datetime:
        return iso(self.record()["now"])

    def stop(self) -> None:
        self.running.stop()


@dataclass
class Serve:
    """One `clanactors serve` process against the simulator. Every one started is
    remembered, so a failed test still ends them (`stop_all`)."""

    sim: Sim
    database_url: str
    folder: Path
    name: str
    settings: dict[str, str] = field(default_factory=dict)
    args: tuple[str, ...] = ()  # extra serve flags, e.g. ("-v",) to debug a scene
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0
    runs: int = 0

    def start(self) -> Serve:
        self.port = free_port()
        self.runs += 1
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLANACTORS_", "BUNGIE_"))}
        env.update(
            {
                "BUNGIE_API_KEY": "chaos-key",
                "CLAN_ID": self.sim.clan_id,
                "BUNGIE_API_ROOT": f"{self.sim.url}/Platform",
                "BUNGIE_STATS_ROOT": f"{self.sim.url}/Platform",
                "DATABASE_URL": self.database_url,
                "CLANACTORS_PORT": str(self.port),
                "CLANACTORS_ROSTER_INTERVAL": "2",
                "CLANACTORS_PROFILE_INTERVAL": "1",
                "CLANACTORS_MAX_RPS": "20",
                **self.settings,
            }
        )
        log = (self.folder / f"{self.name}.log").open("a")
        log.write(f"\n===== start {self.runs}\n")
        log.flush()
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "clanactors", "serve", *self.args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
        STARTED.append(self)
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def log_text(self) -> str:
        return (self.folder / f"{self.name}.log").read_text(errors="replace")

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def healthz(self) -> dict[str, Any]:
        return dict(requests.get(f"{self.url}/healthz", timeout=5).json())

    def polls(self) -> bool:
        return self.log_text().count("this process polls Bungie") >= self.runs

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def terminate(self) -> float:
        """SIGTERM; returns how long the process took to exit."""
        assert self.proc is not None
        began = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.proc.wait(30)
        return time.monotonic() - began

    def stop(self) -> None:
        if self.alive():
            self.terminate()


STARTED: list[Serve] = []


def stop_all() -> None:
    """Kill every serve process a scene left running (a failed assertion, say)."""
    while STARTED:
        serve = STARTED.pop()
        if serve.alive():
            serve.kill()


@dataclass
class Verdict:
    expected: set[str]
    recorded: Counter[str]
    lost: set[str]
    twice: set[str]
    invented: set[str]
    wrong_result: set[str]

    def __str__(self) -> str:
        return (
            f"{len(self.expected)} finished, {len(self.lost)} lost {sorted(self.lost)[:5]}, "
            f"{len(self.twice)} twice, {len(self.invented)} invented, "
            f"{len(self.wrong_result)} with the wrong result"
        )


def judge(sim: Sim, database_url: str, until: datetime) -> Verdict:
    """Compare finished activities in the log with the world's record.

    Judged: every instance the world finished after the database's first start and at
    least SETTLE_MARGIN before `until`, with at least one public clan member in it.
    """
    record = sim.record()
    private = set(record["private"])
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            horizon = conn.execute(select(Clan.first_synced_at)).scalar_one()
            rows = conn.execute(
                select(EventRow.instance_id, EventRow.kind).where(
                    EventRow.kind.in_(("activity_cleared", "activity_ended"))
                )
            ).all()
    finally:
        engine.dispose()
    if horizon.tzinfo is None:
        from datetime import UTC

        horizon = horizon.replace(tzinfo=UTC)
    finished = {}
    seen = set()
    for happening in record["record"]:
        seen.add(happening["instanceId"])
        at = iso(happening["at"])
        public = [m for m in happening["members"] if m not in private]
        if at >= horizon and public and (until - at).total_seconds() >= SETTLE_MARGIN:
            finished[happening["instanceId"]] = happening
    recorded = Counter(instance_id for instance_id, _ in rows)
    kinds = dict(rows)
    wrong = {
        i
        for i, h in finished.items()
        if i in kinds and (kinds[i] == "activity_cleared") != bool(h["cleared"])
    }
    return Verdict(
        expected=set(finished),
        recorded=recorded,
        lost=set(finished) - set(recorded),
        twice={i for i, n in recorded.items() if n > 1},
        invented=set(recorded) - seen,
        wrong_result=wrong,
    )


def settle(serve: Serve, limit: float = 120.0) -> None:
    """Wait until the poller has nothing left to record."""

    def done() -> bool:
        health = serve.healthz()
        return health["database"] == "ok" and health["recording"]["backlog"] == 0

    wait_for(done, limit, "the recording backlog to drain")


class ThrowawayPostgres:
    """A PostgreSQL server of this test's own (initdb + pg_ctl), never the shared one."""

    def __init__(self) -> None:
        bins = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
        if not bins:
            raise RuntimeError("no PostgreSQL binaries under /usr/lib/postgresql")
        self.bin = bins[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="clanactors-pg-"))
        self.data = self.dir / "data"
        self.port = free_port()
        self.user = "postgres" if os.geteuid() == 0 else None
        if self.user:
            shutil.chown(self.dir, self.user)
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")
        self.start()
        self._run("createdb", "-h", str(self.dir), "-p", str(self.port), "-U", "postgres", "chaos")
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/chaos"

    def _run(self, tool: str, *args: str) -> None:
        command = [str(self.bin / tool), *args]
        if self.user:
            command = ["runuser", "-u", self.user, "--", *command]
        subprocess.run(command, check=True, capture_output=True, timeout=60)

    def start(self) -> None:
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run(
            "pg_ctl",
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.dir / "log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
