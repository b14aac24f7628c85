"""The JSON of the clan view (docs/api.md, "HTTP API" and "WebSocket /ws"), in one place.

`state_of` turns a typed `Snapshot` into a `ClanState`: the shapes the JSON API, the page
render and the WebSocket all serve. `patch_between` is what changed from one state to the
next, in the WebSocket's `patch` frame shapes: members and fireteams upserted or removed
by id, changed stats fields, a new recent list, clan and health when they changed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from clanactors.bungie.modes import match_name, mode_name
from clanactors.core.clock import utc_iso
from clanactors.domain.snapshot import (
    ClanInfo,
    ClanTotals,
    FireteamCard,
    MemberCard,
    RecentActivity,
    Snapshot,
)

Json = dict[str, Any]
STAT_FIELDS = ("kills", "deaths", "activitiesCleared", "raidClears", "timePlayedSeconds")
PARTS = ("clan", "members", "fireteams", "stats", "recent", "bungie", "polling")


def member_json(card: MemberCard) -> Json:
    member, live = card.member, card.live
    current = None
    if live is not None:
        current = {
            **live.activity.to_json(),
            "startedAt": utc_iso(live.started_at),
            "fireteamId": live.fireteam_id,
        }
    stats = card.stats
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
        # An online member whose profile has not been read yet: the activity is unknown.
        "checking": member.is_online and not card.known,
        "isPrivate": card.private,
        "stats": None
        if stats is None
        else {
            "kills": stats.kills,
            "deaths": stats.deaths,
            "activitiesCleared": stats.activities_cleared,
            "raidClears": stats.raid_clears,
            "timePlayedSeconds": stats.time_played_seconds,
        },
    }


def fireteam_json(fireteam: FireteamCard) -> Json:
    return {
        "id": fireteam.id,
        "activity": fireteam.activity.to_json(),
        "startedAt": utc_iso(fireteam.started_at),
        "members": list(fireteam.members),
        "guests": fireteam.guests,
    }


def recent_json(recent: RecentActivity) -> Json:
    return {
        "instanceId": recent.instance_id,
        "activity": {
            **recent.activity.to_json(),
            "modeName": mode_name(recent.activity.mode),
            "match": match_json(recent),
        },
        "period": utc_iso(recent.period),
        "durationSeconds": recent.duration_seconds,
        "completed": recent.completed,
        "members": list(recent.members),
    }


def match_json(recent: RecentActivity) -> Json | None:
    """PvP only: the match by mode and map, and how it went for the clan (null until its
    report is stored)."""
    match = recent.match
    if match is None:
        return None
    found = match.outcome
    return {
        "name": match_name(recent.activity.name, match.mode),
        "modeName": mode_name(match.mode),
        "result": found.result if found else None,
        "won": found.won if found else None,
    }


def stats_json(totals: ClanTotals) -> Json:
    return {
        "members": totals.members,
        # How many members the sums cover: less than `members` while stats load.
        "membersCounted": totals.counted,
        "kills": totals.kills,
        "deaths": totals.deaths,
        "activitiesCleared": totals.activities_cleared,
        "raidClears": totals.raid_clears,
        "timePlayedSeconds": totals.time_played_seconds,
        "updatedAt": utc_iso(totals.updated_at),
    }


def clan_json(clan: ClanInfo) -> Json:
    return {"id": clan.id, "name": clan.name, "motto": clan.motto, "memberCount": clan.member_count}


def online_order(member: Json) -> tuple[bool, str, str, str]:
    current = member["currentActivity"]
    started = (current or {}).get("startedAt") or ""
    return (current is None, started, member["displayName"].lower(), member["membershipId"])


def sort_members(members: list[Json], updated_at: str | None) -> Json:
    """Online by activity start (longest running first, orbit last); offline by last seen,
    newest first. The page sorts patched members the same way."""
    online = sorted((m for m in members if m["isOnline"]), key=online_order)
    offline = sorted(
        (m for m in members if not m["isOnline"]),
        key=lambda m: (m["lastOnlineAt"] or "", m["membershipId"]),
        reverse=True,
    )
    return {"online": online, "offline": offline, "updatedAt": updated_at}


@dataclass(frozen=True)
class ClanState:
    """One snapshot in the API's shapes: what is served from memory."""

    version: int
    clan: Json
    members: Json  # {online, offline, updatedAt}
    fireteams: list[Json]
    stats: Json
    recent: list[Json]
    bungie: str = "ok"
    polling: str = "ok"
    by_id: dict[str, Json] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        if not self.by_id:
            for group in ("online", "offline"):
                for member in self.members.get(group, ()):
                    self.by_id[member["membershipId"]] = member

    @property
    def last_roster_sync(self) -> str | None:
        updated = self.members.get("updatedAt")
        return updated if isinstance(updated, str) else None

    def member(self, membership_id: str) -> Json | None:
        return self.by_id.get(membership_id)

    def member_ids(self) -> set[str]:
        return set(self.by_id)

    def parts(self) -> Json:
        """The snapshot frame's fields (and what is shared with other processes)."""
        return {part: getattr(self, part) for part in PARTS}

    def to_json(self) -> Json:
        return {"version": self.version, **self.parts()}

    @classmethod
    def from_json(cls, payload: Any) -> ClanState | None:
        """A state shared by another process; None if it is not one this version wrote."""
        if not isinstance(payload, dict) or set(payload) != {"version", *PARTS}:
            return None
        return cls(**payload)


def state_of(snapshot: Snapshot) -> ClanState:
    updated = utc_iso(snapshot.synced_at)
    return ClanState(
        version=snapshot.version,
        clan=clan_json(snapshot.clan),
        members=sort_members([member_json(c) for c in snapshot.members], updated),
        fireteams=sorted(
            (fireteam_json(f) for f in snapshot.fireteams),
            key=lambda f: (f["startedAt"] or "", f["id"]),
        ),
        stats=stats_json(snapshot.stats),
        recent=[recent_json(r) for r in snapshot.recent],
        bungie=snapshot.bungie,
        polling=snapshot.polling,
    )


EMPTY = ClanState(
    version=0,
    clan={"id": None, "name": "", "motto": "", "memberCount": 0},
    members={"online": [], "offline": [], "updatedAt": None},
    fireteams=[],
    stats={"members": 0, "membersCounted": 0, **dict.fromkeys(STAT_FIELDS, 0), "updatedAt": None},
    recent=[],
)


def _by_key(items: list[Json], key: str) -> dict[str, Json]:
    return {item[key]: item for item in items}


def _upserts(old: dict[str, Json], new: dict[str, Json]) -> Json:
    change: Json = {}
    upsert = [item for key, item in new.items() if old.get(key) != item]
    remove = [key for key in old if key not in new]
    if upsert:
        change["upsert"] = upsert
    if remove:
        change["remove"] = remove
    return change


def patch_between(old: ClanState, new: ClanState) -> Json:
    """What turns `old` into `new`, in patch frame shapes; empty when they are the same."""
    patch: Json = {}
    members = _upserts(old.by_id, new.by_id)
    if new.members["updatedAt"] != old.members["updatedAt"]:
        members["updatedAt"] = new.members["updatedAt"]
    if members:
        patch["members"] = members
    fireteams = _upserts(_by_key(old.fireteams, "id"), _by_key(new.fireteams, "id"))
    if fireteams:
        patch["fireteams"] = fireteams
    stats = {k: v for k, v in new.stats.items() if old.stats.get(k) != v}
    if stats:
        patch["stats"] = stats
    if new.recent != old.recent:
        patch["recent"] = new.recent
    for part in ("clan", "bungie", "polling"):
        if getattr(new, part) != getattr(old, part):
            patch[part] = getattr(new, part)
    return patch
