"""Supervision worth the name: any exception restarts the actor, the system goes on, and
a restart storm is contained (logged once, slowed down, never given up for good)."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy.exc import IntegrityError

from clanactors.actors import member as member_module
from clanactors.actors import recorder as recorder_module
from clanactors.store import eventlog
from tests.actors.harness import Harness

PROPHECY = 1077850348


def finished(h: Harness, instance_id: str) -> list:
    return [e for e in h.events() if e.event.instance_id == instance_id]


@pytest.mark.parametrize(
    "error",
    [
        RuntimeError("a bug in the recorder"),
        IntegrityError("INSERT", {}, Exception("constraint failed")),
        KeyError("candidates"),
    ],
    ids=["bug", "database-integrity", "bad-payload"],
)
def test_a_crashing_recorder_is_restarted_and_records_the_clear(
    harness: Harness,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
) -> None:
    h = harness
    h.start()
    h.run(60)
    trio = [m.membership_id for m in h.world.idle_members(3)]
    real = recorder_module.RecorderActor._pgcr
    raised = Counter[str]()

    def flaky(self, work):  # type: ignore[no-untyped-def]
        if raised["n"] == 0:
            raised["n"] += 1
            raise error
        return real(self, work)

    monkeypatch.setattr(recorder_module.RecorderActor, "_pgcr", flaky)
    play = h.world.script_play(trio, PROPHECY, minutes=4, cleared=True)
    h.run_until(lambda: finished(h, play.instance_id), limit=900)
    assert raised["n"] == 1
    assert [e.event.kind for e in finished(h, play.instance_id)] == ["activity_cleared"]
    health = h.system.ctx.health.view()
    assert health.restarts_by_actor == {"recorder": 1} and health.down == ()
    crashes = [r for r in caplog.records if "crashed" in r.getMessage()]
    assert len(crashes) == 1 and "recorder" in crashes[0].getMessage()
    assert "_pgcr" in crashes[0].getMessage() or "Poll" in crashes[0].getMessage()


def test_a_crashing_feed_loses_no_event(harness: Harness, monkeypatch: pytest.MonkeyPatch) -> None:
    from clanactors.actors import feed as feed_module

    h = harness
    h.start()
    h.run(60)
    trio = [m.membership_id for m in h.world.idle_members(3)]
    real = eventlog.record_event
    raised = Counter[str]()

    def flaky(session, event, recorded_at):  # type: ignore[no-untyped-def]
        if event.kind == "activity_cleared" and raised["n"] == 0:
            raised["n"] += 1
            raise ValueError("a bug while storing a clear")
        return real(session, event, recorded_at)

    monkeypatch.setattr(feed_module, "record_event", flaky)
    play = h.world.script_play(trio, PROPHECY, minutes=4, cleared=True)
    # The clear's work stays queued; the recorder hands it over again after a pause.
    h.run_until(lambda: finished(h, play.instance_id), limit=1200, step=10)
    assert raised["n"] == 1
    assert len(finished(h, play.instance_id)) == 1
    assert h.system.ctx.health.view().restarts_by_actor == {"feed": 1}


def test_a_restart_storm_is_contained(
    harness: Harness, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    h = harness
    h.start()
    h.run(30)
    (victim,) = [m.membership_id for m in h.world.idle_members(1)]
    real = member_module.derive_presence
    calls = Counter[str]()

    def broken(state, now):  # type: ignore[no-untyped-def]
        if state.membership_id == victim:
            calls[victim] += 1
            raise RuntimeError("always broken for this member")
        return real(state, now)

    monkeypatch.setattr(member_module, "derive_presence", broken)
    h.world.script_login(victim, hours=3)
    h.run(600, step=5)
    # Five quick restarts, then one storm line and a long pause: not a busy loop.
    assert 6 <= calls[victim] <= 9
    messages = [r.getMessage() for r in caplog.records]
    assert sum("crashed while handling" in m for m in messages) == 1
    assert sum("keeps crashing" in m for m in messages) == 1
    assert h.system.ctx.health.view().down == (f"member:{victim}",)
    h.run(1200, step=30)
    assert calls[victim] > 9  # tried again after the pause: never given up for good
    others = [m for m in h.system.snapshot().members["online"] if m["membershipId"] != victim]
    assert others, "the rest of the clan is still followed"
