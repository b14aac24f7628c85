"""The fireteam actor: one per group of clan members playing one activity together.

It owns the group's timer (the activity's start) and emits ONE `activity_started` for the
whole fireteam. When the supervisor says the activity is over it hands the players to the
recorder, which finds the instance and emits ONE finished event, and stops.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from clanactors import events
from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import (
    ActivityEnded,
    EmitStart,
    FireteamEnded,
    FireteamMembers,
    Record,
)
from clanactors.events import ActivityRef


class FireteamActor(BaseActor):
    def __init__(
        self,
        ctx: Context,
        fireteam_id: str,
        activity: ActivityRef,
        started_at: datetime,
        members: dict[str, str],
        announce: bool,
        settle: float,
    ) -> None:
        super().__init__(ctx)
        self.fireteam_id = fireteam_id
        self.activity = activity
        self.started_at = started_at
        self.members = dict(members)  # membershipId -> display name
        self.announce = announce
        self.settle = settle
        self.emitted = not announce

    def on_start(self) -> None:
        if self.settle > 0:
            self.later(self.settle, EmitStart())
        else:
            self._emit()

    def handle(self, message: Any) -> Any:
        match message:
            case FireteamMembers():
                self.members.update(message.members)
            case EmitStart():
                self._emit()
            case FireteamEnded():
                self._emit()
                self.ctx.tell(
                    "recorder",
                    ActivityEnded(message.players, self.activity.hash, self.started_at),
                )
                self.stop()
            case _:
                raise TypeError(f"unexpected message {message!r}")

    def _emit(self) -> None:
        if self.emitted or not self.members:
            return
        self.emitted = True
        event = events.activity_started(self.members, self.activity, self.started_at)
        self.ctx.tell("feed", Record(event))

    child_kind = "fireteam"

    def child_key(self) -> str:
        return self.fireteam_id
