"""The tracker: who is online, what they play, and with whom.

It asks the supervisor for a member actor per online member, folds their presence
reports into fireteams (grouping and pacing decided in `clanactors.domain.fireteams`), starts a
fireteam actor per group, and hands finished activities and members going offline to
the recorder, which reads their history.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any, assert_never

from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import (
    CheckHistory,
    FireteamEnded,
    FireteamMembers,
    FireteamSpec,
    MemberPresence,
    PollNow,
    PollPace,
    ResendPresence,
    RosterPolled,
    StartFireteam,
    StartMember,
    StopMember,
    ToFireteam,
    ToMember,
    TrackerMessage,
    ViewFireteams,
    ViewPresence,
)
from clanactors.bungie.models import RosterMember
from clanactors.domain import fireteams as ft
from clanactors.domain.presence import Presence
from clanactors.domain.snapshot import FireteamCard
from clanactors.store.recording import horizon

log = logging.getLogger(__name__)


class TrackerActor(BaseActor[TrackerMessage]):
    role = "tracker"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.roster: dict[str, RosterMember] = {}
        self.online: set[str] = set()  # members with a polling actor
        self.presence: dict[str, Presence] = {}
        self.fireteams: dict[str, ft.Fireteam] = {}
        self.fireteam_of: dict[str, str] = {}
        self.resting: set[str] = set()
        self.played: dict[str, set[str]] = {}  # characters seen this session, by member
        self.first_synced_at: datetime | None = None

    def started(self) -> None:
        with self.ctx.db.session() as session:
            self.first_synced_at = horizon(session)

    def handle(self, message: TrackerMessage) -> Any:
        match message:
            case RosterPolled():
                self._roster(message.members)
            case MemberPresence():
                self._presence(message.presence)
            case _:
                assert_never(message)

    # ------------------------------------------------------------------ roster

    def _roster(self, members: tuple[RosterMember, ...]) -> None:
        self.roster = {m.membership_id: m for m in members}
        now_online = {m.membership_id for m in members if m.is_online}
        for membership_id in sorted(now_online - self.online):
            self.online.add(membership_id)
            self.ctx.peers.supervisor.tell(StartMember(self.roster[membership_id]))
            # After a restart of the tracker its books are empty: a member actor that
            # still runs says again what it last saw.
            self._tell_member(membership_id, ResendPresence())
        for membership_id in sorted(self.online - now_online):
            self._member_gone(membership_id)

    def _member_gone(self, membership_id: str) -> None:
        self.online.discard(membership_id)
        self.resting.discard(membership_id)
        self.ctx.peers.supervisor.tell(StopMember(membership_id))
        self.presence.pop(membership_id, None)
        self._leave_fireteam(membership_id)
        self.ctx.peers.view.tell(ViewPresence(membership_id, None, None, None, False, known=False))
        # Whatever they finished since their checkpoint is read now.
        played = tuple(sorted(self.played.pop(membership_id, ())))
        self.ctx.peers.recorder.tell(CheckHistory(membership_id, played))
        self._publish_fireteams()

    # ------------------------------------------------------------------ fireteams

    def _presence(self, presence: Presence) -> None:
        membership_id = presence.membership_id
        if membership_id not in self.roster or membership_id not in self.online:
            return  # a poll that raced with going offline or leaving
        self.presence[membership_id] = presence
        if presence.character_id:
            self.played.setdefault(membership_id, set()).add(presence.character_id)
        fireteam = ft.find_fireteam(self.fireteams.values(), presence)
        current_id = self.fireteam_of.get(membership_id)
        current = self.fireteams.get(current_id) if current_id else None
        for mate in ft.mates_to_wake(current, presence, fireteam):
            self._tell_member(mate, PollNow())
        if current is not None and (fireteam is None or fireteam.id != current.id):
            self._leave_fireteam(membership_id)
        if fireteam is None and presence.in_activity:
            fireteam = self._new_fireteam(presence)
        if fireteam is not None:
            self._join_fireteam(fireteam, presence)
        self._publish_presence(membership_id)
        self._publish_fireteams()

    def _new_fireteam(self, presence: Presence) -> ft.Fireteam:
        fireteam = ft.new_fireteam(presence, self.roster)
        clan_party = ft.clan_party(presence, self.roster)
        started = fireteam.started_at
        announce = self.first_synced_at is None or started >= self.first_synced_at
        spec = FireteamSpec(
            fireteam.id,
            fireteam.activity_hash,
            started,
            {m: self.roster[m].display_name for m in sorted(clan_party)},
            announce,
            ft.settle_delay(presence, self.ctx.profile_interval),
        )
        self.ctx.peers.supervisor.tell(StartFireteam(spec))
        self.fireteams[fireteam.id] = fireteam
        return fireteam

    def _join_fireteam(self, fireteam: ft.Fireteam, presence: Presence) -> None:
        ft.join(fireteam, presence)
        self.fireteam_of[presence.membership_id] = fireteam.id
        clan = {
            m: self.roster[m].display_name
            for m in fireteam.members | fireteam.party
            if m in self.roster
        }
        self.ctx.peers.supervisor.tell(ToFireteam(fireteam.id, FireteamMembers(clan)))
        self._pace(fireteam)

    def _leave_fireteam(self, membership_id: str) -> None:
        fireteam_id = self.fireteam_of.pop(membership_id, None)
        fireteam = self.fireteams.get(fireteam_id) if fireteam_id else None
        if fireteam is None:
            return
        fireteam.members.discard(membership_id)
        self._set_resting(membership_id, False)
        if fireteam.members:
            self._pace(fireteam)
            return
        del self.fireteams[fireteam.id]
        ended = FireteamEnded(tuple(fireteam.players.values()))
        self.ctx.peers.supervisor.tell(ToFireteam(fireteam.id, ended))

    # ------------------------------------------------------------------ poll pacing

    def _pace(self, fireteam: ft.Fireteam) -> None:
        resting = ft.choose_watcher(fireteam, self.presence)
        for membership_id in fireteam.members:
            self._set_resting(membership_id, membership_id in resting)

    def _set_resting(self, membership_id: str, resting: bool) -> None:
        if (membership_id in self.resting) == resting:
            return
        if resting:
            self.resting.add(membership_id)
        else:
            self.resting.discard(membership_id)
        self._tell_member(membership_id, PollPace(resting))

    def _tell_member(self, membership_id: str, message: Any) -> None:
        self.ctx.peers.supervisor.tell(ToMember(membership_id, message))

    # ------------------------------------------------------------------ view

    def _publish_presence(self, membership_id: str) -> None:
        presence = self.presence.get(membership_id)
        fireteam_id = self.fireteam_of.get(membership_id)
        fireteam = self.fireteams.get(fireteam_id) if fireteam_id else None
        view = self.ctx.peers.view
        if presence is None or fireteam is None:
            private = presence.private if presence else False
            view.tell(ViewPresence(membership_id, None, None, None, private))
            return
        view.tell(
            ViewPresence(
                membership_id,
                self.ctx.names.get(fireteam.activity_hash),
                fireteam.started_at,
                fireteam.id,
                presence.private,
            )
        )

    def _publish_fireteams(self) -> None:
        views = []
        for fireteam in sorted(self.fireteams.values(), key=lambda f: f.started_at):
            if not fireteam.is_group(self.roster):
                continue
            views.append(
                FireteamCard(
                    fireteam.id,
                    self.ctx.names.get(fireteam.activity_hash),
                    fireteam.started_at,
                    tuple(sorted(fireteam.members)),
                    fireteam.guests(self.roster),
                )
            )
        self.ctx.peers.view.tell(ViewFireteams(tuple(views)))
