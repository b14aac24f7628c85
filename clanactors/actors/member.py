"""The member actor: one per online member, polling that member's profile.

Each poll derives the member's presence (activity, start, party) and reports it to the
supervisor only when it changed. Polls re-arm after each run (no overlap), paced by what
is likely to change next (`clanactors.domain.pacing`), and back off while Bungie is down
or throttling.
"""

from __future__ import annotations

import logging
from typing import Any, assert_never

from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import (
    KnownCharacters,
    MemberMessage,
    MemberPresence,
    Poll,
    PollNow,
    PollPace,
    ResendPresence,
)
from clanactors.bungie.errors import (
    BungieError,
    MaintenanceError,
    NotFoundError,
    PrivacyError,
    ThrottledError,
)
from clanactors.bungie.models import RosterMember
from clanactors.domain.pacing import Pacing
from clanactors.domain.presence import Presence, derive_presence
from clanactors.runtime.scheduler import Timer

log = logging.getLogger(__name__)
MAX_BACKOFF = 300.0


class MemberActor(BaseActor[MemberMessage]):
    role = "member"

    def __init__(self, ctx: Context, member: RosterMember) -> None:
        super().__init__(ctx)
        self.member = member
        self.presence: Presence | None = None
        self.characters: tuple[str, ...] = ()
        self.failures = 0
        # A resting member (a fireteam mate watches for the group) polls at the far pace;
        # the tracker wakes it with PollNow when the watcher sees the group change.
        self.resting = False
        self.next_poll: Timer | None = None
        self.chain = 0  # the poll chain that is current; Polls of older ones are dropped

    def started(self) -> None:
        self.actor_ref.tell(Poll(self.chain))

    def handle(self, message: MemberMessage) -> Any:
        match message:
            case Poll(chain=chain) if chain == self.chain:
                self.next_poll = self.later(self._poll(), Poll(self.chain))
            case Poll():
                pass  # an older chain's Poll, already sent when PollNow began a new one
            case PollNow():
                self._poll_now()
            case ResendPresence():
                if self.presence is not None:
                    self.ctx.peers.tracker.tell(MemberPresence(self.presence))
            case PollPace():
                was_resting, self.resting = self.resting, message.resting
                if was_resting and not self.resting:
                    self._poll_now()  # the new watcher: back to full pace at once
            case _:
                assert_never(message)

    def _poll_now(self) -> None:
        if self.next_poll is not None:
            self.next_poll.cancel()  # not enough alone: it may have fired already
        self.chain += 1
        self.next_poll = self.later(self._poll(), Poll(self.chain))

    def _poll(self) -> float:
        """Poll once; return the delay before the next poll."""
        interval = self.ctx.profile_interval
        try:
            state = self.ctx.client.get_profile(
                self.member.membership_type, self.member.membership_id
            )
        except ThrottledError as exc:
            return max(exc.retry_after, interval)
        except PrivacyError:
            state = None
        except NotFoundError as exc:
            log.info("profile not found member=%s: %s", self.member.bungie_name, exc)
            return interval * 4
        except (MaintenanceError, BungieError) as exc:
            self.failures += 1
            log.debug("profile poll failed member=%s: %s", self.member.bungie_name, exc)
            return min(interval * 2**self.failures, max(interval, MAX_BACKOFF))
        self.failures = 0
        if state is None:
            presence = Presence(
                self.member.membership_id,
                self.member.membership_type,
                None,
                None,
                None,
                frozenset(),
                True,
                self.characters,
            )
        else:
            presence = derive_presence(state, self.ctx.clock.now())
        if presence.character_ids and presence.character_ids != self.characters:
            self.characters = presence.character_ids
            self.ctx.peers.recorder.tell(
                KnownCharacters(self.member.membership_id, self.characters)
            )
        if presence != self.presence:
            self.presence = presence
            self.ctx.peers.tracker.tell(MemberPresence(presence))
        return self._next_read(presence)

    def _next_read(self, presence: Presence) -> float:
        durations = self.ctx.durations
        runs = (
            durations.runs(presence.activity_hash)
            if durations is not None and presence.activity_hash is not None and not self.resting
            else None
        )
        pacing = self.ctx.pacing or Pacing(self.ctx.profile_interval)
        now = self.ctx.clock.now()
        return pacing.next_read(presence, now, runs, resting=self.resting).seconds

    def key(self) -> str:
        return f"member:{self.member.membership_id}"
