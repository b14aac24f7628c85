"""Footprint of `clanactors serve` in demo mode: start-to-first-page time, RSS, threads.

    python bench/footprint.py [--settle 60]

Starts the real command on a fresh SQLite database in a temporary folder, times until the
first page shows the clan's members, lets it run, then reads /proc for memory and threads.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid: int) -> dict[str, str]:
    fields = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, value = line.partition(":")
        fields[key] = value.strip()
    return fields


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--settle", type=float, default=60.0, help="seconds to run before reading")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="clanactors-footprint-")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLANACTORS_", "BUNGIE_"))}
    env.pop("DATABASE_URL", None)
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "clanactors", "serve", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
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
    print(f"{'exit code on SIGTERM':<50} {proc.returncode}")


if __name__ == "__main__":
    main()
