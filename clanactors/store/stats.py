"""Members' account stats as last fetched, as frozen records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clanactors.store.models import MemberStats
from clanactors.store.upsert import upsert


@dataclass(frozen=True)
class StatsRecord:
    membership_id: str
    kills: int
    deaths: int
    activities_cleared: int
    raid_clears: int
    time_played_seconds: int
    fetched_at: datetime

    def to_json(self) -> dict[str, int]:
        return {
            "kills": self.kills,
            "deaths": self.deaths,
            "activitiesCleared": self.activities_cleared,
            "raidClears": self.raid_clears,
            "timePlayedSeconds": self.time_played_seconds,
        }


def load_stats(session: Session) -> dict[str, StatsRecord]:
    return {
        r.membership_id: StatsRecord(
            r.membership_id,
            r.kills,
            r.deaths,
            r.activities_cleared,
            r.raid_clears,
            r.time_played_seconds,
            r.fetched_at,
        )
        for r in session.scalars(select(MemberStats))
    }


def save_stats(session: Session, record: StatsRecord) -> None:
    values = {
        "membership_id": record.membership_id,
        "kills": record.kills,
        "deaths": record.deaths,
        "activities_cleared": record.activities_cleared,
        "raid_clears": record.raid_clears,
        "time_played_seconds": record.time_played_seconds,
        "fetched_at": record.fetched_at,
    }
    upsert(
        session, MemberStats, values, ["membership_id"], [k for k in values if k != "membership_id"]
    )
