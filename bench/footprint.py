"""Footprint of `clanactors serve` in demo mode: start-to-first-page time, RSS, threads.

    python bench/footprint.py [--settle 600] [--wrk 10] [--stuck 1000] [--hold 30] [--waves 2]

Starts the real command on a fresh SQLite database in a temporary folder (the simulator
runs in the same process), times until the first page shows the clan's members, lets it
run `--settle` seconds, then reads /proc for memory and threads. Then, if asked: `wrk`
loads `/api/members` and `/` for `--wrk` seconds each (RSS after); and `--stuck` WebSocket
clients connect and never read (a 4 KB receive buffer), are held `--hold` seconds (RSS
sampled every second, the highest kept), and are dropped at once (RSS 5 s and 30 s later);
then the same again, `--waves` times in all: freed memory the process keeps is reused.
"""

from __future__ import annotations

import argparse
import base64
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests
from common import free_port  # bench/common.py, beside this script
from load import wrk  # bench/load.py, beside this script


def proc_status(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def rss_mb(pid: int) -> float:
    return int(proc_status(pid)["VmRSS"].split()[0]) / 1024


def stuck_client(port: int) -> socket.socket:
    """A WebSocket client that completes the handshake and then never reads."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect(("127.0.0.1", port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall(
        f"GET /ws HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nUpgrade: websocket\r\n"
        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
        f"Sec-WebSocket-Version: 13\r\nOrigin: http://127.0.0.1:{port}\r\n\r\n".encode()
    )
    head = b""
    while b"\r\n\r\n" not in head:
        head += sock.recv(1)  # the response head only: the frames behind it stay unread
    assert head.startswith(b"HTTP/1.1 101"), head[:80]
    return sock


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--settle", type=float, default=60.0, help="seconds to run before reading")
    parser.add_argument("--wrk", type=int, default=0, help="seconds of wrk on each URL after")
    parser.add_argument("--stuck", type=int, default=0, help="WebSocket clients that never read")
    parser.add_argument("--hold", type=float, default=30.0, help="seconds the stuck ones stay")
    parser.add_argument("--waves", type=int, default=2, help="times the stuck crowd comes")
    args = parser.parse_args()
    if args.wrk and shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")
    folder = tempfile.mkdtemp(prefix="clanactors-footprint-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLANACTORS_", "BUNGIE_"))}
    env.pop("DATABASE_URL", None)
    env["CLANACTORS_WS_PER_ADDRESS"] = str(max(20, args.stuck + 10))  # all from 127.0.0.1
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "clanactors", "serve", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(Path(folder) / "serve.log", "w"),  # noqa: SIM115 - closed with the process
        text=True,
    )
    first_page = None
    try:
        while time.perf_counter() - started < 60:
            try:
                members = requests.get(f"http://127.0.0.1:{port}/api/members", timeout=2).json()
                if members["online"] or members["offline"]:
                    page = requests.get(f"http://127.0.0.1:{port}/", timeout=5)
                    if page.status_code == 200 and 'class="person"' in page.text:
                        first_page = time.perf_counter() - started
                        break
            except (requests.ConnectionError, ValueError, KeyError):
                pass
            time.sleep(0.05)
        at_first = proc_status(proc.pid)
        time.sleep(args.settle)
        status = proc_status(proc.pid)
        online = len(
            requests.get(f"http://127.0.0.1:{port}/api/members", timeout=5).json()["online"]
        )
        rows: list[tuple[str, str]] = []
        if args.wrk:
            for path in ("/api/members", "/"):
                rate = wrk(f"http://127.0.0.1:{port}{path}", args.wrk)
                rows.append((f"wrk -t1 -c50 -d{args.wrk}s {path}", f"{rate:,.0f} req/s"))
            rows.append(("RSS after wrk", f"{rss_mb(proc.pid):.1f} MB"))
        if args.stuck:
            time.sleep(5)
            rows.append((f"RSS before {args.stuck} stuck clients", f"{rss_mb(proc.pid):.1f} MB"))
            for wave in range(1, args.waves + 1):
                opened = time.perf_counter()
                socks = [stuck_client(port) for _ in range(args.stuck)]
                took = time.perf_counter() - opened
                highest = 0.0
                held_until = time.perf_counter() + args.hold
                while time.perf_counter() < held_until:
                    highest = max(highest, rss_mb(proc.pid))
                    time.sleep(1)
                held = f"wave {wave}: RSS while connected (highest over {args.hold:g} s)"
                rows.append((held, f"{highest:.1f} MB   (connected in {took:.1f} s)"))
                for sock in socks:
                    sock.close()
                time.sleep(5)
                rows.append(
                    (f"wave {wave}: RSS 5 s after they are dropped", f"{rss_mb(proc.pid):.1f} MB")
                )
                time.sleep(25)
                rows.append((f"wave {wave}: RSS 30 s after", f"{rss_mb(proc.pid):.1f} MB"))
            members = requests.get(f"http://127.0.0.1:{port}/api/members", timeout=5)
            rows.append(("/api/members afterwards", str(members.status_code)))
    finally:
        proc.terminate()
        proc.wait(20)
    rss = int(status["VmRSS"].split()[0]) / 1024
    hwm = int(status["VmHWM"].split()[0]) / 1024
    print(
        f"{'start to first page with members (SQLite, demo)':<50} {first_page:.2f} s"
        "   (target < 3 s)"
    )
    print(f"{'RSS at first page':<50} {int(at_first['VmRSS'].split()[0]) / 1024:.1f} MB")
    print(
        f"{f'RSS after {args.settle:g} s':<50} {rss:.1f} MB   (peak {hwm:.1f} MB, target < 150 MB)"
    )
    print(f"{'threads':<50} {status['Threads']}   ({online} members online)")
    for name, value in rows:
        print(f"{name:<50} {value}")
    print(f"{'exit code on SIGTERM':<50} {proc.returncode}")


if __name__ == "__main__":
    main()
