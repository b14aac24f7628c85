"""/leaderboards and /api/leaderboards: raid and dungeon clears, time played and who
played together, this week (since the Tuesday 17:00 UTC reset), this season (since its
start in Bungie's manifest) or all time, counted from members' activity history (what
they played before the install included); beside Bungie's lifetime raid clears."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import tornado.web
from sqlalchemy.orm import Session

from clanactors.core.clock import utc_iso
from clanactors.domain.week import ALL_TIME, PERIODS, Period, season_period, week_period
from clanactors.render.leaderboards import Boards, boards, countdown, leaderboards_json
from clanactors.server.api import ApiHandler
from clanactors.server.base import BaseHandler
from clanactors.server.clanpage import ClanPage, hours
from clanactors.store.history import ImportProgress, progress, season_at
from clanactors.store.reports import clears_by_member, played_together, time_played

PAIRS = 10
COUNT_FOR = 60  # seconds the counts are kept: clears change when activities end


@dataclass(frozen=True)
class Counted:
    period: Period
    boards: Boards
    history: ImportProgress
    season_known: bool


def period_of(session: Session, key: str, now: datetime) -> tuple[Period, bool]:
    """The period asked for, and whether its dates are known (a season needs the
    manifest's; until it is read the season's boards stay empty)."""
    if key == "week":
        return week_period(now), True
    if key == "season":
        season = season_at(session, now)
        if season is None:
            return Period("season", "This season", None, None), False
        return season_period(season.name, season.start, season.end), True
    return ALL_TIME, True


def count(session: Session, key: str, now: datetime) -> Counted:
    period, known = period_of(session, key, now)
    found = Boards(
        clears=clears_by_member(session, period.start, until=period.end) if known else {},
        ever=clears_by_member(session),
        played=time_played(session, period.start, period.end) if known else {},
        # More than shown: pairs with a former member are left out.
        pairs=played_together(session, period.start, PAIRS * 3, period.end) if known else [],
    )
    return Counted(period, found, progress(session), known)


def period_argument(handler: BaseHandler) -> str:
    key = handler.get_query_argument("period", "week")
    if key not in PERIODS:
        raise tornado.web.HTTPError(400, f"period must be one of {', '.join(PERIODS)}")
    return key


async def counted(handler: BaseHandler, key: str, now: datetime) -> Counted:
    """The counts for a period, read once a minute however many pages and API calls ask
    (a year of history takes seconds to count)."""
    bucket = int(now.timestamp() // COUNT_FOR)
    result: Counted = await handler.ctx.hub.counts.body(
        ("leaderboards", key, bucket), lambda: handler.in_db(count, key, now)
    )
    return result


class LeaderboardsPage(ClanPage):
    async def get(self) -> None:
        key = period_argument(self)

        async def build(now: datetime) -> bytes:
            found = await counted(self, key, now)
            members = self.ctx.hub.snapshot.by_id
            week = week_period(now)
            return self.page(
                "leaderboards.html",
                now,
                period=found.period,
                periods=PERIODS,
                season_known=found.season_known,
                history=found.history,
                reset=week.start,
                next_reset=week.end,
                until_reset=countdown(now, week.end) if week.end else "",
                server_now=utc_iso(now),
                members=members,
                hours=hours,
                **boards(found.boards, members),
            )

        await self.send_cached((key,), build)


class LeaderboardsApi(ApiHandler):
    async def get(self) -> None:
        key = period_argument(self)
        hub, now = self.ctx.hub, self.ctx.clock.now()

        async def build() -> bytes:
            found = await counted(self, key, now)
            members: dict[str, Any] = hub.snapshot.by_id
            answer = leaderboards_json(found.period, found.boards, members, found.history)
            return json.dumps(answer, ensure_ascii=False).encode()

        # Built once a second however many ask, like the pages.
        self.write_body(await hub.pages.body(hub.page_key("api/leaderboards", (key,), now), build))
