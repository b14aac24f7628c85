"""Reads the web side makes from the database: member history, PGCRs, activity names."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from clanactors.clock import utc_iso
from clanactors.store.models import ActivityDefinition, ActivityInstance, MemberActivity, Pgcr


def activity_json(session: Session, activity_hash: int) -> dict[str, Any]:
    definition = session.get(ActivityDefinition, activity_hash)
    if definition is None:
        return {"hash": activity_hash, "name": "Unknown activity", "mode": None}
    return {"hash": activity_hash, "name": definition.name, "mode": definition.mode}


def member_recent(session: Session, membership_id: str, limit: int = 10) -> list[dict[str, Any]]:
    """A member's newest finished activities, newest first."""
    rows = session.execute(
        select(MemberActivity, ActivityInstance)
        .join(ActivityInstance, ActivityInstance.instance_id == MemberActivity.instance_id)
        .where(MemberActivity.membership_id == membership_id)
        .order_by(MemberActivity.period.desc())
        .limit(limit)
    ).all()
    return [
        {
            "instanceId": instance.instance_id,
            "activity": activity_json(session, instance.activity_hash),
            "period": utc_iso(instance.period),
            "durationSeconds": instance.duration_seconds,
            "completed": bool(mine.completed and mine.completion_reason in (0, None)),
            "kills": mine.kills,
            "deaths": mine.deaths,
            "assists": mine.assists,
        }
        for mine, instance in rows
    ]


def pgcr_payload(session: Session, instance_id: str) -> dict[str, Any] | None:
    row = session.get(Pgcr, instance_id)
    return row.payload if row is not None else None
