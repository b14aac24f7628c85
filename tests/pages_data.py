"""A small clan's stored past for the clan pages' tests: members with stats, plays in
shared instances with their clear events, online/offline changes — written through the
store's own functions — and the in-memory snapshot the web serves them from."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import count
from typing import Any

from clanactors.bungie.models import HistoryEntry, RosterMember
from clanactors.core.clock import utc_iso
from clanactors.domain.events import ActivityRef, activity_finished, member_offline, member_online
from clanactors.render.wire import ClanState, sort_members
from clanactors.store.db import Database
from clanactors.store.eventlog import record_event
from clanactors.store.models import Member
from clanactors.store.recording import store_history

LAST_WISH = ActivityRef(2122313384, "Last Wish", 4)
DUALITY = ActivityRef(2823159265, "Duality", 82)
CONTROL = ActivityRef(1813752023, "Control", 10)
_instances = count(9_000_000_000)


class ClanLog:
    def __init__(self, db: Database, now: datetime) -> None:
        self.db = db
        self.now = now
        self.roster: list[RosterMember] = []
        self.stats: dict[str, dict[str, int]] = {}
        self.private: set[str] = set()

    def member(
        self,
        membership_id: str,
        name: str,
        code: int = 1,
        rank: str = "Member",
        joined_days_ago: int = 100,
        last_online_days_ago: float | None = 1.0,
        online: bool = False,
        raid_clears: int | None = None,
        private: bool = False,
    ) -> RosterMember:
        seen = (
            self.now - timedelta(days=last_online_days_ago)
            if last_online_days_ago is not None
            else None
        )
        member = RosterMember(
            membership_id=membership_id,
            membership_type=3,
            display_name=name,
            bungie_name=f"{name}#{code:04d}",
            rank=rank,
            joined_at=self.now - timedelta(days=joined_days_ago),
            is_online=online,
            last_online_change=seen,
            is_public=not private,
        )
        self.roster.append(member)
        if private:
            self.private.add(membership_id)
        if raid_clears is not None:
            self.stats[membership_id] = {
                "kills": 1000,
                "deaths": 500,
                "activitiesCleared": 300,
                "raidClears": raid_clears,
                "timePlayedSeconds": 3600 * 400,
            }
        with self.db.session() as session:
            session.add(
                Member(
                    membership_id=membership_id,
                    membership_type=3,
                    display_name=name,
                    bungie_name=member.bungie_name,
                    rank=rank,
                    joined_at=member.joined_at,
                    is_online=online,
                    last_online_at=seen,
                    in_clan=True,
                    character_ids=[],
                    updated_at=self.now,
                )
            )
        return member

    def play(
        self,
        seconds: dict[str, int],
        activity: ActivityRef,
        ended_at: datetime,
        cleared: bool = True,
        announce: bool = True,
    ) -> str:
        """Members (id -> seconds played) in one instance that ended at `ended_at`; the
        log records its clear (or end), as the recorder does, unless it is history from
        before the install (`announce` false: rows only, as the importer stores it)."""
        instance_id = str(next(_instances))
        duration = max(seconds.values())
        started = ended_at - timedelta(seconds=duration)
        names = {m.membership_id: m.display_name for m in self.roster}
        with self.db.session() as session:
            for membership_id, played in seconds.items():
                entry = HistoryEntry(
                    instance_id=instance_id,
                    activity_hash=activity.hash,
                    director_hash=activity.hash,
                    mode=activity.mode,
                    modes=(activity.mode,) if activity.mode else (),
                    period=started,
                    duration_seconds=duration,
                    completed=cleared,
                    completion_reason=0 if cleared else 2,
                    kills=10,
                    deaths=2,
                    assists=3,
                    time_played_seconds=played,
                    player_count=len(seconds),
                )
                store_history(session, membership_id, [entry])
            if not announce:
                return instance_id
            event = activity_finished(
                {m: names[m] for m in seconds}, activity, instance_id, ended_at, cleared
            )
            record_event(session, event, ended_at)
        return instance_id

    def session_online(self, membership_id: str, start: datetime, end: datetime | None) -> None:
        name = next(m.display_name for m in self.roster if m.membership_id == membership_id)
        with self.db.session() as session:
            record_event(session, member_online(membership_id, name, start), start)
            if end is not None:
                record_event(session, member_offline(membership_id, name, end), end)

    def member_json(self, m: RosterMember) -> dict[str, Any]:
        """The snapshot's member (the API's `Member`)."""
        return {
            "membershipId": m.membership_id,
            "membershipType": m.membership_type,
            "displayName": m.display_name,
            "bungieName": m.bungie_name,
            "rank": m.rank,
            "joinedAt": utc_iso(m.joined_at),
            "isOnline": m.is_online,
            "lastOnlineAt": utc_iso(m.last_online_change),
            "currentActivity": None,
            "checking": False,
            "isPrivate": m.membership_id in self.private,
            "stats": self.stats.get(m.membership_id),
        }

    def state(self, version: int = 1) -> ClanState:
        members = [self.member_json(m) for m in self.roster]
        return ClanState(
            version=version,
            clan={"id": "4000001", "name": "Test Clan", "motto": "", "memberCount": len(members)},
            members=sort_members(members, utc_iso(self.now)),
            fireteams=[],
            stats={"members": len(members), "membersCounted": len(members), "kills": 0,
                   "deaths": 0, "activitiesCleared": 0, "raidClears": 0,
                   "timePlayedSeconds": 0, "updatedAt": utc_iso(self.now)},
            recent=[],
        )  # fmt: skip


def _stat(value: float, display: str | None = None) -> dict[str, Any]:
    return {"basic": {"value": value, "displayValue": display or str(value)}}


def pvp_payload(
    instance_id: str, period: datetime, players: list[tuple[str, str, int, int, int]]
) -> dict[str, Any]:
    """A Control match's PGCR as Bungie sends it: players are (membershipId, name, team,
    kills, deaths); team 16 (Alpha) won 150 to 90."""
    entries = []
    for membership_id, name, team, kills, deaths in players:
        won = team == 16
        entries.append(
            {
                "standing": 0 if won else 1,
                "score": _stat(kills * 10),
                "player": {
                    "destinyUserInfo": {
                        "membershipId": membership_id,
                        "membershipType": 3,
                        "displayName": name,
                        "bungieGlobalDisplayName": name,
                        "bungieGlobalDisplayNameCode": 7,
                    },
                    "characterClass": "Hunter",
                },
                "characterId": f"23050000{membership_id}",
                "values": {
                    "kills": _stat(kills),
                    "deaths": _stat(deaths),
                    "assists": _stat(3),
                    "completed": _stat(1),
                    "completionReason": _stat(0),
                    "timePlayedSeconds": _stat(600),
                    "activityDurationSeconds": _stat(640),
                    "team": _stat(team),
                    "standing": _stat(0 if won else 1, "Victory" if won else "Defeat"),
                    "score": _stat(kills * 10),
                },
            }
        )
    return {
        "period": utc_iso(period),
        "activityDetails": {
            "referenceId": CONTROL.hash,
            "directorActivityHash": CONTROL.hash,
            "instanceId": instance_id,
            "mode": 10,
            "modes": [5, 10],
            "isPrivate": False,
            "membershipType": 0,
        },
        "entries": entries,
        "teams": [
            {"teamId": 16, "standing": _stat(0, "Victory"), "score": _stat(150),
             "teamName": "Alpha"},
            {"teamId": 17, "standing": _stat(1, "Defeat"), "score": _stat(90),
             "teamName": "Bravo"},
        ],
    }  # fmt: skip
