"""What one profile poll says a member is doing, from its transitory and activity data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from clanactors.bungie.models import ProfileState

# 204 data is sticky after logout and sometimes stuck; an "activity" older than this is
# not believed.
STUCK_AFTER = timedelta(hours=10)
# A fireteam-wide transitory start more than this far from the member's own start belongs
# to another session.
START_AGREEMENT = timedelta(minutes=10)


@dataclass(frozen=True)
class Presence:
    membership_id: str
    membership_type: int
    activity_hash: int | None  # None: orbit, offline or unknown
    started_at: datetime | None
    character_id: str | None
    party: frozenset[str]  # everyone in the party, clan or not, self included
    private: bool  # the activity components are hidden
    character_ids: tuple[str, ...]

    @property
    def in_activity(self) -> bool:
        return self.activity_hash is not None

    def same_activity(self, other: Presence | None) -> bool:
        return (
            other is not None
            and other.activity_hash == self.activity_hash
            and other.started_at == self.started_at
        )


def derive_presence(state: ProfileState, now: datetime) -> Presence:
    activity = state.activity
    transitory = state.transitory
    party = frozenset(p.membership_id for p in transitory.party) if transitory else frozenset()
    hash_: int | None = None
    started: datetime | None = None
    character_id = activity.character_id if activity else None
    if (
        activity is not None
        and not activity.in_orbit
        and activity.started_at is not None
        and now - activity.started_at < STUCK_AFTER
        and not (transitory is not None and transitory.offline)
    ):
        hash_ = activity.activity_hash
        started = activity.started_at
        fireteam_start = transitory.start_time if transitory is not None else None
        if fireteam_start and abs(fireteam_start - activity.started_at) <= START_AGREEMENT:
            started = min(fireteam_start, activity.started_at)
    return Presence(
        membership_id=state.membership_id,
        membership_type=state.membership_type,
        activity_hash=hash_,
        started_at=started,
        character_id=character_id,
        party=party | {state.membership_id} if party else frozenset(),
        private=state.activities_private,
        character_ids=state.character_ids,
    )
