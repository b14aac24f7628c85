from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.chaos.rig import stop_all


@pytest.fixture(autouse=True)
def no_process_left_behind() -> Iterator[None]:
    yield
    stop_all()
