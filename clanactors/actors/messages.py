"""The messages actors tell each other. Small frozen dataclasses; no replies expected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from clanactors.bungie.models import AccountStats, GroupInfo, RosterMember
from clanactors.events import ActivityRef, Event, StoredEvent
from clanactors.presence import Presence


@dataclass(frozen=True)
class Ping:
    """Asked, not told: answers once every earlier message has been handled."""


@dataclass(frozen=True)
class Poll:
    """Time for the actor's next Bungie poll (sent by the scheduler)."""


# ----------------------------------------------------------------------- feed


@dataclass(frozen=True)
class Record:
    event: Event


# ----------------------------------------------------------------------- supervisor


@dataclass(frozen=True)
class MemberPresence:
    presence: Presence


@dataclass(frozen=True)
class ChildFailed:
    kind: str  # "member" or "fireteam"
    key: str
    error: str


@dataclass(frozen=True)
class RestartMember:
    membership_id: str


@dataclass(frozen=True)
class PollPace:
    """Rest (poll every few intervals) while a fireteam mate watches for the group."""

    resting: bool


@dataclass(frozen=True)
class PollNow:
    """Something changed around this member: poll at once instead of waiting."""


# ----------------------------------------------------------------------- fireteam


@dataclass(frozen=True)
class PlayerRef:
    membership_id: str
    membership_type: int
    character_id: str | None


@dataclass(frozen=True)
class FireteamMembers:
    members: dict[str, str]  # membershipId -> display name, clan members only


@dataclass(frozen=True)
class FireteamEnded:
    players: tuple[PlayerRef, ...]


@dataclass(frozen=True)
class EmitStart:
    pass


# ----------------------------------------------------------------------- recorder


@dataclass(frozen=True)
class ActivityEnded:
    """A fireteam's activity is over: find its instance in history, fetch its PGCR."""

    players: tuple[PlayerRef, ...]
    activity_hash: int
    started_at: datetime
    attempt: int = 0


@dataclass(frozen=True)
class CheckHistory:
    """Look for activities a member finished that no poll saw (e.g. on going offline)."""

    player: PlayerRef


@dataclass(frozen=True)
class Backfill:
    """At start: catch up on history since the newest stored instance, per member."""

    members: tuple[RosterMember, ...]
    since: datetime


@dataclass(frozen=True)
class FetchPgcr:
    instance_id: str
    attempt: int = 0


@dataclass(frozen=True)
class KnownCharacters:
    membership_id: str
    character_ids: tuple[str, ...]


@dataclass(frozen=True)
class RosterChanged:
    """The clan's current members, after each roster poll that changed who is in it."""

    members: tuple[RosterMember, ...]


# ----------------------------------------------------------------------- stats


@dataclass(frozen=True)
class RefreshStats:
    membership_ids: tuple[str, ...]
    raids: bool = False  # a raid finished: raid clears changed too
    urgent: bool = True


@dataclass(frozen=True)
class MemberStatsFetched:
    membership_id: str
    stats: AccountStats
    raid_clears: int | None


# ----------------------------------------------------------------------- view


@dataclass(frozen=True)
class ViewRoster:
    group: GroupInfo | None
    members: tuple[RosterMember, ...]
    synced_at: datetime


@dataclass(frozen=True)
class ViewPresence:
    membership_id: str
    activity: ActivityRef | None
    started_at: datetime | None
    fireteam_id: str | None
    private: bool


@dataclass(frozen=True)
class ViewFireteams:
    fireteams: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class ViewStats:
    per_member: dict[str, dict[str, int]]


@dataclass(frozen=True)
class ViewRecent:
    recent: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class ViewHealth:
    bungie: str


@dataclass(frozen=True)
class SaveSnapshot:
    """Time to share the newest snapshot with the other serve processes."""


# ----------------------------------------------------------------------- listeners


@dataclass(frozen=True)
class EventStored:
    event: StoredEvent


@dataclass(frozen=True)
class SnapshotChanged:
    snapshot: Any  # clanactors.snapshot.Snapshot
    parts: frozenset[str]  # which of members, fireteams, stats, recent, clan changed
