"""Events are data: what happened in the clan, with a deterministic dedupe key.

One constructor per event kind (docs/api.md, "Events"). The dedupe key names the
happening itself, not the moment we noticed it, so a restart, a retry or two members
reporting the same instance always produce the same key and the store records it once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from clanactors.bungie.modes import match_name
from clanactors.bungie.pgcr_teams import Outcome
from clanactors.core.clock import utc_iso


class Kind(StrEnum):
    """The kinds of event (docs/api.md, "Events"): the `kind` column and JSON field."""

    MEMBER_JOINED = "member_joined"
    MEMBER_LEFT = "member_left"
    MEMBER_ONLINE = "member_online"
    MEMBER_OFFLINE = "member_offline"
    ACTIVITY_STARTED = "activity_started"
    ACTIVITY_CLEARED = "activity_cleared"
    ACTIVITY_ENDED = "activity_ended"
    ADMIN_ACTION = "admin_action"


KINDS: tuple[str, ...] = tuple(Kind)
UNKNOWN_ACTIVITY = "Unknown activity"
PRESENCE_KINDS = frozenset({Kind.MEMBER_ONLINE, Kind.MEMBER_OFFLINE})
FINISHED_KINDS = frozenset({Kind.ACTIVITY_CLEARED, Kind.ACTIVITY_ENDED})


@dataclass(frozen=True)
class ActivityRef:
    hash: int
    name: str
    mode: int | None

    @classmethod
    def unknown(cls, activity_hash: int) -> ActivityRef:
        """An activity whose definition has not been read (yet)."""
        return cls(activity_hash, UNKNOWN_ACTIVITY, None)

    def to_json(self) -> dict[str, Any]:
        return {"hash": self.hash, "name": self.name, "mode": self.mode}


@dataclass(frozen=True)
class Match:
    """A PvP instance as the feed tells it: the mode it was played in (the instance's,
    not the map's definition) and, when the report says, how it went for the clan."""

    mode: int | None
    outcome: Outcome | None = None


@dataclass(frozen=True)
class Event:
    kind: Kind
    occurred_at: datetime
    members: tuple[str, ...]
    text: str
    dedupe_key: str
    activity: ActivityRef | None = None
    instance_id: str | None = None
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown event kind {self.kind!r}")
        object.__setattr__(self, "kind", Kind(self.kind))
        if self.occurred_at.tzinfo is None:
            raise ValueError("occurred_at must be timezone-aware")


@dataclass(frozen=True)
class StoredEvent:
    """An event as the log holds it: with its id."""

    id: int
    event: Event


def join_names(names: Sequence[str], most: int = 4) -> str:
    """Names as "A, B and C"; past `most` of them, the first `most - 1` "and N others"."""
    if len(names) <= 1:
        return "".join(names)
    if len(names) > most:
        shown = most - 1
        return f"{', '.join(names[:shown])} and {len(names) - shown} others"
    return f"{', '.join(names[:-1])} and {names[-1]}"


def _sorted_ids(ids: Iterable[str]) -> tuple[str, ...]:
    return tuple(sorted(set(ids), key=lambda i: (len(i), i)))


def member_joined(membership_id: str, name: str, joined_at: datetime) -> Event:
    return Event(
        kind=Kind.MEMBER_JOINED,
        occurred_at=joined_at,
        members=(membership_id,),
        text=f"{name} joined the clan",
        dedupe_key=f"member_joined:{membership_id}:{utc_iso(joined_at)}",
    )


def member_left(
    membership_id: str, name: str, joined_at: datetime | None, noticed_at: datetime
) -> Event:
    # One leave per membership spell: keyed by the join it ends.
    return Event(
        kind=Kind.MEMBER_LEFT,
        occurred_at=noticed_at,
        members=(membership_id,),
        text=f"{name} left the clan",
        dedupe_key=f"member_left:{membership_id}:{utc_iso(joined_at)}",
    )


def member_online(membership_id: str, name: str, changed_at: datetime) -> Event:
    return Event(
        kind=Kind.MEMBER_ONLINE,
        occurred_at=changed_at,
        members=(membership_id,),
        text=f"{name} came online",
        dedupe_key=f"member_online:{membership_id}:{utc_iso(changed_at)}",
    )


def member_offline(membership_id: str, name: str, changed_at: datetime) -> Event:
    return Event(
        kind=Kind.MEMBER_OFFLINE,
        occurred_at=changed_at,
        members=(membership_id,),
        text=f"{name} went offline",
        dedupe_key=f"member_offline:{membership_id}:{utc_iso(changed_at)}",
    )


def activity_started(members: dict[str, str], activity: ActivityRef, started_at: datetime) -> Event:
    """One event per fireteam start; `members` maps membershipId to display name."""
    ids = _sorted_ids(members)
    names = [members[i] for i in ids]
    who = join_names(names) if len(ids) > 1 else names[0]
    return Event(
        kind=Kind.ACTIVITY_STARTED,
        occurred_at=started_at,
        members=ids,
        activity=activity,
        text=f"{who} started {activity.name}",
        dedupe_key=f"activity_started:{activity.hash}:{utc_iso(started_at)}:{ids[0]}",
    )


def activity_finished(
    members: dict[str, str],
    activity: ActivityRef,
    instance_id: str,
    ended_at: datetime,
    cleared: bool,
    match: Match | None = None,
) -> Event:
    """`activity_cleared` or `activity_ended`: one event per instance, whichever it is.
    A PvP `match` is named by mode and map, with its victory, defeat or place."""
    ids = _sorted_ids(members)
    who = join_names([members[i] for i in ids])
    if match is not None:
        text = match_text(who, activity.name, match, cleared)
    else:
        # Read by players: a clear says so, anything else says it was not one.
        text = (
            f"{who} cleared {activity.name}"
            if cleared
            else f"{who} played {activity.name} (not cleared)"
        )
    return Event(
        kind=Kind.ACTIVITY_CLEARED if cleared else Kind.ACTIVITY_ENDED,
        occurred_at=ended_at,
        members=ids,
        activity=activity,
        instance_id=instance_id,
        text=text,
        dedupe_key=f"activity_finished:{instance_id}",
    )


def match_text(who: str, activity_name: str, match: Match, cleared: bool) -> str:
    """ "Ana cleared Control on Midtown: victory", "Ana cleared Rumble: placed 2nd of 6",
    "Ana played Control on Midtown (not cleared): defeat": the words every finished
    activity says (cleared, or not cleared), then how the match went when the report says."""
    name = match_name(activity_name, match.mode)
    said = f"{who} cleared {name}" if cleared else f"{who} played {name} (not cleared)"
    result = match.outcome
    if result is None:
        return said
    if result.place is not None:
        return f"{said}: placed {result.result}"
    return f"{said}: {'victory' if result.won else 'defeat'}"


# What an admin can do from /admin (docs/api.md, "Admin pages"): the verb of the event.
ADMIN_VERBS = {
    "approve": ("approved", "approve"),
    "deny": ("denied", "deny"),
    "kick": ("kicked", "kick"),
    "ban": ("banned", "ban"),
    "promote": ("promoted", "promote"),
    "demote": ("demoted", "demote"),
}


def admin_action(
    admin: tuple[str, str],
    action: str,
    targets: dict[str, str],
    members: Iterable[str],
    done: bool,
    message: str,
    at: datetime,
    key: str,
    detail: str = "",
) -> Event:
    """An admin's action and how it went: `admin` is (membershipId, name), `targets` maps
    membershipId to name (applicants too), `members` the clan members among them and the
    admin; `message` is Bungie's refusal (or ""), `detail` e.g. "to Admin"; `key` names
    the one attempt."""
    did, do = ADMIN_VERBS[action]
    whom = join_names(list(targets.values()))
    extra = f" {detail}" if detail else ""
    text = (
        f"{admin[1]} {did} {whom}{extra}"
        if done
        else f"{admin[1]} could not {do} {whom}{extra}: {message or 'Bungie refused'}"
    )
    return Event(
        kind=Kind.ADMIN_ACTION,
        occurred_at=at,
        members=_sorted_ids({admin[0], *members}),
        text=text,
        dedupe_key=f"admin_action:{key}",
        extra={
            "admin": {"membershipId": admin[0], "name": admin[1]},
            "action": action,
            "targets": [{"membershipId": i, "name": n} for i, n in targets.items()],
            "outcome": "done" if done else "refused",
            "message": message,
        },
    )
