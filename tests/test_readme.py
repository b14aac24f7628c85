"""README's commands, run as written, so the README cannot drift from the code.

Every `sh` block is run by a test here (with this machine's free ports, and the simulator
standing in for Bungie where a block needs a real clan), except the Docker one: CI has no
Docker daemon, so tests/test_docker.py repeats the image's steps instead. Every `sql`
block runs against PostgreSQL, and the ones marked for SQLite against SQLite too. And the
operator commands are run in a folder holding both the clan's and the demo's database.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest
import requests
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

from clanactors.core.clock import ScaledClock
from clanactors.domain import events
from clanactors.process import cli
from clanactors.sim.server import RunningSimulator, Simulator
from clanactors.store.db import Database, migrate
from clanactors.store.eventlog import record_event
from clanactors.store.models import Member
from clanactors.store.roster import claim_clan
from tests.conftest import IN_CI

ROOT = Path(__file__).parent.parent
README = ROOT / "README.md"
NGINX_EXAMPLE = ROOT / "docs" / "nginx-clanactors.conf"


@dataclass(frozen=True)
class Block:
    language: str
    code: str
    before: str  # the README text just before the block

    @property
    def first(self) -> str:
        return self.code.strip().splitlines()[0]


def blocks(language: str) -> list[Block]:
    readme = README.read_text(encoding="utf-8")
    found = []
    for match in re.finditer(r"^( *)```(\w+)\n(.*?)^\1```", readme, re.M | re.S):
        if match.group(2) == language:
            code = textwrap.dedent(match.group(3))
            found.append(Block(language, code, readme[max(0, match.start() - 300) : match.start()]))
    return found


def block_starting(prefix: str) -> str:
    (block,) = [b.code for b in blocks("sh") if b.first.startswith(prefix)]
    return block


# What runs each sh block, by how the block starts.
QUICK_START = "python3 -m venv .venv && . .venv/bin/activate && pip install . &&"
TEST_COMMAND = "python3 -m venv .venv && . .venv/bin/activate && pip install -e '.[test]'"
POSTGRES = "sudo -u postgres createuser"
RUN_IT = "export BUNGIE_API_KEY=..."
EVENTS = "clanactors events"
DOCKER = "docker build"  # not run: no Docker daemon in CI; tests/test_docker.py instead
SIM = "clanactors sim --port"
FAULTS = "curl -s -X POST"


def test_every_shell_block_is_run_by_a_test() -> None:
    known = (QUICK_START, TEST_COMMAND, POSTGRES, RUN_IT, EVENTS, DOCKER, SIM, FAULTS)
    firsts = [b.first for b in blocks("sh")]
    assert [f for f in firsts if not f.startswith(known)] == []
    assert len(firsts) == len(known)  # each block once


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def clean_env(**extra: str) -> dict[str, str]:
    """The operator's shell: none of clanactors' settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLANACTORS_", "BUNGIE_"))}
    for name in ("DATABASE_URL", "CLAN_ID", "VIRTUAL_ENV", "PGHOST", "PGPORT", "PGUSER"):
        env.pop(name, None)
    env.update(extra)
    return env


class Shell:
    """A pasted block running in bash, in its own process group; its output is read on a
    thread, so a block that hangs fails the test instead of hanging it."""

    def __init__(self, script: str, cwd: Path, env: dict[str, str]) -> None:
        self.proc = subprocess.Popen(
            ["bash", "-c", "set -e\n" + script],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        self.seen: list[str] = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line)
        self.lines.put(None)  # the output ended

    def wait_for(self, words: str, limit: float) -> str:
        """Read until a line holds `words`; the output so far, or fail naming it."""
        deadline = time.monotonic() + limit
        while (left := deadline - time.monotonic()) > 0:
            try:
                line = self.lines.get(timeout=left)
            except queue.Empty:
                break
            if line is None:
                break
            self.seen.append(line)
            if words in line:
                return "".join(self.seen)
        raise AssertionError(f"no {words!r} in:\n" + "".join(self.seen)[-4000:])

    def stop(self) -> int:
        """Stop the block and whatever it started in the background."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGTERM)
        return self.proc.wait(30)


def listening_url(output: str) -> str:
    found = re.findall(r"listening on (http://\S+?)/?$", output, re.M)
    assert found, output
    return found[-1].replace("0.0.0.0", "127.0.0.1")


# --------------------------------------------------------------------------- start


def test_the_quick_start_runs_the_demo_as_pasted(tmp_path: Path) -> None:
    """A fresh virtual environment, `pip install .` and the demo, in a copy of the source."""
    block = block_starting(QUICK_START)
    src = tmp_path / "clanactors"
    shutil.copytree(
        ROOT,
        src,
        ignore=shutil.ignore_patterns(
            ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", "*.db", ".*cache"
        ),
    )
    shell = Shell(block, src, clean_env(CLANACTORS_PORT=str(free_port())))
    try:
        output = shell.wait_for("listening on http", 900)
        assert requests.get(listening_url(output) + "/healthz", timeout=10).status_code == 200
        assert "demo mode" in output
        assert (src / "clanactors-demo.db").is_file() and not (src / "clanactors.db").exists()
    finally:
        shell.stop()


def test_the_test_command_is_the_one_ci_runs() -> None:
    """Running the test suite from inside it would be circular: .ci/run runs it as written."""
    command = block_starting(TEST_COMMAND).strip()
    assert command in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()


# ---------------------------------------------------------------- running it for real


class StockPostgres:
    """A throw-away PostgreSQL cluster set up as Debian's and Ubuntu's packages set theirs
    up: run by the system user `postgres`, peer authentication on the local socket, a
    password (scram-sha-256) on every TCP connection."""

    def __init__(self) -> None:
        found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
        if os.geteuid() != 0 or not found or not shutil.which("runuser"):
            reason = "needs root, runuser and PostgreSQL's binaries (as CI has)"
            if IN_CI:
                pytest.fail(f"CI=true but the PostgreSQL recipe test {reason}")
            pytest.skip(reason)
        self.bin = found[-1].parent
        self.dir = Path(tempfile.mkdtemp(prefix="clanactors-stock-pg-"))
        shutil.chown(self.dir, "postgres")
        self.port = free_port()
        self._run(
            "initdb", "-D", f"{self.dir}/data", "-U", "postgres", "--no-sync",
            "--auth-local=peer", "--auth-host=scram-sha-256",
        )  # fmt: skip
        options = f"-p {self.port} -k {self.dir} -c listen_addresses=localhost -c fsync=off"
        self._run("pg_ctl", "-D", f"{self.dir}/data", "-o", options, "-l", f"{self.dir}/log",
                  "-w", "start")  # fmt: skip

    def _run(self, tool: str, *args: str) -> None:
        command = ["runuser", "-u", "postgres", "--", str(self.bin / tool), *args]
        subprocess.run(command, check=True, capture_output=True, timeout=120)

    def destroy(self) -> None:
        try:
            self._run("pg_ctl", "-D", f"{self.dir}/data", "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def stock_postgres() -> Iterator[StockPostgres]:
    server = StockPostgres()
    yield server
    server.destroy()


def test_the_postgresql_recipe_works_on_a_stock_debian_server(
    stock_postgres: StockPostgres,
) -> None:
    recipe = block_starting(POSTGRES)
    password = "Tr0ub4dor3"
    # `sudo -u USER command` as root without sudo installed: runuser does the same.
    sudo = 'sudo() { [ "$1" = -u ] || exit 64; u=$2; shift 2; runuser -u "$u" -- "$@"; }\n'
    script = sudo + recipe.replace("PASSWORD", password) + "clanactors migrate\n"
    done = subprocess.run(
        ["bash", "-c", "set -e\n" + script],
        cwd=stock_postgres.dir,  # a folder the user `postgres` may enter too
        env=clean_env(PGHOST=str(stock_postgres.dir), PGPORT=str(stock_postgres.port)),
        input=f"{password}\n{password}\n",  # --pwprompt asks twice (no terminal: stdin)
        capture_output=True,
        text=True,
        timeout=180,
        start_new_session=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "is at the newest schema" in done.stderr


@pytest.fixture
def bungie() -> Iterator[RunningSimulator]:
    """Bungie for the blocks that need a real clan: the simulator, at its own address."""
    running = RunningSimulator(Simulator(seed=5, clock=ScaledClock())).start()
    yield running
    running.stop()


def test_running_it_for_a_clan_as_pasted(bungie: RunningSimulator, tmp_path: Path) -> None:
    block = block_starting(RUN_IT)
    assert "CLAN_ID=3074427" in block
    root = f"{bungie.url}/Platform"
    env = clean_env(BUNGIE_API_ROOT=root, BUNGIE_STATS_ROOT=root, CLANACTORS_PORT=str(free_port()))
    shell = Shell(block.replace("3074427", bungie.clan_id), tmp_path, env)
    try:
        output = shell.wait_for("listening on http", 120)
        assert requests.get(listening_url(output) + "/healthz", timeout=10).status_code == 200
        assert (tmp_path / "clanactors.db").is_file()  # the clan's default database
    finally:
        shell.stop()


# ------------------------------------------------------------------ operator commands


def add_member(session: Session, membership_id: str, name: str) -> None:
    session.add(
        Member(
            membership_id=membership_id,
            membership_type=3,
            display_name=name,
            bungie_name=f"{name}#0042",
            rank="Member",
            updated_at=datetime.now(UTC),
        )
    )


def test_the_events_examples_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clan.db'}"
    migrate(url)
    db = Database(url)
    now = datetime.now(UTC)
    with db.session() as session:
        add_member(session, "4611686018000000001", "Zoë")  # README: `--member Zoe`
        record_event(session, events.member_joined("4611686018000000001", "Zoë", now), now)
    db.dispose()
    lines = [line for line in block_starting(EVENTS).splitlines() if line.strip()]
    assert len(lines) >= 2
    for line in lines:
        result = subprocess.run(
            ["bash", "-c", line],
            env=clean_env(DATABASE_URL=url),
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, (line, result.stderr)
        if "--member Zoe" in line:
            assert "Zoë joined the clan" in result.stdout, result.stdout


def clan_database(path: Path, clan_id: str, demo: bool, who: str) -> None:
    """A database as `serve` leaves it: migrated, claimed for a clan, one join."""
    url = f"sqlite:///{path}"
    migrate(url)
    db = Database(url)
    now = datetime.now(UTC)
    with db.session() as session:
        claim_clan(session, clan_id, demo, now)
        add_member(session, "4611686018000000009", who)
        record_event(session, events.member_joined("4611686018000000009", who, now), now)
    db.dispose()


def operator(folder: Path, command: str) -> subprocess.CompletedProcess[str]:
    """A command in the operator's shell: the key and DATABASE_URL are the service's."""
    return subprocess.run(
        ["bash", "-c", command],
        cwd=folder,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_operator_commands_in_a_folder_holding_both_databases(tmp_path: Path) -> None:
    clan_database(tmp_path / "clanactors.db", "3074427", False, "Real Guardian")
    first = operator(tmp_path, "clanactors events")
    assert first.returncode == 0, first.stderr
    assert "Real Guardian joined the clan" in first.stdout
    assert "sqlite:///clanactors.db" in first.stderr and "the real clan 3074427" in first.stderr
    assert not (tmp_path / "clanactors-demo.db").exists()  # reading created nothing

    # The demo was tried in this folder too.
    clan_database(tmp_path / "clanactors-demo.db", "6433012", True, "Demo Guardian")
    demo_bytes = hashlib.sha256((tmp_path / "clanactors-demo.db").read_bytes()).hexdigest()
    for command in ("clanactors events", "clanactors migrate"):
        done = operator(tmp_path, command)
        assert done.returncode == 0, (command, done.stderr)
        assert "clanactors.db" in done.stderr and "Demo Guardian" not in done.stdout, command
        assert "clanactors-demo.db is here too" in done.stderr, command
        if command.startswith("clanactors events"):
            assert "Real Guardian joined the clan" in done.stdout, command
    assert "sqlite:///clanactors.db is at the newest schema" in done.stderr
    assert hashlib.sha256((tmp_path / "clanactors-demo.db").read_bytes()).hexdigest() == (
        demo_bytes
    )


# --------------------------------------------------------------------- the simulator


def sim_port() -> str:
    """The port README's simulator blocks use: `clanactors sim`'s default."""
    return str(cli.build_parser().parse_args(["sim"]).port)


def test_the_simulator_recipe_works_as_pasted(tmp_path: Path) -> None:
    recipe = block_starting(SIM)
    port = str(free_port())  # the recipe as written, on a port free on this machine
    shell = Shell(recipe.replace(sim_port(), port), tmp_path, clean_env(CLANACTORS_PORT="0"))
    try:
        output = shell.wait_for("listening on http", 90)
        assert "error" not in output.lower(), output
        assert (tmp_path / "sim-clan.db").exists()
    finally:
        shell.stop()


def test_the_simulator_recipe_gives_up_waiting() -> None:
    (wait,) = [line for line in block_starting(SIM).splitlines() if "until curl" in line]
    assert wait.startswith("timeout 30 "), wait
    nobody = str(free_port())  # nothing listens there
    started = time.monotonic()
    done = subprocess.run(
        ["bash", "-c", wait.replace("timeout 30 ", "timeout 2 ").replace(sim_port(), nobody)],
        capture_output=True,
        timeout=30,
    )
    assert done.returncode != 0 and time.monotonic() - started < 20


def test_the_simulator_and_the_nginx_example_use_different_ports() -> None:
    nginx = set(re.findall(r"127\.0\.0\.1:(\d+)", NGINX_EXAMPLE.read_text(encoding="utf-8")))
    simulator = set(re.findall(r"127\.0\.0\.1:(\d+)", block_starting(SIM)))
    simulator |= set(re.findall(r"--port (\d+)", block_starting(SIM)))
    assert nginx and simulator == {sim_port()}
    assert not nginx & simulator


def test_the_fault_example_switches_an_html_maintenance_on_and_off(
    bungie: RunningSimulator,
) -> None:
    on, off = [line for line in block_starting(FAULTS).splitlines() if line.strip()]
    group = f"{bungie.url}/Platform/GroupV2/{bungie.clan_id}/"

    def answer() -> requests.Response:
        return requests.get(group, headers={"X-API-Key": "k"}, timeout=10)

    def run(line: str) -> None:
        done = subprocess.run(
            ["bash", "-c", line.replace(sim_port(), str(bungie.port))],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert done.returncode == 0 and '"error"' not in done.stdout, (line, done.stdout)

    assert answer().status_code == 200
    run(on)
    down = answer()
    assert down.status_code == 503 and down.headers["Content-Type"].startswith("text/html")
    assert "maintenance" in down.text
    run(off)
    assert answer().json()["ErrorCode"] == 1


# -------------------------------------------------------------------------- the SQL


def test_the_sql_examples_run(postgres_url: str, sqlite_url: str) -> None:
    examples = blocks("sql")
    assert len(examples) >= 6
    for url in (postgres_url, sqlite_url):
        migrate(url)
        db = Database(url)
        now = datetime.now(UTC)
        with db.session() as session:
            add_member(session, "4611686018467284386", "Zoë")
            raid = events.ActivityRef(3881495763, "Vault of Glass", 4)
            finished = events.activity_finished(
                {"4611686018467284386": "Zoë"}, raid, "77", now, True
            )
            record_event(session, finished, now)
        db.dispose()
    on_sqlite = [b for b in examples if "SQLite works too" in b.before.split("```")[-1]]
    assert on_sqlite
    for url, chosen in ((postgres_url, examples), (sqlite_url, on_sqlite)):
        engine = create_engine(url)
        try:
            with engine.connect() as conn:
                for block in chosen:
                    for statement in filter(str.strip, block.code.split(";")):
                        conn.execute(text(statement)).all()
        finally:
            engine.dispose()
