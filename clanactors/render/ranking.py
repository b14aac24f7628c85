"""Leaderboard ranks: ties share a rank (1, 1, 3), and a board cut at N keeps everyone
tied with the N-th. Pure: no I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Place(Generic[T]):
    rank: int
    item: T
    value: int


def ranked(
    items: Iterable[tuple[T, int]], top: int, name: Callable[[T], str] = str
) -> list[Place[T]]:
    """Items with a positive value, highest first (ties by name), ranked, cut at `top`
    but never between two tied items."""
    ordered = sorted(
        ((item, value) for item, value in items if value > 0),
        key=lambda p: (-p[1], name(p[0]).casefold()),
    )
    places: list[Place[T]] = []
    for index, (item, value) in enumerate(ordered):
        tied = bool(places) and places[-1].value == value
        if index >= top and not tied:
            break
        places.append(Place(places[-1].rank if tied else index + 1, item, value))
    return places
