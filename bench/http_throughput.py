"""HTTP throughput of /api/members and / against a bare Tornado handler sending the same bytes.

    python bench/http_throughput.py [--seconds 5] [--connections 50] [--rounds 2] [--step 5]

One process serves the real app (the actor system on the simulated clan, `clanactors.testing`
rig, its snapshot in the hub) plus, on the same IOLoop, a bare `RequestHandler` that writes
a copy of each URL's body (the same bytes, the same Content-Type, nothing else). wrk (a
separate process) loads each URL and its bare twin in turn with the same threads and
connections, alternating, `--rounds` times; the best of each is kept.

Two conditions, in the same run: idle (the clan's clock stands still), and busy: a thread
steps the clan's simulated clock `--step` seconds every wall second (the clan at 5x speed
by default), so members are polled, snapshots are published to the hub, events are stored
and the front page is rendered anew while wrk runs, for the bare handler as much as for
the real one.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import requests
import tornado.web
from load import wrk  # bench/load.py, beside this script

from clanactors.testing.rig import Rig
from clanactors.testing.web import WebServer

BODIES: dict[str, tuple[str, bytes]] = {}  # name -> (Content-Type, body)


class Bare(tornado.web.RequestHandler):
    def get(self, name: str) -> None:
        content_type, body = BODIES[name]
        self.set_header("Content-Type", content_type)
        self.write(body)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--connections", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--step", type=float, default=5.0, help="simulated seconds a second")
    args = parser.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("needs wrk: apt-get install wrk")

    folder = Path(tempfile.mkdtemp(prefix="clanactors-http-"))
    rig = Rig(f"sqlite:///{folder / 'http.db'}", start=datetime.now(UTC).replace(microsecond=0))
    web = WebServer(rig.db).start()
    web.call(lambda: web.app.add_handlers(r".*", [(r"/bench/bare/(\w+)", Bare)]))
    rig.start(listeners=(web.listener,))
    rig.run(300, step=5)
    members = web.call(lambda: web.hub.snapshot.members)
    urls = {"members": "/api/members", "page": "/"}
    for name, path in urls.items():
        answer = requests.get(f"{web.url}{path}", timeout=10)
        BODIES[name] = (answer.headers["Content-Type"], answer.content)

    busy = threading.Event()
    stop = threading.Event()
    steps = [0]

    def churn() -> None:
        while not stop.is_set():
            if busy.is_set():
                started = time.monotonic()
                rig.run(args.step, step=args.step)
                steps[0] += 1
                time.sleep(max(0.0, started + 1.0 - time.monotonic()))  # a step a second
            else:
                busy.wait(0.1)

    stepper = threading.Thread(target=churn, daemon=True)
    stepper.start()
    rates: dict[tuple[str, str, str], list[float]] = {}
    versions: dict[str, int] = {}
    for condition in ("idle", "busy"):
        if condition == "busy":
            busy.set()
        first = web.call(lambda: web.hub.snapshot.version)
        started = time.monotonic()
        for _round in range(args.rounds):
            for name, path in urls.items():
                for kind, url in (("real", path), ("bare", f"/bench/bare/{name}")):
                    rate = wrk(f"{web.url}{url}", args.seconds, args.connections)
                    rates.setdefault((condition, name, kind), []).append(rate)
        busy.clear()
        changed = web.call(lambda: web.hub.snapshot.version) - first
        versions[condition] = round(changed / (time.monotonic() - started), 1)
    stop.set()
    stepper.join(60)

    print(
        f"{len(members['online'])} online / {len(members['offline'])} offline members; "
        f"/api/members is {len(BODIES['members'][1]) / 1024:.1f} KB, / is "
        f"{len(BODIES['page'][1]) / 1024:.1f} KB; wrk -t1 -c{args.connections} "
        f"-d{args.seconds}s, {args.rounds} alternating rounds, best of each; busy: "
        f"{steps[0]} clock steps of {args.step:g} s, one a second, while wrk ran; new "
        f"snapshots per second: idle {versions['idle']}, busy {versions['busy']}\n"
    )
    print(f"{'condition':<10} {'url':<14} {'req/s':>9} {'bare, same bytes':>17} {'ratio':>7}")
    for condition in ("idle", "busy"):
        for name, path in urls.items():
            real = max(rates[(condition, name, "real")])
            bare = max(rates[(condition, name, "bare")])
            print(f"{condition:<10} {path:<14} {real:>9.0f} {bare:>17.0f} {real / bare:>7.0%}")
    print("\ntarget: at least 80% of the bare handler's rate for the same bytes")
    rig.stop()
    web.stop()
    rig.close()


if __name__ == "__main__":
    main()
