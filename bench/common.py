"""What the benchmarks share: percentiles, a free port, a WebSocket event reader and the
match of the world's happenings against the events a client received."""

from __future__ import annotations

import json
import math
import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import websocket


def percentile(values: list[float], q: float) -> float:
    """The nearest-rank percentile (q in 0..1); NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(math.ceil(q * len(ordered)) - 1, 0))]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class EventReader:
    """Reads a WebSocket from `{"resume": 0}` on, stamping each event frame with `stamp()`
    (simulated or wall time) as it arrives, on a daemon thread."""

    def __init__(self, ws_url: str, origin: str, stamp: Callable[[], datetime]) -> None:
        self.arrivals: list[tuple[dict[str, Any], datetime]] = []
        self._stamp = stamp
        self._ws = websocket.create_connection(ws_url, timeout=30, origin=origin)
        self._ws.send(json.dumps({"resume": 0}))
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        while True:
            try:
                frame = json.loads(self._ws.recv())
            except Exception:
                return
            if frame.get("type") == "event":
                self.arrivals.append((frame["event"], self._stamp()))

    def close(self) -> None:
        self._ws.close()


@dataclass(frozen=True)
class Happening:
    """A start or finish in the world's record, however it was read."""

    at: datetime
    kind: str  # started or finished
    members: tuple[str, ...]
    activity_hash: int | None
    instance_id: str | None


@dataclass
class Detection:
    """Seconds from each happening to its event's arrival, and what never arrived."""

    starts: list[float] = field(default_factory=list)
    ends: list[float] = field(default_factory=list)
    missed: Counter[str] = field(default_factory=Counter)


def detect(
    happenings: Iterable[Happening], arrivals: list[tuple[dict[str, Any], datetime]]
) -> Detection:
    """Match starts by activity, a shared member and a start within 2 minutes; finishes
    by instance id."""
    found = Detection()
    for happening in happenings:
        if happening.kind == "finished":
            ends = [at for e, at in arrivals if e["instanceId"] == happening.instance_id]
            if ends:
                found.ends.append((ends[0] - happening.at).total_seconds())
            else:
                found.missed["finished"] += 1
        elif happening.kind == "started":
            starts = [
                at
                for e, at in arrivals
                if e["kind"] == "activity_started"
                and e["activity"]["hash"] == happening.activity_hash
                and set(e["members"]) & set(happening.members)
                and abs((iso(e["occurredAt"]) - happening.at).total_seconds()) < 120
            ]
            if starts:
                found.starts.append((starts[0] - happening.at).total_seconds())
            else:
                found.missed["started"] += 1
    return found
