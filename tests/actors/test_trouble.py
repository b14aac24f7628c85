"""Maintenance, restarts and crashes: no crash, no lost and no duplicated events."""

from __future__ import annotations

from collections import Counter

import pykka
import pytest

from clanactors.actors import member as member_module
from tests.actors.harness import Harness

VAULT_OF_GLASS = 3881495763
PROPHECY = 1077850348


def _keys(h: Harness) -> Counter[str]:
    return Counter(e.event.dedupe_key for e in h.events())


def test_maintenance_in_the_middle_loses_and_duplicates_nothing(harness: Harness) -> None:
    h = harness
    h.start()
    h.run(60)
    trio = [m.membership_id for m in h.world.idle_members(3)]
    play = h.world.script_play(trio, PROPHECY, minutes=4, cleared=True)
    h.run_until(
        lambda: any(
            e.event.activity and e.event.activity.hash == PROPHECY
            for e in h.events("activity_started")
        ),
        limit=90,
    )

    h.sim.faults.set(maintenance=True)
    h.run(300)  # the dungeon ends while Bungie is down
    snapshot = h.system.snapshot()
    assert snapshot.bungie == "maintenance"
    assert len(snapshot.members["online"]) > 0  # the last known state is still served
    assert all(ref.is_alive() for ref in pykka.ActorRegistry.get_all())

    h.sim.faults.set(maintenance=False)
    h.run_until(lambda: any(e.event.instance_id == play.instance_id for e in h.events()), limit=900)
    h.run(120)
    assert h.system.snapshot().bungie == "ok"
    finished = [e for e in h.events() if e.event.instance_id == play.instance_id]
    assert [e.event.kind for e in finished] == ["activity_cleared"]
    assert sorted(finished[0].event.members) == sorted(trio)
    assert max(_keys(h).values()) == 1


@pytest.mark.parametrize("downtime", [60, 600])
def test_a_restart_mid_raid_records_the_clear_once(harness_any: Harness, downtime: int) -> None:
    h = harness_any
    h.start()
    h.run(60)
    trio = [m.membership_id for m in h.world.idle_members(3)]
    play = h.world.script_play(trio, VAULT_OF_GLASS, minutes=5, cleared=True)
    h.run_until(
        lambda: (
            h.events("activity_started")
            and any(e.event.activity.hash == VAULT_OF_GLASS for e in h.events("activity_started"))
        ),
        limit=90,
    )
    before = _keys(h)

    h.stop()  # the process dies mid-raid
    h.run(downtime)  # the raid may end while nobody watches
    h.start()
    h.run_until(lambda: any(e.event.instance_id == play.instance_id for e in h.events()), limit=900)
    h.run(120)

    keys = _keys(h)
    assert max(keys.values()) == 1
    assert set(before) <= set(keys)
    finished = [e for e in h.events() if e.event.instance_id == play.instance_id]
    assert len(finished) == 1 and finished[0].event.kind == "activity_cleared"
    starts = [
        e
        for e in h.events("activity_started")
        if e.event.activity.hash == VAULT_OF_GLASS and set(trio) & set(e.event.members)
    ]
    assert len(starts) == 1
    pgcr_path = f"/Platform/Destiny2/Stats/PostGameCarnageReport/{play.instance_id}/"
    assert h.paths()[pgcr_path] == 1


def test_a_member_actor_that_raises_is_restarted(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    h.start()
    h.run(30)
    (victim,) = [m.membership_id for m in h.world.idle_members(1)]
    real = member_module.derive_presence
    calls = Counter[str]()

    def flaky(state, now):  # type: ignore[no-untyped-def]
        calls[state.membership_id] += 1
        if state.membership_id == victim and calls[victim] == 1:
            raise RuntimeError("boom: a bug in presence derivation")
        return real(state, now)

    monkeypatch.setattr(member_module, "derive_presence", flaky)
    h.world.script_play([victim], PROPHECY, minutes=10, cleared=True)
    h.run(90)
    assert calls[victim] >= 2  # polled again after the crash
    supervisor = h.system.ctx.peers.supervisor.ref
    assert supervisor is not None and supervisor.is_alive()
    crash_logs = [r for r in caplog.records if "crashed" in r.getMessage()]
    assert (
        len(crash_logs) == 1 and h.world.members[victim].bungie_name in crash_logs[0].getMessage()
    )
    snapshot = h.system.snapshot()
    assert snapshot.member(victim)["currentActivity"]["hash"] == PROPHECY


def test_a_database_error_delays_an_event_but_never_loses_it(
    harness: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from clanactors.store import roster as roster_store

    h = harness
    h.start()
    real = roster_store.record_event
    failures = {"left": 2}

    def flaky(session, event, recorded_at):  # type: ignore[no-untyped-def]
        if event.kind == "member_joined" and failures["left"] > 0:
            failures["left"] -= 1
            raise OperationalError("INSERT", {}, Exception("database is locked"))
        return real(session, event, recorded_at)

    monkeypatch.setattr(roster_store, "record_event", flaky)
    newcomer = h.world.script_join()
    h.run(30)
    assert h.events("member_joined") == []  # not stored yet, so not published either
    h.run(60)
    joined = h.events("member_joined")
    assert [e.event.members for e in joined] == [(newcomer.membership_id,)]
    assert failures["left"] == 0
    assert all(ref.is_alive() for ref in pykka.ActorRegistry.get_all())
