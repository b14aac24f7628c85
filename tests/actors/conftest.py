from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.actors.harness import Harness


@pytest.fixture
def harness(sqlite_url: str) -> Iterator[Harness]:
    h = Harness(sqlite_url)
    yield h
    h.close()


@pytest.fixture
def harness_any(database_url: str) -> Iterator[Harness]:
    """The same scene on SQLite and on PostgreSQL."""
    h = Harness(database_url)
    yield h
    h.close()
