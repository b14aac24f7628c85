"""Reads the web side makes from the database: member history, reports, activity names.
Records out; `render.reports` turns them into the API's JSON."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from clanactors.bungie.errors import ResponseShapeError
from clanactors.bungie.models import Pgcr, parse_pgcr
from clanactors.bungie.pgcr_teams import Standing, Team, parse_standings, parse_teams
from clanactors.domain.events import ActivityRef
from clanactors.store.models import ActivityDefinition, ActivityInstance, MemberActivity
from clanactors.store.models import Pgcr as PgcrRow


@dataclass(frozen=True)
class PlayedActivity:
    """One finished activity in a member's history."""

    instance_id: str
    activity: ActivityRef
    period: datetime
    duration_seconds: int
    completed: bool
    kills: int
    deaths: int
    assists: int


@dataclass(frozen=True)
class StoredReport:
    """A stored PGCR, parsed: its players, teams and standings, and the activity's name."""

    pgcr: Pgcr
    teams: tuple[Team, ...]
    standings: dict[str, Standing]
    activity: ActivityRef


def activity_ref(session: Session, activity_hash: int) -> ActivityRef:
    definition = session.get(ActivityDefinition, activity_hash)
    if definition is None:
        return ActivityRef.unknown(activity_hash)
    return ActivityRef(activity_hash, definition.name, definition.mode)


def member_recent(session: Session, membership_id: str, limit: int = 10) -> list[PlayedActivity]:
    """A member's newest finished activities, newest first."""
    rows = session.execute(
        select(MemberActivity, ActivityInstance)
        .join(ActivityInstance, ActivityInstance.instance_id == MemberActivity.instance_id)
        .where(MemberActivity.membership_id == membership_id)
        .order_by(MemberActivity.period.desc())
        .limit(limit)
    ).all()
    return [
        PlayedActivity(
            instance_id=instance.instance_id,
            activity=activity_ref(session, instance.activity_hash),
            period=instance.period,
            duration_seconds=instance.duration_seconds,
            completed=bool(mine.completed and mine.completion_reason in (0, None)),
            kills=mine.kills,
            deaths=mine.deaths,
            assists=mine.assists,
        )
        for mine, instance in rows
    ]


def stored_report(session: Session, instance_id: str) -> StoredReport | None:
    """The stored PGCR of an instance; None when there is none, or it cannot be read."""
    row = session.get(PgcrRow, instance_id)
    if row is None:
        return None
    try:
        pgcr = parse_pgcr(row.payload)
        return StoredReport(
            pgcr,
            parse_teams(row.payload),
            parse_standings(row.payload),
            activity_ref(session, pgcr.activity_hash),
        )
    except ResponseShapeError:
        return None
