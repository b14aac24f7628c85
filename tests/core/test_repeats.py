"""Repeated log lines: the first per key, then one an interval with a count of the rest."""

from __future__ import annotations

from clanactors.core.repeats import Repeats, held_back


class Ticks:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_one_line_an_interval_per_key_with_the_count_held_back() -> None:
    ticks = Ticks()
    repeats = Repeats(every=60.0, monotonic=ticks)
    assert repeats.admit("a") == 0
    assert [repeats.admit("a") for _ in range(500)] == [None] * 500
    assert repeats.admit("b") == 0  # another key has its own line
    ticks.now += 59.9
    assert repeats.admit("a") is None
    ticks.now += 0.1
    assert repeats.admit("a") == 501
    assert repeats.admit("a") is None
    ticks.now += 60
    assert repeats.admit("a") == 1
    ticks.now += 60
    assert repeats.admit("a") == 0


def test_keys_remembered_are_bounded() -> None:
    ticks = Ticks()
    repeats = Repeats(every=60.0, keys=10, monotonic=ticks)
    for key in range(1000):
        assert repeats.admit(key) == 0
    assert len(repeats._seen) == 10
    assert repeats.admit(999) is None  # the newest are the ones remembered


def test_held_back_reads_as_a_suffix() -> None:
    assert held_back(0) == ""
    assert held_back(7) == " (7 more like it since the last line)"
