"""The fireteam actor: one per group of clan members playing one activity together.

It owns the group's timer (the activity's start) and emits ONE `activity_started` for the
whole fireteam, once the activity's name is known. When the tracker says the activity is
over it hands the players to the recorder, which reads history for the instance and
records ONE finished event, and stops.
"""

from __future__ import annotations

import logging
from typing import Any, assert_never

from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import (
    ActivityEnded,
    EmitStart,
    FireteamEnded,
    FireteamMembers,
    FireteamMessage,
    FireteamSpec,
    Record,
)
from clanactors.bungie.errors import BungieError
from clanactors.domain import events

log = logging.getLogger(__name__)
NAME_RETRY = 30.0  # seconds between tries to learn the activity's name


class FireteamActor(BaseActor[FireteamMessage]):
    role = "fireteam"

    def __init__(self, ctx: Context, spec: FireteamSpec) -> None:
        super().__init__(ctx)
        self.spec = spec
        self.members = dict(spec.members)  # membershipId -> display name
        self.emitted = not spec.announce
        self.ended = False

    def key(self) -> str:
        return f"fireteam:{self.spec.fireteam_id}"

    def started(self) -> None:
        if self.spec.settle > 0:
            self.later(self.spec.settle, EmitStart())
        else:
            self._emit()

    def handle(self, message: FireteamMessage) -> Any:
        match message:
            case FireteamMembers():
                self.members.update(message.members)
            case EmitStart():
                self._emit()
            case FireteamEnded():
                self.ctx.peers.recorder.tell(
                    ActivityEnded(message.players, self.spec.activity_hash, self.spec.started_at)
                )
                self.ended = True
                self._emit()
                if self.emitted:
                    self.stop()
            case _:
                assert_never(message)

    def _emit(self) -> None:
        if self.emitted or not self.members:
            return
        try:
            activity = self.ctx.names.resolve(self.spec.activity_hash)
        except BungieError as exc:
            # Never "Unknown activity" in the log: the start waits for the name.
            log.debug("start of fireteam %s waits for its name: %s", self.spec.fireteam_id, exc)
            self.later(NAME_RETRY, EmitStart())
            return
        self.emitted = True
        event = events.activity_started(self.members, activity, self.spec.started_at)
        self.ctx.peers.feed.tell(Record(event))
        if self.ended:
            self.stop()
