"""/leaderboards: raid and dungeon clears this week (since the Tuesday 17:00 UTC reset)
and all time, time played this week and who played together — from the event log and
members' activity rows — beside Bungie's lifetime raid clears from account stats."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from clanactors.domain.week import last_reset, next_reset
from clanactors.render.ranking import Place, ranked
from clanactors.server.clanpage import ClanPage, hours
from clanactors.store.reports import Clears, Pair, clears_by_member, played_together, time_played

TOP = 25
PAIRS = 10

Json = dict[str, Any]


@dataclass(frozen=True)
class Week:
    clears: dict[str, Clears]
    ever: dict[str, Clears]
    played: dict[str, int]
    pairs: list[Pair]


def read_week(session: Session, reset: datetime) -> Week:
    return Week(
        clears=clears_by_member(session, reset),
        ever=clears_by_member(session),
        played=time_played(session, reset),
        # More than shown: pairs with a former member are left out below.
        pairs=played_together(session, reset, PAIRS * 3),
    )


@dataclass(frozen=True)
class AllTime:
    member: Json
    raids_seen: int
    dungeons_seen: int
    raids_lifetime: int | None  # Bungie's account stats; None until fetched


def boards(week: Week, members: dict[str, Json]) -> dict[str, Any]:
    def name(m: Json) -> str:
        return str(m["bungieName"])

    def board(values: dict[str, int]) -> list[Place[Json]]:
        return ranked(((members[k], v) for k, v in values.items() if k in members), TOP, name)

    all_time = [
        AllTime(
            m,
            week.ever.get(k, Clears()).raids,
            week.ever.get(k, Clears()).dungeons,
            (m["stats"] or {}).get("raidClears"),
        )
        for k, m in members.items()
    ]
    all_time = [a for a in all_time if a.raids_seen or a.dungeons_seen or a.raids_lifetime]
    all_time.sort(
        key=lambda a: (-(a.raids_lifetime or 0), -a.raids_seen, -a.dungeons_seen, name(a.member))
    )
    pairs = [p for p in week.pairs if p.first in members and p.second in members][:PAIRS]
    return {
        "raids": board({k: c.raids for k, c in week.clears.items()}),
        "dungeons": board({k: c.dungeons for k, c in week.clears.items()}),
        "played": board(week.played),
        "pairs": ranked(((p, p.seconds) for p in pairs), PAIRS, lambda p: p.first + p.second),
        "all_time": all_time[: TOP * 2],
    }


class LeaderboardsPage(ClanPage):
    async def get(self) -> None:
        async def build(now: datetime) -> bytes:
            reset = last_reset(now)
            week = await self.in_db(read_week, reset)
            members = self.ctx.hub.snapshot.by_id
            return self.page(
                "leaderboards.html",
                now,
                reset=reset,
                next_reset=next_reset(now),
                members=members,
                hours=hours,
                **boards(week, members),
            )

        await self.send_cached((), build)
