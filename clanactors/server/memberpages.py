"""/members/{id} (a member's stats, who they play with, when they are online, their raid
clears and last activities) and /activities/{id} (the complete PGCR)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

import tornado.web
from sqlalchemy.orm import Session

from clanactors.domain.events import UNKNOWN_ACTIVITY
from clanactors.domain.week import last_reset
from clanactors.render.heatmap import DAYS, Heatmap, heatmap, merged, online_spans
from clanactors.render.reports import played_json
from clanactors.server.api import ID, load_report, member_history
from clanactors.server.clanpage import ClanPage, hours
from clanactors.store.history import ImportProgress, progress
from clanactors.store.queries import PlayedActivity, member_recent
from clanactors.store.reports import (
    Clears,
    activity_spans,
    clears_by_member,
    played_with,
    presence,
)

HEATMAP_WEEKS = 4
MONTH = timedelta(days=30)


@dataclass(frozen=True)
class MemberHistory:
    recent: list[PlayedActivity]
    week_with: dict[str, int]
    month_with: dict[str, int]
    ever_with: dict[str, int]
    presence: list[tuple[str, datetime]]
    played: list[tuple[datetime, datetime]]  # activities from history: online then too
    week_clears: Clears
    seen_clears: Clears
    progress: ImportProgress


def read_history(session: Session, membership_id: str, now: datetime) -> MemberHistory:
    reset = last_reset(now)
    return MemberHistory(
        recent=member_recent(session, membership_id),
        week_with=played_with(session, membership_id, reset),
        month_with=played_with(session, membership_id, now - MONTH),
        ever_with=played_with(session, membership_id, None),
        presence=presence(session, membership_id, now - timedelta(weeks=HEATMAP_WEEKS)),
        played=activity_spans(session, membership_id, now - timedelta(weeks=HEATMAP_WEEKS)),
        week_clears=clears_by_member(session, reset, membership_id).get(membership_id, Clears()),
        seen_clears=clears_by_member(session, member=membership_id).get(membership_id, Clears()),
        progress=progress(session),
    )


@dataclass(frozen=True)
class Clanmate:
    member: dict[str, Any]
    week: int
    month: int
    ever: int


def clanmates(history: MemberHistory, members: dict[str, Any]) -> list[Clanmate]:
    """Members this one shared instances with (their whole history), most time in the
    last 30 days first, then most ever."""
    mates = [
        Clanmate(members[m], history.week_with.get(m, 0), history.month_with.get(m, 0), seconds)
        for m, seconds in history.ever_with.items()
        if m in members
    ]
    mates.sort(key=lambda c: (-c.month, -c.week, -c.ever, c.member["bungieName"].casefold()))
    return mates


class MemberPage(ClanPage):
    async def get(self, membership_id: str) -> None:
        member = self.ctx.hub.snapshot.member(membership_id)
        if member is None:
            raise tornado.web.HTTPError(404, "No such clan member")

        async def build(now: datetime) -> bytes:
            history: MemberHistory = await self.in_db(read_history, membership_id, now)
            unnamed = [p for p in history.recent if p.activity.name == UNKNOWN_ACTIVITY]
            if unnamed:
                history = replace(history, recent=await member_history(self, membership_id))
            seen = online_spans(history.presence, now, bool(member["isOnline"]))
            spans = merged(seen, history.played)
            grid: Heatmap = heatmap(spans, HEATMAP_WEEKS)
            return self.page(
                "member.html",
                now,
                member=member,
                history=history,
                history_progress=history.progress,
                recent=[played_json(p) for p in history.recent],
                mates=clanmates(history, self.ctx.hub.snapshot.by_id)[:20],
                grid=grid,
                days=DAYS,
                hours=hours,
                weeks=HEATMAP_WEEKS,
            )

        await self.send_cached((membership_id,), build)


class ActivityPage(ClanPage):
    async def get(self, instance_id: str) -> None:
        if not ID.fullmatch(instance_id):
            raise tornado.web.HTTPError(404, "No such activity")

        async def build(now: datetime) -> bytes:
            report = await load_report(self, instance_id)
            return self.page("activity.html", now, report=report)

        await self.send_cached((instance_id,), build)
