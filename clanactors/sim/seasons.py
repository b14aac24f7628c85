"""The simulated manifest's seasons: back to back, each 13 weeks from a Tuesday reset.

Hashes count up from the real Season of the Wish's (2758726571, the one the captured
profile names), so a season's hash, number, name and dates follow from its index alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

ANCHOR = datetime(2023, 11, 28, 17, 0, tzinfo=UTC)  # a Tuesday reset: index 0 begins
LENGTH = timedelta(weeks=13)
FIRST_HASH = 2758726571
FIRST_NUMBER = 23
NAMES = ("the Wish", "the Lighthouse", "the Tides", "Embers", "the Long Watch", "Glass")


@dataclass(frozen=True)
class SimSeason:
    index: int

    @property
    def hash(self) -> int:
        return FIRST_HASH + self.index

    @property
    def number(self) -> int:
        return FIRST_NUMBER + self.index

    @property
    def start(self) -> datetime:
        return ANCHOR + self.index * LENGTH

    @property
    def end(self) -> datetime:
        return self.start + LENGTH

    def definition(self) -> dict[str, Any]:
        name = f"Season of {NAMES[self.index % len(NAMES)]}"
        return {
            "displayProperties": {"description": "", "name": name, "hasIcon": False},
            "seasonNumber": self.number,
            "startDate": self.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "endDate": self.end.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "hash": self.hash,
            "index": self.index,
            "redacted": False,
            "blacklisted": False,
        }


def season_at(moment: datetime) -> SimSeason:
    return SimSeason(max(0, (moment - ANCHOR) // LENGTH))


def season_of_hash(season_hash: int) -> SimSeason | None:
    index = season_hash - FIRST_HASH
    return SimSeason(index) if 0 <= index < 1000 else None
