"""The messages actors tell each other. Small frozen dataclasses; no replies expected."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TypeAlias

from clanactors.bungie.models import AccountStats, GroupInfo, RosterMember
from clanactors.domain.events import ActivityRef, Event, StoredEvent
from clanactors.domain.fireteams import Player
from clanactors.domain.presence import Presence
from clanactors.domain.snapshot import FireteamCard, RecentActivity, Snapshot
from clanactors.domain.stats import StatsRecord


@dataclass(frozen=True)
class Ping:
    """Asked, not told: answers once every earlier message has been handled."""


@dataclass(frozen=True)
class Poll:
    """Time for the actor's next round of work (sent by the scheduler). A poll loop that
    can be restarted early (PollNow) numbers its chains: a Poll of an older chain, already
    on its way when the new chain began, is dropped."""

    chain: int = 0


# ----------------------------------------------------------------------- supervisor


@dataclass(frozen=True)
class ChildFailed:
    role: str  # feed, recorder, member, fireteam, ...
    key: str  # the role, or role:id for members and fireteams
    error: str
    doing: str  # the message it was handling
    trace: str = ""
    transient: bool = False  # the database could not answer: not the actor's own bug
    urn: str = ""  # which start of the child failed (a stale report is ignored)


@dataclass(frozen=True)
class ResendRoster:
    """The stats actor (re)started: tell it who is in the clan, as of the last poll."""


@dataclass(frozen=True)
class ChildStarted:
    """A child's start went through: it is up again."""

    key: str
    urn: str


@dataclass(frozen=True)
class RestartChild:
    key: str


@dataclass(frozen=True)
class StartMember:
    member: RosterMember


@dataclass(frozen=True)
class StopMember:
    membership_id: str


@dataclass(frozen=True)
class FireteamSpec:
    fireteam_id: str
    activity_hash: int
    started_at: datetime
    members: dict[str, str]  # membershipId -> display name
    announce: bool
    settle: float


@dataclass(frozen=True)
class StartFireteam:
    spec: FireteamSpec


@dataclass(frozen=True)
class ToMember:
    membership_id: str
    message: MemberMessage


@dataclass(frozen=True)
class ToFireteam:
    fireteam_id: str
    message: FireteamMessage


@dataclass(frozen=True)
class ToAllMembers:
    message: MemberMessage


# ----------------------------------------------------------------------- feed


@dataclass(frozen=True)
class Record:
    event: Event
    done: str | None = None  # recording work finished by storing this event


@dataclass(frozen=True)
class ApplyRoster:
    group: GroupInfo | None
    members: tuple[RosterMember, ...]
    polled_at: datetime


# ----------------------------------------------------------------------- tracker, members


@dataclass(frozen=True)
class RosterPolled:
    """The clan's current members, after every roster poll."""

    members: tuple[RosterMember, ...]
    first: bool


@dataclass(frozen=True)
class MemberPresence:
    presence: Presence


@dataclass(frozen=True)
class ResendPresence:
    """Tell the tracker your presence again (it restarted and lost its books)."""


@dataclass(frozen=True)
class PollPace:
    """Rest (poll every few intervals) while a fireteam mate watches for the group."""

    resting: bool


@dataclass(frozen=True)
class PollNow:
    """Something changed around this member: poll at once instead of waiting."""


@dataclass(frozen=True)
class FireteamMembers:
    members: dict[str, str]  # membershipId -> display name, clan members only


@dataclass(frozen=True)
class FireteamEnded:
    players: tuple[Player, ...]


@dataclass(frozen=True)
class EmitStart:
    pass


# ----------------------------------------------------------------------- recorder


@dataclass(frozen=True)
class ActivityEnded:
    """A fireteam's activity is over: read one member's history for it (others if private)."""

    players: tuple[Player, ...]
    activity_hash: int
    started_at: datetime


@dataclass(frozen=True)
class CheckHistory:
    """Read what a member finished since their checkpoint (e.g. on going offline)."""

    membership_id: str
    characters: tuple[str, ...] = ()  # the characters played; none known: all of them
    priority: int = 0  # 1: a new database's first look, paced behind the live page


@dataclass(frozen=True)
class KnownCharacters:
    membership_id: str
    character_ids: tuple[str, ...]


@dataclass(frozen=True)
class Reconcile:
    """Compare members' histories with the log (start, takeover, recovery, sweep)."""

    reason: str


@dataclass(frozen=True)
class ReconcileNow:
    """The reconciler's own timer: read the histories now (of `only`, or everyone's)."""

    reason: str
    only: frozenset[str] | None = None


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
    known: bool = True  # False: the member went offline; nothing is known until read again


@dataclass(frozen=True)
class ViewFireteams:
    fireteams: tuple[FireteamCard, ...]


@dataclass(frozen=True)
class ViewStats:
    per_member: dict[str, StatsRecord]
    unavailable: frozenset[str] = frozenset()  # members Bungie has no stats for


@dataclass(frozen=True)
class ViewRecent:
    recent: tuple[RecentActivity, ...]


@dataclass(frozen=True)
class ViewHealth:
    bungie: str


@dataclass(frozen=True)
class CheckPolling:
    """Time to look whether profile polls wait behind recording (the ceiling binds)."""


@dataclass(frozen=True)
class SaveSnapshot:
    """Time to share the newest snapshot with the other serve processes."""


@dataclass(frozen=True)
class GetSnapshot:
    """Asked: the view's newest `Snapshot`."""


# ----------------------------------------------------------------------- listeners


@dataclass(frozen=True)
class EventStored:
    event: StoredEvent


@dataclass(frozen=True)
class SnapshotChanged:
    snapshot: Snapshot


# ----------------------------------------------------------------------- notifier


@dataclass(frozen=True)
class NotifierStart:
    """Begin: give configured webhooks a chance, send what is owed, plan the digest."""


@dataclass(frozen=True)
class Drain:
    """Messages are owed (the feed stored some) or a wait is over: send what may go."""


@dataclass(frozen=True)
class DigestDue:
    """A weekly reset may have passed: owe each webhook the digest of the week, once."""


# ----------------------------------------------------------------------- per actor
# What each actor handles: its `handle` matches every one (mypy checks with assert_never).

SupervisorMessage: TypeAlias = (
    ChildFailed
    | ChildStarted
    | RestartChild
    | StartMember
    | StopMember
    | StartFireteam
    | ToMember
    | ToAllMembers
    | ToFireteam
)
MemberMessage: TypeAlias = Poll | PollNow | ResendPresence | PollPace
FireteamMessage: TypeAlias = FireteamMembers | EmitStart | FireteamEnded
FeedMessage: TypeAlias = Record | ApplyRoster
TrackerMessage: TypeAlias = RosterPolled | MemberPresence
RecorderMessage: TypeAlias = ActivityEnded | CheckHistory | KnownCharacters | Poll
ReconcilerMessage: TypeAlias = RosterPolled | Reconcile | ReconcileNow | Poll
RosterMessage: TypeAlias = Poll | PollNow | ResendRoster
StatsMessage: TypeAlias = RosterChanged | RefreshStats | Poll
ViewMessage: TypeAlias = (
    ViewRoster
    | ViewPresence
    | ViewFireteams
    | ViewStats
    | ViewRecent
    | ViewHealth
    | CheckPolling
    | SaveSnapshot
    | GetSnapshot
)
NotifierMessage: TypeAlias = NotifierStart | Drain | DigestDue
ImporterMessage: TypeAlias = Poll
ListenerMessage: TypeAlias = EventStored | SnapshotChanged
