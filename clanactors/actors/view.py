"""The view actor: folds what the others report into one Snapshot and publishes changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any, assert_never

from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import (
    CheckPolling,
    GetSnapshot,
    SaveSnapshot,
    SnapshotChanged,
    ViewFireteams,
    ViewHealth,
    ViewMessage,
    ViewPresence,
    ViewRecent,
    ViewRoster,
    ViewStats,
)
from clanactors.bungie.models import GroupInfo, RosterMember
from clanactors.domain.snapshot import (
    ClanInfo,
    ClanTotals,
    FireteamCard,
    LiveActivity,
    MemberCard,
    RecentActivity,
    Snapshot,
    empty,
)
from clanactors.domain.stats import StatsRecord
from clanactors.render.wire import state_of
from clanactors.store.live import SharedSnapshot, load_snapshot, save_snapshot

SAVE_EVERY = 1.0
CHECK_POLLING_EVERY = 5.0


class ViewActor(BaseActor[ViewMessage]):
    role = "view"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.group: GroupInfo | None = None
        self.roster: dict[str, RosterMember] = {}
        self.presence: dict[str, ViewPresence] = {}
        # Members whose profile said private when last read: still marked once offline.
        self.private: set[str] = set()
        self.stats: dict[str, StatsRecord] = {}
        self.no_stats: set[str] = set()
        self.stats_updated: datetime | None = None
        self.fireteams: tuple[FireteamCard, ...] = ()
        self.recent: tuple[RecentActivity, ...] = ()
        self.synced_at: datetime | None = None
        self.bungie = "ok"
        self.polling = "ok"
        self.snapshot: Snapshot = empty(ctx.clan_id)
        self.save_scheduled = False

    def started(self) -> None:
        # Versions keep growing across pollers, so other processes never take a new
        # poller's snapshots for old ones.
        with self.ctx.db.session() as session:
            stored = load_snapshot(session)
        if stored is not None:
            self.snapshot = replace(self.snapshot, version=stored.version)
        self.later(CHECK_POLLING_EVERY, CheckPolling())

    def handle(self, message: ViewMessage) -> Any:
        match message:
            case ViewRoster():
                if message.group is not None:
                    self.group = message.group
                self.roster = {m.membership_id: m for m in message.members}
                self.private &= set(self.roster)
                self.no_stats &= set(self.roster)
                self.stats = {k: v for k, v in self.stats.items() if k in self.roster}
                self.synced_at = message.synced_at
                # Who went offline is unknown again until read after they come back.
                self.presence = {
                    k: v
                    for k, v in self.presence.items()
                    if k in self.roster and self.roster[k].is_online
                }
            case ViewPresence():
                if message.known:
                    self.presence[message.membership_id] = message
                    if message.private:
                        self.private.add(message.membership_id)
                    else:
                        self.private.discard(message.membership_id)
                else:
                    self.presence.pop(message.membership_id, None)
            case ViewFireteams():
                self.fireteams = message.fireteams
            case ViewStats():
                self.stats.update(message.per_member)
                self.no_stats.difference_update(message.per_member)
                self.no_stats.update(message.unavailable)
                self.stats_updated = self.ctx.clock.now()
            case ViewRecent():
                self.recent = message.recent
            case ViewHealth():
                self.bungie = message.bungie
            case CheckPolling():
                self.later(CHECK_POLLING_EVERY, CheckPolling())
                slowed = self.ctx.client.live_wait() > self.ctx.profile_interval / 2
                self.polling = "slowed" if slowed else "ok"
            case SaveSnapshot():
                self.save_scheduled = False
                with self.ctx.db.session() as session:
                    state = state_of(self.snapshot)
                    shared = SharedSnapshot(state.version, state.to_json())
                    save_snapshot(session, shared, self.ctx.clock.now())
                return None
            case GetSnapshot():
                return self.snapshot
            case _:
                assert_never(message)
        self._rebuild()
        return None

    def _rebuild(self) -> None:
        cards = []
        for member in self.roster.values():
            seen = self.presence.get(member.membership_id) if member.is_online else None
            live = None
            if seen is not None and seen.activity is not None:
                live = LiveActivity(seen.activity, seen.started_at, seen.fireteam_id)
            cards.append(
                MemberCard(
                    member,
                    live,
                    known=seen is not None,
                    private=member.membership_id in self.private,
                    stats=self.stats.get(member.membership_id),
                )
            )
        roster_ids = list(self.roster)
        group = self.group
        new = Snapshot(
            clan=ClanInfo(
                self.ctx.clan_id,
                group.name if group else "",
                group.motto if group else "",
                len(self.roster),
            ),
            members=tuple(cards),
            fireteams=tuple(f for f in self.fireteams if set(f.members) <= set(self.roster)),
            stats=ClanTotals.of(roster_ids, self.stats, self.no_stats, self.stats_updated),
            recent=self.recent,
            bungie=self.bungie,
            polling=self.polling,
            synced_at=self.synced_at,
            version=self.snapshot.version + 1,
        )
        if replace(new, version=self.snapshot.version) == self.snapshot:
            return  # nothing anyone would see changed
        self.snapshot = new
        self.ctx.peers.listeners.publish(SnapshotChanged(new))
        if not self.save_scheduled:  # at most one write a second
            self.save_scheduled = True
            self.later(SAVE_EVERY, SaveSnapshot())
