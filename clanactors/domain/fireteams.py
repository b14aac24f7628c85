"""Fireteam grouping and poll pacing: pure decisions over members' presence.

Clan members playing one activity together form one fireteam: the same activity hash,
starts that agree (party members report the fireteam's start), and a shared party when
Bungie reports one. In a fireteam whose members report their party, one member (the
watcher) polls at the profile interval and the others rest; what the watcher sees
tells when to wake them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from clanactors.domain.presence import Presence

# Party members report the same fireteam start (transitory startTime); a start further
# off than this is the next instance of an activity (back-to-back Crucible on one map).
SAME_START = timedelta(minutes=3)
FALLBACK_START = timedelta(minutes=2)  # no party data: same activity, starts this close


@dataclass(frozen=True)
class Player:
    membership_id: str
    membership_type: int
    character_id: str | None


@dataclass
class Fireteam:
    id: str
    activity_hash: int
    started_at: datetime
    members: set[str] = field(default_factory=set)  # clan members in it now
    players: dict[str, Player] = field(default_factory=dict)  # every member who played it
    party: set[str] = field(default_factory=set)  # party ids seen, clan or not
    watcher: str | None = None  # the member polling for the group while the others rest

    def guests(self, clan: Iterable[str]) -> int:
        return len(self.party - set(clan))

    def is_group(self, clan: Iterable[str]) -> bool:
        """One member alone is a solo player, not a fireteam."""
        return len(self.members) + self.guests(clan) >= 2


def find_fireteam(fireteams: Iterable[Fireteam], presence: Presence) -> Fireteam | None:
    """The fireteam this presence belongs to, if one is running."""
    if not presence.in_activity or presence.started_at is None:
        return None
    for fireteam in fireteams:
        if fireteam.activity_hash != presence.activity_hash:
            continue
        gap = abs(fireteam.started_at - presence.started_at)
        same_party = presence.membership_id in fireteam.party or bool(
            fireteam.members & presence.party
        )
        if (same_party and gap <= SAME_START) or (not presence.party and gap <= FALLBACK_START):
            return fireteam
    return None


def new_fireteam(presence: Presence, clan: Iterable[str]) -> Fireteam:
    """A fireteam started by this presence, named by its activity, start and first member."""
    assert presence.activity_hash is not None and presence.started_at is not None
    clan_party = (presence.party & set(clan)) | {presence.membership_id}
    started = presence.started_at
    fireteam_id = f"{presence.activity_hash}-{int(started.timestamp())}-{min(clan_party)}"
    return Fireteam(fireteam_id, presence.activity_hash, started)


def clan_party(presence: Presence, clan: Iterable[str]) -> set[str]:
    return set(presence.party & set(clan)) | {presence.membership_id}


def join(fireteam: Fireteam, presence: Presence) -> None:
    fireteam.members.add(presence.membership_id)
    fireteam.party |= presence.party
    fireteam.players[presence.membership_id] = Player(
        presence.membership_id, presence.membership_type, presence.character_id
    )


def choose_watcher(fireteam: Fireteam, presence: Mapping[str, Presence]) -> set[str]:
    """Pick the fireteam's watcher; return the members who may rest."""
    with_party = sorted(
        m for m in fireteam.members if (p := presence.get(m)) is not None and p.party
    )
    fireteam.watcher = with_party[0] if len(with_party) >= 2 else None
    if fireteam.watcher is None:
        return set()
    return fireteam.members - {fireteam.watcher}


def mates_to_wake(
    fireteam: Fireteam | None, presence: Presence, next_fireteam: Fireteam | None
) -> set[str]:
    """The watcher's news: its mates may have moved too, so they poll now."""
    if fireteam is None or fireteam.watcher != presence.membership_id:
        return set()
    leaving = next_fireteam is None or next_fireteam.id != fireteam.id
    return {
        mate
        for mate in fireteam.members - {presence.membership_id}
        if leaving or mate not in presence.party
    }


def settle_delay(presence: Presence, profile_interval: float) -> float:
    """How long to wait for mates before announcing a start: none when the party is known."""
    return 0.0 if presence.party else min(profile_interval, 60.0)
