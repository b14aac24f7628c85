"""The supervisor: one per clan. Polls the roster, keeps a member actor per online member,
groups members into fireteams with a fireteam actor each, and restarts crashed children.

Roster diffs become `member_joined`/`member_left` (none on a new database's first sync)
and `member_online`/`member_offline`. The supervisor is the only writer of `members`.
"""

from __future__ import annotations

import contextlib
import logging
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import pykka
from sqlalchemy import select

from clanactors import events
from clanactors.actors.base import BaseActor, Context
from clanactors.actors.fireteam import FireteamActor
from clanactors.actors.member import MemberActor
from clanactors.actors.messages import (
    Backfill,
    CheckHistory,
    ChildFailed,
    FireteamEnded,
    FireteamMembers,
    MemberPresence,
    PlayerRef,
    Poll,
    PollNow,
    PollPace,
    Record,
    RestartMember,
    RosterChanged,
    ViewFireteams,
    ViewPresence,
    ViewRoster,
)
from clanactors.bungie.errors import AuthError, BungieError, ThrottledError
from clanactors.bungie.models import GroupInfo, RosterMember
from clanactors.clock import utc_iso
from clanactors.presence import Presence
from clanactors.store.models import Clan, Member

log = logging.getLogger(__name__)

GROUP_REFRESH = timedelta(hours=1)
BACKFILL_WINDOW = timedelta(days=14)
# Party members report the same fireteam start (transitory startTime); a start further
# off than this is the next instance of an activity (back-to-back Crucible on one map).
SAME_START = timedelta(minutes=3)
FALLBACK_START = timedelta(minutes=2)  # no party data: same activity, starts this close
RESTARTS_PER_MINUTE = 5
MAX_BACKOFF = 600.0
PROBE_EVERY = 120.0


@dataclass
class Fireteam:
    id: str
    activity_hash: int
    started_at: datetime
    actor: pykka.ActorRef[Any]
    members: set[str] = field(default_factory=set)  # clan members in it now
    players: dict[str, PlayerRef] = field(default_factory=dict)  # everyone who played it
    party: set[str] = field(default_factory=set)  # party ids seen, clan or not
    watcher: str | None = None  # the member polling for the group while the others rest


class Supervisor(BaseActor):
    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.roster: dict[str, RosterMember] = {}
        self.stored: dict[str, Member] = {}
        self.group: GroupInfo | None = None
        self.group_fetched: datetime | None = None
        self.first_synced_at: datetime | None = None
        self.synced_once = False
        self.children: dict[str, pykka.ActorRef[Any]] = {}
        self.presence: dict[str, Presence] = {}
        self.fireteams: dict[str, Fireteam] = {}
        self.fireteam_of: dict[str, str] = {}
        self.restarts: dict[str, deque[float]] = {}
        self.given_up: set[str] = set()
        self.resting: set[str] = set()
        self.failures = 0

    # ------------------------------------------------------------------ lifecycle

    def on_start(self) -> None:
        with self.ctx.db.session() as session:
            self.stored = {m.membership_id: m for m in session.scalars(select(Member))}
            clan = session.get(Clan, self.ctx.clan_id)
            self.first_synced_at = clan.first_synced_at if clan else None
        self.actor_ref.tell(Poll())

    def on_stop(self) -> None:
        super().on_stop()
        for ref in [*self.children.values(), *(f.actor for f in self.fireteams.values())]:
            ref.stop(block=False)
        for ref in [*self.children.values(), *(f.actor for f in self.fireteams.values())]:
            try:
                ref.stop(block=True, timeout=10)
            except pykka.Timeout:
                log.warning("a child actor did not stop within 10 s")

    def handle(self, message: Any) -> Any:
        match message:
            case Poll():
                self.later(self._poll_roster(), Poll())
            case MemberPresence():
                self._presence(message.presence)
            case ChildFailed():
                self._child_failed(message)
            case RestartMember():
                member = self.roster.get(message.membership_id)
                if member is not None and member.is_online:
                    self._start_member(member)
            case _:
                raise TypeError(f"unexpected message {message!r}")

    # ------------------------------------------------------------------ roster

    def _poll_roster(self) -> float:
        interval = self.ctx.roster_interval
        client = self.ctx.client
        now = self.ctx.clock.now()
        if self.group_fetched is None or now - self.group_fetched > GROUP_REFRESH:
            # The clan's name and motto are decoration: their failure never stops the roster.
            try:
                self.group = client.get_group(self.ctx.clan_id)
                self.group_fetched = now
            except BungieError as exc:
                log.info("clan details unavailable, will retry: %s", exc)
        try:
            members = client.get_roster(self.ctx.clan_id)
        except BungieError as exc:
            if isinstance(exc, ThrottledError):
                return max(exc.retry_after, interval)
            if isinstance(exc, AuthError):
                log.error("Bungie rejected the API key; retrying in %.0f s", MAX_BACKOFF)
                return MAX_BACKOFF
            self.failures += 1
            # Back off, but keep probing every couple of minutes to see Bungie return.
            return min(interval * 2**self.failures, max(interval, PROBE_EVERY))
        self.failures = 0
        self._apply_roster(members, self.ctx.clock.now())
        return interval

    def _apply_roster(self, members: list[RosterMember], now: datetime) -> None:
        first_sync = not self.stored
        previous = self.roster
        self.roster = {m.membership_id: m for m in members}
        self._record_roster_events(members, now, first_sync)
        self._store_roster(members, now)

        roster_tuple = tuple(members)
        self.ctx.tell("view", ViewRoster(self.group, roster_tuple, now))
        if previous.keys() != self.roster.keys() or not self.synced_once:
            self.ctx.tell("recorder", RosterChanged(roster_tuple))
            self.ctx.tell("stats", RosterChanged(roster_tuple))
        if not self.synced_once:
            self.synced_once = True
            self.ctx.tell("recorder", Backfill(roster_tuple, now - BACKFILL_WINDOW))

        for member in members:
            mid = member.membership_id
            if member.is_online and mid not in self.children and mid not in self.given_up:
                self._start_member(member)
        online = {m.membership_id for m in members if m.is_online}
        for membership_id in list(self.children):
            if membership_id not in online:
                self._member_gone(membership_id)
        self.given_up &= online

    def _record_roster_events(
        self, members: list[RosterMember], now: datetime, first_sync: bool
    ) -> None:
        for member in members:
            stored = self.stored.get(member.membership_id)
            name = member.display_name
            if stored is None or not stored.in_clan:
                if not first_sync:
                    joined = member.joined_at or now
                    self._record(events.member_joined(member.membership_id, name, joined))
                continue
            if stored.is_online != member.is_online:
                changed = member.last_online_change or now
                make = events.member_online if member.is_online else events.member_offline
                self._record(make(member.membership_id, name, changed))
        for membership_id, stored in self.stored.items():
            if stored.in_clan and membership_id not in self.roster:
                self._record(
                    events.member_left(membership_id, stored.display_name, stored.joined_at, now)
                )

    def _store_roster(self, members: list[RosterMember], now: datetime) -> None:
        with self.ctx.db.session() as session:
            clan = session.get(Clan, self.ctx.clan_id)
            if clan is None:
                clan = Clan(group_id=self.ctx.clan_id, name="", motto="", first_synced_at=now)
                session.add(clan)
                self.first_synced_at = now
            if self.group is not None:
                clan.name = self.group.name
                clan.motto = self.group.motto
            clan.member_count = len(members)
            clan.updated_at = now
            for member in members:
                row = self.stored.get(member.membership_id)
                values = {
                    "membership_type": member.membership_type,
                    "display_name": member.display_name,
                    "bungie_name": member.bungie_name,
                    "rank": member.rank,
                    "joined_at": member.joined_at,
                    "is_online": member.is_online,
                    "last_online_at": member.last_online_change,
                    "in_clan": True,
                }
                if row is not None and all(getattr(row, k) == v for k, v in values.items()):
                    continue
                row = session.merge(
                    Member(membership_id=member.membership_id, updated_at=now, **values)
                    if row is None
                    else _updated(row, values, now)
                )
                self.stored[member.membership_id] = row
            for membership_id, row in self.stored.items():
                if row.in_clan and membership_id not in self.roster:
                    row.in_clan = False
                    row.is_online = False
                    row.updated_at = now
                    self.stored[membership_id] = session.merge(row)

    def _record(self, event: events.Event) -> None:
        self.ctx.tell("feed", Record(event))

    # ------------------------------------------------------------------ members

    def _start_member(self, member: RosterMember) -> None:
        if member.membership_id in self.children:
            return
        self.children[member.membership_id] = MemberActor.start(self.ctx, member)

    def _member_gone(self, membership_id: str) -> None:
        self.resting.discard(membership_id)
        ref = self.children.pop(membership_id, None)
        if ref is not None:
            ref.stop(block=False)
        presence = self.presence.pop(membership_id, None)
        self._leave_fireteam(membership_id)
        self.ctx.tell("view", ViewPresence(membership_id, None, None, None, False))
        member = self.roster.get(membership_id) or self.stored.get(membership_id)
        if presence is not None and presence.character_id and member is not None:
            self.ctx.tell(
                "recorder",
                CheckHistory(
                    PlayerRef(membership_id, member.membership_type, presence.character_id)
                ),
            )
        self._publish_fireteams()

    def _child_failed(self, message: ChildFailed) -> None:
        if message.kind == "fireteam":
            log.error("fireteam actor %s crashed: %s", message.key, message.error)
            for membership_id, fireteam_id in list(self.fireteam_of.items()):
                if fireteam_id == message.key:
                    del self.fireteam_of[membership_id]
            self.fireteams.pop(message.key, None)
            self._publish_fireteams()
            return
        membership_id = message.key
        self.children.pop(membership_id, None)
        self.resting.discard(membership_id)
        member = self.roster.get(membership_id)
        name = member.bungie_name if member else membership_id
        now = self.ctx.clock.monotonic()
        recent = self.restarts.setdefault(membership_id, deque())
        while recent and recent[0] < now - 60:
            recent.popleft()
        if len(recent) >= RESTARTS_PER_MINUTE:
            if membership_id not in self.given_up:
                log.error(
                    "member actor for %s crashed %d times in a minute; not restarting until "
                    "they come online again: %s",
                    name,
                    len(recent),
                    message.error,
                )
                self.given_up.add(membership_id)
            return
        recent.append(now)
        backoff = min(2.0 ** (len(recent) - 1), 30.0)
        if len(recent) == 1:
            log.error("member actor for %s crashed, restarting: %s", name, message.error)
        self.later(backoff, RestartMember(membership_id))

    # ------------------------------------------------------------------ fireteams

    def _presence(self, presence: Presence) -> None:
        membership_id = presence.membership_id
        if membership_id not in self.roster or membership_id not in self.children:
            return  # a poll that raced with going offline or leaving
        self.presence[membership_id] = presence
        fireteam = self._fireteam_for(presence)
        current = self.fireteam_of.get(membership_id)
        self._wake_mates(membership_id, presence, current, fireteam)
        if current is not None and (fireteam is None or fireteam.id != current):
            self._leave_fireteam(membership_id)
        if fireteam is None and presence.in_activity:
            fireteam = self._new_fireteam(presence)
        if fireteam is not None:
            self._join_fireteam(fireteam, presence)
        self._publish_presence(membership_id)
        self._publish_fireteams()

    def _fireteam_for(self, presence: Presence) -> Fireteam | None:
        if not presence.in_activity or presence.started_at is None:
            return None
        for fireteam in self.fireteams.values():
            if fireteam.activity_hash != presence.activity_hash:
                continue
            gap = abs(fireteam.started_at - presence.started_at)
            same_party = presence.membership_id in fireteam.party or bool(
                fireteam.members & presence.party
            )
            if (same_party and gap <= SAME_START) or (not presence.party and gap <= FALLBACK_START):
                return fireteam
        return None

    def _new_fireteam(self, presence: Presence) -> Fireteam:
        assert presence.activity_hash is not None and presence.started_at is not None
        started = presence.started_at
        clan_party = {m for m in presence.party if m in self.roster} | {presence.membership_id}
        fireteam_id = f"{presence.activity_hash}-{int(started.timestamp())}-{min(clan_party)}"
        activity = self.ctx.names.get(presence.activity_hash)
        announce = self.first_synced_at is None or started >= self.first_synced_at
        settle = 0.0 if presence.party else min(self.ctx.profile_interval, 60.0)
        actor = FireteamActor.start(
            self.ctx,
            fireteam_id,
            activity,
            started,
            {m: self.roster[m].display_name for m in sorted(clan_party)},
            announce,
            settle,
        )
        fireteam = Fireteam(fireteam_id, presence.activity_hash, started, actor)
        self.fireteams[fireteam_id] = fireteam
        return fireteam

    def _join_fireteam(self, fireteam: Fireteam, presence: Presence) -> None:
        membership_id = presence.membership_id
        fireteam.members.add(membership_id)
        fireteam.party |= presence.party
        fireteam.players[membership_id] = PlayerRef(
            membership_id, presence.membership_type, presence.character_id
        )
        self.fireteam_of[membership_id] = fireteam.id
        clan = {
            m: self.roster[m].display_name
            for m in fireteam.members | fireteam.party
            if m in self.roster
        }
        with contextlib.suppress(pykka.ActorDeadError):
            fireteam.actor.tell(FireteamMembers(clan))
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
        with contextlib.suppress(pykka.ActorDeadError):
            fireteam.actor.tell(FireteamEnded(tuple(fireteam.players.values())))

    # ------------------------------------------------------------------ poll pacing
    # In a fireteam whose members report their party, one member (the watcher) polls at
    # the profile interval and the others rest; what the watcher sees wakes them.

    def _pace(self, fireteam: Fireteam) -> None:
        with_party = sorted(
            m for m in fireteam.members if (p := self.presence.get(m)) is not None and p.party
        )
        fireteam.watcher = with_party[0] if len(with_party) >= 2 else None
        for membership_id in fireteam.members:
            resting = fireteam.watcher is not None and membership_id != fireteam.watcher
            self._set_resting(membership_id, resting)

    def _set_resting(self, membership_id: str, resting: bool) -> None:
        if (membership_id in self.resting) == resting:
            return
        if resting:
            self.resting.add(membership_id)
        else:
            self.resting.discard(membership_id)
        self._tell_member(membership_id, PollPace(resting))

    def _wake_mates(
        self,
        membership_id: str,
        presence: Presence,
        current_id: str | None,
        next_fireteam: Fireteam | None,
    ) -> None:
        """The watcher's news: its mates may have moved too, so they poll now."""
        current = self.fireteams.get(current_id) if current_id else None
        if current is None or current.watcher != membership_id:
            return
        leaving = next_fireteam is None or next_fireteam.id != current.id
        for mate in current.members - {membership_id}:
            if leaving or mate not in presence.party:
                self._tell_member(mate, PollNow())

    def _tell_member(self, membership_id: str, message: Any) -> None:
        ref = self.children.get(membership_id)
        if ref is not None:
            with contextlib.suppress(pykka.ActorDeadError):
                ref.tell(message)

    def _publish_presence(self, membership_id: str) -> None:
        presence = self.presence.get(membership_id)
        fireteam_id = self.fireteam_of.get(membership_id)
        fireteam = self.fireteams.get(fireteam_id) if fireteam_id else None
        if presence is None or fireteam is None:
            private = presence.private if presence else False
            self.ctx.tell("view", ViewPresence(membership_id, None, None, None, private))
            return
        self.ctx.tell(
            "view",
            ViewPresence(
                membership_id,
                self.ctx.names.get(fireteam.activity_hash),
                fireteam.started_at,
                fireteam.id,
                presence.private,
            ),
        )

    def _publish_fireteams(self) -> None:
        views = []
        for fireteam in sorted(self.fireteams.values(), key=lambda f: f.started_at):
            members = sorted(fireteam.members)
            guests = len({p for p in fireteam.party if p not in self.roster})
            if len(members) + guests < 2:
                continue  # one member alone is a solo player, not a fireteam
            views.append(
                {
                    "id": fireteam.id,
                    "activity": self.ctx.names.get(fireteam.activity_hash).to_json(),
                    "startedAt": utc_iso(fireteam.started_at),
                    "members": members,
                    "guests": guests,
                }
            )
        self.ctx.tell("view", ViewFireteams(tuple(views)))


def _updated(row: Member, values: dict[str, Any], now: datetime) -> Member:
    for key, value in values.items():
        setattr(row, key, value)
    row.updated_at = now
    return row
