"""Leaderboards: the boards ranked (ties share a rank), and their JSON for
/api/leaderboards (docs/api.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clanactors.core.clock import utc_iso
from clanactors.domain.week import Period
from clanactors.render.ranking import Place, ranked
from clanactors.store.history import ImportProgress
from clanactors.store.reports import Clears, Pair

TOP = 25
PAIRS = 10

Json = dict[str, Any]


@dataclass(frozen=True)
class Boards:
    clears: dict[str, Clears]  # in the period
    ever: dict[str, Clears]  # all time
    played: dict[str, int]  # seconds, in the period
    pairs: list[Pair]


@dataclass(frozen=True)
class AllTime:
    member: Json
    raids_seen: int
    dungeons_seen: int
    raids_lifetime: int | None  # Bungie's account stats; None until fetched


def countdown(now: datetime, then: datetime) -> str:
    """How long until `then`, to the minute (rounded up): "4 d 23 h", "5 h 12 min", "12 min".
    web/static/countdown.js says it the same way as the minutes pass."""
    minutes = max(0, -(-int((then - now).total_seconds()) // 60))  # whole minutes, up
    days, hours, mins = minutes // 1440, minutes // 60 % 24, minutes % 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min" if mins else "now"


def boards(found: Boards, members: dict[str, Json]) -> dict[str, Any]:
    """Each board ranked, clan members only (members who left are left out)."""

    def name(m: Json) -> str:
        return str(m["bungieName"])

    def board(values: dict[str, int]) -> list[Place[Json]]:
        return ranked(((members[k], v) for k, v in values.items() if k in members), TOP, name)

    all_time = [
        AllTime(
            m,
            found.ever.get(k, Clears()).raids,
            found.ever.get(k, Clears()).dungeons,
            (m["stats"] or {}).get("raidClears"),
        )
        for k, m in members.items()
    ]
    all_time = [a for a in all_time if a.raids_seen or a.dungeons_seen or a.raids_lifetime]
    all_time.sort(
        key=lambda a: (-(a.raids_lifetime or 0), -a.raids_seen, -a.dungeons_seen, name(a.member))
    )
    pairs = [p for p in found.pairs if p.first in members and p.second in members][:PAIRS]
    return {
        "raids": board({k: c.raids for k, c in found.clears.items()}),
        "dungeons": board({k: c.dungeons for k, c in found.clears.items()}),
        "played": board(found.played),
        "pairs": ranked(((p, p.seconds) for p in pairs), PAIRS, lambda p: p.first + p.second),
        "all_time": all_time[: TOP * 2],
    }


def leaderboards_json(
    period: Period, found: Boards, members: dict[str, Json], history: ImportProgress
) -> Json:
    ranked_boards = boards(found, members)

    def places(key: str, unit: str) -> list[Json]:
        return [
            {
                "membershipId": p.item["membershipId"],
                "displayName": p.item["displayName"],
                unit: p.value,
                "rank": p.rank,
            }
            for p in ranked_boards[key]
        ]

    return {
        "period": {
            "name": period.name,
            "key": period.key,
            "start": utc_iso(period.start),
            "end": utc_iso(period.end),
        },
        "raids": places("raids", "clears"),
        "dungeons": places("dungeons", "clears"),
        "timePlayed": places("played", "seconds"),
        "pairs": [
            {"members": [p.item.first, p.item.second], "seconds": p.value, "rank": p.rank}
            for p in ranked_boards["pairs"]
        ],
        # Counted from history: partial until every member's history is read.
        "partial": not history.finished,
        "history": {"membersDone": history.done, "membersTotal": history.total},
    }
