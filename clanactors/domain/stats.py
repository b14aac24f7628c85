"""A member's account stats as last fetched from Bungie."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class StatsRecord:
    membership_id: str
    kills: int
    deaths: int
    activities_cleared: int
    raid_clears: int
    time_played_seconds: int
    fetched_at: datetime
