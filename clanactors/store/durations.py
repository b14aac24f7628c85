"""How long past runs of an activity lasted, for poll pacing (`domain.pacing`)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from clanactors.store.models import ActivityDefinition, ActivityInstance

RUNS = 200  # the newest runs looked at: activities change with seasons


def recent_durations(session: Session, activity_hash: int, limit: int = RUNS) -> list[int]:
    """Durations in seconds of the activity's newest stored instances, newest first."""
    return list(
        session.scalars(
            select(ActivityInstance.duration_seconds)
            .where(
                ActivityInstance.activity_hash == activity_hash,
                ActivityInstance.duration_seconds > 0,
            )
            .order_by(ActivityInstance.period.desc())
            .limit(limit)
        )
    )


def mode_durations(session: Session, activity_hash: int, limit: int = RUNS) -> list[int]:
    """Durations of the newest instances of the activity's mode (Raid, Control, ...),
    for an activity with few runs of its own: the mode its runs reported, else its
    definition's. Empty when neither is stored."""
    mode = session.scalar(
        select(ActivityInstance.mode)
        .where(ActivityInstance.activity_hash == activity_hash)
        .order_by(ActivityInstance.period.desc())
        .limit(1)
    )
    if mode is None:
        mode = session.scalar(
            select(ActivityDefinition.mode).where(ActivityDefinition.hash == activity_hash)
        )
    if mode is None:
        return []
    return list(
        session.scalars(
            select(ActivityInstance.duration_seconds)
            .where(ActivityInstance.mode == mode, ActivityInstance.duration_seconds > 0)
            .order_by(ActivityInstance.period.desc())
            .limit(limit)
        )
    )
