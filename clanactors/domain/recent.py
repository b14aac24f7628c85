"""The front page's recent activities, held steady: a list read from the store replaces
the one shown only when a newer clan activity has ended. While start-up reads arrive
(histories, reports) older instances keep turning up in the store; they update the
entries shown in place (members found, a result read) but never reorder or replace them."""

from __future__ import annotations

from datetime import datetime, timedelta

from clanactors.domain.snapshot import RecentActivity


def ended_at(activity: RecentActivity) -> datetime:
    return activity.period + timedelta(seconds=activity.duration_seconds)


def steady(
    shown: tuple[RecentActivity, ...], read: tuple[RecentActivity, ...]
) -> tuple[RecentActivity, ...]:
    """What to show next, given what is shown and what the store now reads."""
    if not shown or not read:
        return read or shown
    if max(map(ended_at, read)) > max(map(ended_at, shown)):
        return read  # a newer activity ended: the store's choice, newest first
    fresh = {r.instance_id: r for r in read}
    return tuple(fresh.get(r.instance_id, r) for r in shown)
