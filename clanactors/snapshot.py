"""The clan as the web shows it: one immutable snapshot, JSON-ready (CONTRACT §3 shapes).

Built by the view actor from what the other actors report; the web keeps the newest one
and answers pages and the JSON API from memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clanactors.bungie.models import GroupInfo, RosterMember
from clanactors.clock import utc_iso
from clanactors.events import ActivityRef

STAT_FIELDS = ("kills", "deaths", "activitiesCleared", "raidClears", "timePlayedSeconds")


@dataclass(frozen=True)
class Snapshot:
    clan: dict[str, Any]
    members: dict[str, Any]  # {online, offline, updatedAt}
    fireteams: list[dict[str, Any]]
    stats: dict[str, Any]
    recent: list[dict[str, Any]]
    bungie: str = "ok"
    polling: str = "ok"  # "slowed" while profile polls wait behind recording
    last_roster_sync: str | None = None
    version: int = 0

    def member_ids(self) -> set[str]:
        return {m["membershipId"] for group in ("online", "offline") for m in self.members[group]}

    def member(self, membership_id: str) -> dict[str, Any] | None:
        for group in ("online", "offline"):
            for member in self.members.get(group, ()):
                if member["membershipId"] == membership_id:
                    return member
        return None


EMPTY = Snapshot(
    clan={"id": None, "name": "", "motto": "", "memberCount": 0},
    members={"online": [], "offline": [], "updatedAt": None},
    fireteams=[],
    stats={"members": 0, **dict.fromkeys(STAT_FIELDS, 0), "updatedAt": None},
    recent=[],
)


@dataclass(frozen=True)
class LiveActivity:
    activity: ActivityRef
    started_at: datetime | None
    fireteam_id: str | None


def member_json(
    member: RosterMember,
    live: LiveActivity | None,
    stats: dict[str, int] | None,
    private: bool,
) -> dict[str, Any]:
    current = None
    if live is not None:
        current = {
            **live.activity.to_json(),
            "startedAt": utc_iso(live.started_at),
            "fireteamId": live.fireteam_id,
        }
    return {
        "membershipId": member.membership_id,
        "membershipType": member.membership_type,
        "displayName": member.display_name,
        "bungieName": member.bungie_name,
        "rank": member.rank,
        "joinedAt": utc_iso(member.joined_at),
        "isOnline": member.is_online,
        "lastOnlineAt": utc_iso(member.last_online_change),
        "currentActivity": current,
        "isPrivate": private,
        "stats": dict(stats) if stats is not None else None,
    }


def sort_members(members: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Online by activity start (longest running first, orbit last); offline by last seen."""
    online = [m for m in members if m["isOnline"]]
    offline = [m for m in members if not m["isOnline"]]
    online.sort(
        key=lambda m: (
            m["currentActivity"] is None,
            (m["currentActivity"] or {}).get("startedAt") or "",
            m["displayName"].lower(),
        )
    )
    offline.sort(key=lambda m: m["lastOnlineAt"] or "", reverse=True)
    return {"online": online, "offline": offline}


def clan_json(group: GroupInfo | None, clan_id: str, member_count: int) -> dict[str, Any]:
    return {
        "id": clan_id,
        "name": group.name if group else "",
        "motto": group.motto if group else "",
        "memberCount": member_count,
    }


def totals_json(
    roster_ids: list[str], per_member: dict[str, dict[str, int]], updated: datetime | None
) -> dict[str, Any]:
    totals = dict.fromkeys(STAT_FIELDS, 0)
    for membership_id in roster_ids:
        stats = per_member.get(membership_id)
        if stats:
            for name in STAT_FIELDS:
                totals[name] += int(stats.get(name, 0))
    return {"members": len(roster_ids), **totals, "updatedAt": utc_iso(updated)}
