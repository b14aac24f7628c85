"""HTTP throughput of /api/members and / against a bare Tornado hello-world handler.

    python bench/http_throughput.py [--seconds 10] [--connections 50]

One process serves the real app (snapshot from a running actor system on the simulated
clan) plus a hello-world route on the same IOLoop; wrk (a separate process) loads each
URL in turn with the same threads and connections, twice, alternating.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import tornado.web

from clanactors.testing.rig import Rig
from clanactors.testing.web import WebServer


class Hello(tornado.web.RequestHandler):
    def get(self) -> None:
        self.write("Hello, world")


def wrk(url: str, seconds: int, connections: int) -> float:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match.group(1))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=50)
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")

    folder = Path(tempfile.mkdtemp(prefix="clanactors-http-"))
    rig = Rig(f"sqlite:///{folder / 'http.db'}", start=datetime.now(UTC).replace(microsecond=0))
    web = WebServer(rig.db).start()
    web.call(lambda: web.app.add_handlers(r".*", [(r"/bench/hello", Hello)]))
    rig.start(listeners=(web.listener,))
    rig.run(300, step=5)
    members = web.call(lambda: web.hub.snapshot.members)
    size = len(__import__("requests").get(f"{web.url}/api/members", timeout=10).content)

    urls = {"hello world": "/bench/hello", "/api/members": "/api/members", "/ (page)": "/"}
    rates: dict[str, list[float]] = {name: [] for name in urls}
    for _round in range(2):
        for name, path in urls.items():
            rates[name].append(wrk(f"{web.url}{path}", args.seconds, args.connections))
    hello = max(rates["hello world"])
    print(
        f"{len(members['online'])} online / {len(members['offline'])} offline members; "
        f"/api/members is {size / 1024:.0f} KB; wrk -t1 -c{args.connections} "
        f"-d{args.seconds}s, two alternating rounds, best of two\n"
    )
    print(f"{'url':<14} {'req/s':>9} {'vs hello':>9}")
    for name in urls:
        best = max(rates[name])
        print(f"{name:<14} {best:>9.0f} {best / hello:>8.0%}")
    print("\ntarget: at least 50% of the hello-world rate")
    rig.stop()
    web.stop()
    rig.close()


if __name__ == "__main__":
    main()
