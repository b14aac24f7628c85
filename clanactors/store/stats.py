"""Members' account stats as last fetched, as frozen records."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clanactors.domain.stats import StatsRecord
from clanactors.store.models import MemberStats
from clanactors.store.upsert import upsert


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
