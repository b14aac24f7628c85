"""wrk, as the HTTP benchmarks run it: one thread, N connections, requests/s back."""

from __future__ import annotations

import re
import subprocess


def wrk(url: str, seconds: int, connections: int = 50) -> float:
    """Requests per second `wrk -t1` sustains on `url`; any non-2xx/3xx answer is an error
    (a benchmark of error pages measures nothing)."""
    out = subprocess.run(
        ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    assert errors is None, out
    return float(match.group(1))
