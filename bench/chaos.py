"""Finished activities lost or recorded twice under each chaos scene, and what overload
costs in recording lag and presence staleness.

    python bench/chaos.py [--scenes kill_9,sigterm_restart,...] [--seed 7]

Each scene (tests/chaos/scenes.py, the same ones the chaos tests play) runs real `serve`
processes against the simulator at two simulated hours a minute; the event log is then
compared with the world's own record (/sim/record). Needs PostgreSQL for the two scenes
that use it: the shared server at TEST_DATABASE_URL for the poller takeover, a
throw-away one (initdb, pg_ctl) for the outage.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import uuid
from datetime import timedelta
from pathlib import Path

from sqlalchemy import create_engine, select, text

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from clanactors.store.db import migrate
from clanactors.store.models import EventRow
from tests.chaos import scenes
from tests.chaos.rig import Sim, ThrowawayPostgres, iso, judge, settle, stop_all

SCENES = [
    "kill_9",
    "sigterm_restart",
    "poller_killed",
    "database_down",
    "maintenance",
    "overloaded",
]


def p95(values: list[float]) -> float:
    if not values:
        return float("nan")
    return sorted(values)[max(0, round(0.95 * len(values)) - 1)]


def event_lags(sim: Sim, database_url: str) -> list[float]:
    """Wall seconds from each finished activity's end to its event being stored."""
    clock = sim.running.world.clock
    record = {h["instanceId"]: iso(h["at"]) for h in sim.record()["record"]}
    engine = create_engine(database_url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(EventRow.instance_id, EventRow.recorded_at).where(
                EventRow.kind.in_(("activity_cleared", "activity_ended"))
            )
        ).all()
    engine.dispose()
    lags = []
    for instance_id, recorded_at in rows:
        ended = record.get(instance_id)
        if ended is None:
            continue
        start = clock._start  # the wall moment the simulated clock began
        ended_wall = start + timedelta(seconds=(ended - start).total_seconds() / clock.pace)
        if recorded_at.tzinfo is None:
            recorded_at = recorded_at.replace(tzinfo=ended_wall.tzinfo)
        lags.append((recorded_at - ended_wall).total_seconds())
    return lags


def shared_postgres() -> tuple[str, str]:
    admin = os.environ.get("TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    name = f"clanactors_bench_{uuid.uuid4().hex[:8]}"
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    engine.dispose()
    return admin, admin.rsplit("/", 1)[0] + f"/{name}"


def drop(admin: str, url: str) -> None:
    engine = create_engine(admin, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)'))
    engine.dispose()


def run(name: str, seed: int) -> dict[str, object]:
    folder = Path(tempfile.mkdtemp(prefix=f"chaos-{name}-"))
    sim = Sim(seed=seed)
    pg = None
    admin = url = ""
    try:
        if name == "database_down":
            pg = ThrowawayPostgres()
            scene = scenes.database_down(sim, pg, folder)
        elif name == "poller_killed":
            admin, url = shared_postgres()
            migrate(url)
            scene = scenes.poller_killed(sim, url, folder)
        else:
            scene = getattr(scenes, name)(sim, f"sqlite:///{folder / 'clanactors.db'}", folder)
        settle(scene.serve, limit=300)
        verdict = judge(sim, scene.database_url, scene.seen.pop("until", None) or sim.now())
        lags = event_lags(sim, scene.database_url)
        row: dict[str, object] = {
            "scene": name,
            "finished": len(verdict.expected),
            "lost": len(verdict.lost),
            "twice": len(verdict.twice),
            "invented": len(verdict.invented),
            "wrong": len(verdict.wrong_result),
            "lag_p50": statistics.median(lags) if lags else float("nan"),
            "lag_p95": p95(lags),
            "seen": scene.seen,
        }
        scene.stop()
        return row
    finally:
        stop_all()
        sim.stop()
        if pg is not None:
            pg.destroy()
        if url:
            drop(admin, url)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenes", default=",".join(SCENES))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    rows = [run(name, args.seed) for name in args.scenes.split(",")]
    print(
        "| scene | finished | lost | recorded twice | invented | wrong result | "
        "event lag p50 s | p95 s |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['scene']} | {r['finished']} | {r['lost']} | {r['twice']} | "
            f"{r['invented']} | {r['wrong']} | {r['lag_p50']:.1f} | {r['lag_p95']:.1f} |"
        )
    for r in rows:
        seen = dict(r["seen"])  # type: ignore[call-overload]
        samples = seen.pop("samples", None)
        if samples:
            lags = [lag for lag, _ in samples]
            waits = [wait for _, wait in samples]
            print(
                f"\n{r['scene']}: /healthz sampled each second for {len(samples)} s: "
                f"recording lag p50 {statistics.median(lags):.1f} s, p95 {p95(lags):.1f} s; "
                f"presence wait p50 {statistics.median(waits):.1f} s, p95 {p95(waits):.1f} s"
            )
        seen.pop("statuses", None)
        if seen:
            print(f"{r['scene']}: {seen}")


if __name__ == "__main__":
    main()
