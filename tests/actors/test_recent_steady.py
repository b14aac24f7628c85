"""The front page's recent activities hold still while the start-up reads arrive: the list
changes when a newer clan activity ends, never to put older ones above what it showed."""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise
from typing import Any

import pykka

from clanactors.actors.messages import SnapshotChanged
from clanactors.domain.snapshot import RecentActivity
from tests.actors.harness import Harness


class Watcher(pykka.ThreadingActor):
    """Keeps every recent list the view publishes, in order."""

    def __init__(self) -> None:
        super().__init__()
        self.lists: list[tuple[RecentActivity, ...]] = []

    def on_receive(self, message: Any) -> Any:
        if isinstance(message, SnapshotChanged):
            recent = message.snapshot.recent
            if not self.lists or self.lists[-1] != recent:
                self.lists.append(recent)
        return None


def ended(r: RecentActivity) -> Any:
    return r.period + timedelta(seconds=r.duration_seconds)


def test_recent_changes_only_when_a_newer_activity_ends(harness: Harness) -> None:
    watcher = Watcher.start()
    try:
        harness.start(listeners=(watcher,), history_days=3)  # a first start reads history
        harness.run(180, step=10)  # start-up: rosters, profiles, histories, reports
        lists: list[tuple[RecentActivity, ...]] = watcher.proxy().lists.get()
    finally:
        harness.stop()
        watcher.stop()
    shown = [lst for lst in lists if lst]
    assert shown, "no recent activity was ever shown"
    order_changes = 0
    for before, after in pairwise(shown):
        ids_before = [r.instance_id for r in before]
        ids_after = [r.instance_id for r in after]
        if ids_before == ids_after:
            continue  # the same entries, updated in place (members found, a result read)
        order_changes += 1
        newest_before = max(map(ended, before))
        newest_after = max(map(ended, after))
        assert newest_after > newest_before, (
            "the list changed without a newer activity ending",
            [(r.instance_id, ended(r).isoformat(), r.members) for r in before],
            [(r.instance_id, ended(r).isoformat(), r.members) for r in after],
        )
    print(f"{len(lists)} lists, {order_changes} changes of entries")
