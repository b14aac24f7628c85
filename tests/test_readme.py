"""README's commands, run as written (so the README cannot drift from the code): the
simulator recipe and the events examples."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

from clanactors import events
from clanactors.store.db import Database, migrate
from clanactors.store.eventlog import record_event
from clanactors.store.models import Member
from tests.chaos.rig import free_port

README = Path(__file__).parent.parent / "README.md"


def shell_blocks() -> list[str]:
    return re.findall(r"```sh\n(.*?)```", README.read_text(encoding="utf-8"), re.S)


def block_starting(prefix: str) -> str:
    (block,) = [b for b in shell_blocks() if b.lstrip().startswith(prefix)]
    return block


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLANACTORS_", "BUNGIE_"))}
    env.pop("DATABASE_URL", None)
    env.pop("CLAN_ID", None)
    env.update(extra)
    return env


def test_the_simulator_recipe_works_as_pasted(tmp_path: Path) -> None:
    recipe = block_starting("clanactors sim --port 8001 &")
    port = str(free_port())  # the recipe as written, on a port free on this machine
    script = "set -e\n" + recipe.replace("8001", port)
    proc = subprocess.Popen(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=clean_env(CLANACTORS_PORT="0"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    assert proc.stdout is not None
    seen = []
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if not line and proc.poll() is not None:
                break
            seen.append(line)
            if "listening on http" in line:
                break
        output = "".join(seen)
        assert "listening on http" in output, output
        assert "error" not in output.lower(), output
        assert (tmp_path / "sim-clan.db").exists()
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(20)


def test_the_events_examples_run(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clan.db'}"
    migrate(url)
    db = Database(url)
    now = datetime.now(UTC)
    with db.session() as session:
        session.add(
            Member(
                membership_id="4611686018000000001",
                membership_type=3,
                display_name="Zoe",
                bungie_name="Zoe#0042",
                rank="Member",
                updated_at=now,
            )
        )
        record_event(session, events.member_joined("4611686018000000001", "Zoe", now), now)
    db.dispose()
    lines = [
        line
        for block in shell_blocks()
        for line in block.splitlines()
        if line.startswith("clanactors events")
    ]
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
    member = subprocess.run(
        ["bash", "-c", "clanactors events --member Zoe --json"],
        env=clean_env(DATABASE_URL=url),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert "joined the clan" in member.stdout
