from __future__ import annotations

from collections.abc import Iterator

import pytest
import requests

from clanactors.core.clock import FakeClock
from clanactors.sim.server import RunningSimulator, Simulator


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def sim(clock: FakeClock) -> Iterator[RunningSimulator]:
    running = RunningSimulator(Simulator(seed=7, clock=clock, hostile_names=True)).start()
    yield running
    running.stop()


@pytest.fixture
def http() -> Iterator[requests.Session]:
    with requests.Session() as session:
        session.headers["X-API-Key"] = "test-key"
        yield session
