"""The view actor: folds what the others report into one Snapshot and publishes changes."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import (
    CheckPolling,
    SaveSnapshot,
    SnapshotChanged,
    ViewFireteams,
    ViewHealth,
    ViewPresence,
    ViewRecent,
    ViewRoster,
    ViewStats,
)
from clanactors.bungie.models import GroupInfo, RosterMember
from clanactors.clock import utc_iso
from clanactors.snapshot import (
    EMPTY,
    LiveActivity,
    Snapshot,
    clan_json,
    member_json,
    sort_members,
    totals_json,
)
from clanactors.store.live import load_snapshot, save_snapshot

SAVE_EVERY = 1.0
CHECK_POLLING_EVERY = 5.0


class ViewActor(BaseActor):
    role = "view"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.group: GroupInfo | None = None
        self.roster: dict[str, RosterMember] = {}
        self.presence: dict[str, ViewPresence] = {}
        self.stats: dict[str, dict[str, int]] = {}
        self.stats_updated: datetime | None = None
        self.fireteams: list[dict[str, Any]] = []
        self.recent: list[dict[str, Any]] = []
        self.synced_at: datetime | None = None
        self.bungie = "ok"
        self.polling = "ok"
        self.snapshot: Snapshot = replace(EMPTY, clan={**EMPTY.clan, "id": ctx.clan_id})
        self.save_scheduled = False

    def on_start(self) -> None:
        # Versions keep growing across pollers, so other processes never take a new
        # poller's snapshots for old ones.
        with self.ctx.db.session() as session:
            stored = load_snapshot(session)
        if stored is not None:
            self.snapshot = replace(self.snapshot, version=stored.version)
        self.later(CHECK_POLLING_EVERY, CheckPolling())

    def handle(self, message: Any) -> Any:
        match message:
            case ViewRoster():
                if message.group is not None:
                    self.group = message.group
                self.roster = {m.membership_id: m for m in message.members}
                self.synced_at = message.synced_at
                self.presence = {k: v for k, v in self.presence.items() if k in self.roster}
            case ViewPresence():
                if message.activity is None and not message.private:
                    self.presence.pop(message.membership_id, None)
                else:
                    self.presence[message.membership_id] = message
            case ViewFireteams():
                self.fireteams = list(message.fireteams)
            case ViewStats():
                self.stats.update(message.per_member)
                self.stats_updated = self.ctx.clock.now()
            case ViewRecent():
                self.recent = list(message.recent)
            case ViewHealth():
                self.bungie = message.bungie
            case CheckPolling():
                self.later(CHECK_POLLING_EVERY, CheckPolling())
                slowed = self.ctx.client.live_wait() > self.ctx.profile_interval / 2
                self.polling = "slowed" if slowed else "ok"
            case SaveSnapshot():
                self.save_scheduled = False
                with self.ctx.db.session() as session:
                    save_snapshot(session, self.snapshot, self.ctx.clock.now())
                return None
            case "snapshot":
                return self.snapshot
            case _:
                raise TypeError(f"unexpected message {message!r}")
        self._rebuild()
        return None

    def _rebuild(self) -> None:
        members = []
        for member in self.roster.values():
            seen = self.presence.get(member.membership_id) if member.is_online else None
            live = None
            if seen is not None and seen.activity is not None:
                live = LiveActivity(seen.activity, seen.started_at, seen.fireteam_id)
            members.append(
                member_json(
                    member,
                    live,
                    self.stats.get(member.membership_id),
                    private=seen.private if seen is not None else False,
                )
            )
        updated = utc_iso(self.synced_at)
        roster_ids = list(self.roster)
        new = Snapshot(
            clan=clan_json(self.group, self.ctx.clan_id, len(self.roster)),
            members={**sort_members(members), "updatedAt": updated},
            fireteams=[f for f in self.fireteams if set(f["members"]) <= set(self.roster)],
            stats=totals_json(roster_ids, self.stats, self.stats_updated),
            recent=self.recent,
            bungie=self.bungie,
            polling=self.polling,
            last_roster_sync=updated,
            version=self.snapshot.version + 1,
        )
        old = self.snapshot
        parts = set()
        if new.clan != old.clan:
            parts.add("clan")
        if _without(new.members, "updatedAt") != _without(old.members, "updatedAt"):
            parts.add("members")
        if new.fireteams != old.fireteams:
            parts.add("fireteams")
        if _without(new.stats, "updatedAt") != _without(old.stats, "updatedAt"):
            parts.add("stats")
        if new.recent != old.recent:
            parts.add("recent")
        if new.bungie != old.bungie or new.polling != old.polling:
            parts.add("health")
        if not parts and new.last_roster_sync == old.last_roster_sync:
            return
        self.snapshot = new
        self.ctx.peers.listeners.publish(SnapshotChanged(new, frozenset(parts)))
        if not self.save_scheduled:  # at most one write a second
            self.save_scheduled = True
            self.later(SAVE_EVERY, SaveSnapshot())


def _without(d: dict[str, Any], key: str) -> dict[str, Any]:
    return {k: v for k, v in d.items() if k != key}
