"""The clan as the web shows it: typed, immutable view records folded into one Snapshot.

Actors build these records (the tracker fireteams, the recorder recent activities, the
stats actor member stats, the view actor the whole); the contract's JSON is written from
them in one place, `clanactors.render.wire`, at the web's edge.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from clanactors.bungie.models import RosterMember
from clanactors.domain.events import ActivityRef, Match
from clanactors.domain.stats import StatsRecord


@dataclass(frozen=True)
class ClanInfo:
    id: str | None
    name: str
    motto: str
    member_count: int


@dataclass(frozen=True)
class LiveActivity:
    """What an online member is playing, as their profile last said."""

    activity: ActivityRef
    started_at: datetime | None
    fireteam_id: str | None


@dataclass(frozen=True)
class MemberCard:
    member: RosterMember
    live: LiveActivity | None
    # False while an online member's profile has not been read since they came online:
    # the page says "checking…", not "in orbit".
    known: bool
    private: bool
    stats: StatsRecord | None

    @property
    def membership_id(self) -> str:
        return self.member.membership_id


@dataclass(frozen=True)
class FireteamCard:
    id: str
    activity: ActivityRef
    started_at: datetime | None
    members: tuple[str, ...]
    guests: int


@dataclass(frozen=True)
class RecentActivity:
    instance_id: str
    activity: ActivityRef
    period: datetime
    duration_seconds: int
    completed: bool
    members: tuple[str, ...]
    match: Match | None = None  # PvP: the instance's mode and how it went for the clan


@dataclass(frozen=True)
class ClanTotals:
    """Sums over members' account stats. `counted` members are in the sums (stats read,
    or known to be unavailable); until it reaches `members` the sums are partial."""

    members: int
    counted: int
    kills: int
    deaths: int
    activities_cleared: int
    raid_clears: int
    time_played_seconds: int
    updated_at: datetime | None

    @classmethod
    def of(
        cls,
        roster_ids: list[str],
        per_member: dict[str, StatsRecord],
        unavailable: set[str],
        updated_at: datetime | None,
    ) -> ClanTotals:
        records = [per_member[m] for m in roster_ids if m in per_member]
        counted = sum(1 for m in roster_ids if m in per_member or m in unavailable)
        return cls(
            members=len(roster_ids),
            counted=counted,
            kills=sum(r.kills for r in records),
            deaths=sum(r.deaths for r in records),
            activities_cleared=sum(r.activities_cleared for r in records),
            raid_clears=sum(r.raid_clears for r in records),
            time_played_seconds=sum(r.time_played_seconds for r in records),
            updated_at=updated_at,
        )


@dataclass(frozen=True)
class Snapshot:
    clan: ClanInfo
    members: tuple[MemberCard, ...]  # in roster order (the JSON sorts them)
    fireteams: tuple[FireteamCard, ...]
    stats: ClanTotals
    recent: tuple[RecentActivity, ...]
    bungie: str = "ok"
    polling: str = "ok"  # "slowed" while profile polls wait behind recording
    synced_at: datetime | None = None  # the last roster poll
    version: int = 0


def empty(clan_id: str | None) -> Snapshot:
    return Snapshot(
        clan=ClanInfo(clan_id, "", "", 0),
        members=(),
        fireteams=(),
        stats=ClanTotals.of([], {}, set(), None),
        recent=(),
    )
