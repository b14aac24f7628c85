"""`serve` waits for a database that is not up yet (a reboot where PostgreSQL starts after
the app) instead of exiting: one log line, 503 meanwhile, a clean stop. A database that
refuses the settings is still a one-line exit 2. The whole wait-then-serve path against a
real PostgreSQL that starts late is in tests/chaos/."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from tests.test_multiprocess import free_port, wait_for

pytestmark = pytest.mark.postgres


def serve(database_url: str, folder: Path, port: int) -> tuple[subprocess.Popen[bytes], Path]:
    log = folder / "serve.log"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLANACTORS_", "BUNGIE_"))}
    env.update(
        {
            "BUNGIE_API_KEY": "wait-key",
            "CLAN_ID": "42",
            "BUNGIE_API_ROOT": "http://127.0.0.1:9/Platform",
            "DATABASE_URL": database_url,
            "CLANACTORS_PORT": str(port),
        }
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "clanactors", "serve"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log.open("w"),
    )
    return proc, log


def test_a_database_not_up_yet_is_waited_for_with_503(tmp_path: Path) -> None:
    nobody = free_port()  # nothing listens there: connection refused, as after a reboot
    port = free_port()
    proc, log = serve(f"postgresql+psycopg://postgres@127.0.0.1:{nobody}/clan", tmp_path, port)
    try:
        url = f"http://127.0.0.1:{port}/healthz"
        wait_for(lambda: requests.get(url, timeout=5).status_code, 30, "/healthz")
        answer = requests.get(url, timeout=5)
        assert answer.status_code == 503
        assert answer.json() == {
            "status": "degraded",
            "reasons": ["waiting for the database"],
            "database": "error",
        }
        page = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert page.status_code == 503 and "waiting for its database" in page.text
        assert "default-src" in page.headers["Content-Security-Policy"]
        api = requests.get(f"http://127.0.0.1:{port}/api/members", timeout=5)
        assert api.status_code == 503 and json.loads(api.text) == {
            "error": "waiting for the database"
        }
        time.sleep(5)  # a few more tries of the database: still one line, still running
        assert proc.poll() is None
        text = log.read_text()
        assert text.count("is not up yet") == 1, text
        assert "Traceback" not in text and "503 GET" not in text
    finally:
        began = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(15)
        stopped_in = time.monotonic() - began
    assert code == 0 and stopped_in < 10
    assert "stopped while waiting for the database" in log.read_text()


def test_a_database_that_refuses_the_settings_is_exit_2(
    tmp_path: Path, postgres_url: str
) -> None:
    # The server answers, but there is no such database: a wrong setting, not a wait.
    wrong = postgres_url.rsplit("/", 1)[0] + "/no_such_database_here"
    proc, log = serve(wrong, tmp_path, free_port())
    assert proc.wait(30) == 2
    lines = [line for line in log.read_text().splitlines() if line.strip()]
    assert len(lines) == 1 and "DATABASE_URL" in lines[0] and "does not exist" in lines[0]
