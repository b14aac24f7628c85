"""README's reverse-proxy example, exercised with the real nginx: two `serve` processes on
one PostgreSQL database behind docs/nginx-clanactors.conf, pages and WebSockets through it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import pytest
import requests
import websocket

from tests.chaos.rig import Serve, Sim, free_port, stop_all, wait_for
from tests.conftest import IN_CI

EXAMPLE = Path(__file__).parent.parent / "docs" / "nginx-clanactors.conf"
NGINX = shutil.which("nginx") or "/usr/sbin/nginx"


@pytest.fixture
def nginx_binary() -> str:
    if not os.path.exists(NGINX):
        if IN_CI:
            pytest.fail("CI=true but nginx is not installed (.ci/run installs it)")
        pytest.skip("nginx is not installed")
    return NGINX


def nginx_conf(folder: Path, listen: int, ports: tuple[int, int]) -> Path:
    """The README's example as it is, with this test's ports, in a minimal nginx.conf."""
    example = EXAMPLE.read_text()
    example = example.replace("listen 80;", f"listen 127.0.0.1:{listen};")
    example = example.replace("127.0.0.1:8001", f"127.0.0.1:{ports[0]}")
    example = example.replace("127.0.0.1:8002", f"127.0.0.1:{ports[1]}")
    (folder / "clanactors.conf").write_text(example)
    user = "user root;" if os.geteuid() == 0 else ""
    conf = folder / "nginx.conf"
    conf.write_text(
        f"""{user}
worker_processes 1;
pid {folder}/nginx.pid;
error_log {folder}/error.log;
events {{ worker_connections 256; }}
http {{
    access_log {folder}/access.log;
    client_body_temp_path {folder}/body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    include {folder}/clanactors.conf;
}}
"""
    )
    return conf


@pytest.mark.postgres
def test_two_processes_behind_nginx(nginx_binary: str, postgres_url: str, tmp_path: Path) -> None:
    sim = Sim(seed=7, pace=1.0)
    proxy = None
    try:
        trusted = {"CLANACTORS_TRUSTED_PROXIES": "127.0.0.1", "CLANACTORS_ROSTER_INTERVAL": "2"}
        first = Serve(sim, postgres_url, tmp_path, "first", dict(trusted)).start()
        wait_for(first.polls, 60, "the first process to poll")
        second = Serve(sim, postgres_url, tmp_path, "second", dict(trusted)).start()
        wait_for(lambda: second.healthz()["database"] == "ok", 60, "the second process")
        listen = free_port()
        conf = nginx_conf(tmp_path, listen, (first.port, second.port))
        check = subprocess.run(
            [nginx_binary, "-t", "-c", str(conf)], capture_output=True, text=True, timeout=30
        )
        assert check.returncode == 0, check.stderr
        proxy = subprocess.Popen(
            [nginx_binary, "-c", str(conf), "-g", "daemon off;"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{listen}"
        wait_for(lambda: requests.get(f"{url}/healthz", timeout=5).ok, 30, "nginx")
        for _ in range(4):  # round robin: both processes answer
            page = requests.get(f"{url}/", timeout=10)
            assert page.status_code == 200 and "Content-Security-Policy" in page.headers
            assert requests.get(f"{url}/api/members", timeout=10).json()["online"] is not None
        # /metrics is not for the public: nginx refuses it; each process serves its own.
        assert requests.get(f"{url}/metrics", timeout=10).status_code == 403
        direct = requests.get(f"http://127.0.0.1:{first.port}/metrics", timeout=10)
        assert direct.status_code == 200 and "clanactors_" in direct.text
        ws = websocket.create_connection(f"ws://127.0.0.1:{listen}/ws", timeout=10)
        assert json.loads(ws.recv())["type"] == "snapshot"
        ws.close()
        time.sleep(0.5)
        # Behind the trusted proxy the access log (4xx lines) shows the client, not nginx.
        forwarded = requests.get(
            f"{url}/no-such-page", headers={"X-Forwarded-For": "203.0.113.9"}, timeout=10
        )
        assert forwarded.status_code == 404
        # (The log line is written as the request finishes: wait for it, do not race it.)
        wait_for(
            lambda: "203.0.113.9" in first.log_text() + second.log_text(),
            10,
            "the forwarded client address in the access log",
        )
    finally:
        if proxy is not None:
            proxy.terminate()
            proxy.wait(10)
        stop_all()
        sim.stop()
