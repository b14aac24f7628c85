"""Supervision worth the name: any exception restarts the actor, the system goes on, and
a restart storm is contained (logged once, slowed down, never given up for good)."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy.exc import IntegrityError, OperationalError

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


@pytest.mark.parametrize(
    ("error", "times"),
    [
        (RuntimeError("a bug at start"), 1),
        (OperationalError("SELECT", {}, Exception("the database is starting up")), 8),
    ],
    ids=["bug", "database-down-at-start"],
)
def test_an_actor_that_fails_at_its_start_is_restarted_and_reported(
    harness: Harness,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    error: Exception,
    times: int,
) -> None:
    """Pykka calls no on_failure when on_start raises: before, such an actor was gone for
    good and nothing said so. A database that cannot answer at start is retried at the
    database pace for as long as it takes (eight tries here: past the storm intensity)."""
    from clanactors.actors import stats as stats_module

    real = stats_module.StatsActor.started
    raised = Counter[str]()

    def flaky(self):  # type: ignore[no-untyped-def]
        if raised["n"] < times:
            raised["n"] += 1
            raise error
        return real(self)

    monkeypatch.setattr(stats_module.StatsActor, "started", flaky)
    h = harness
    h.start()
    assert raised["n"] == 1
    assert h.system.ctx.health.view().down == ("stats",)
    h.run(12 * times, step=2)
    assert raised["n"] == times
    health = h.system.ctx.health.view()
    assert health.down == () and health.restarts_by_actor == {"stats": times}
    assert h.system.ctx.peers.stats.ref is not None and h.system.ctx.peers.stats.ref.is_alive()
    messages = [r.getMessage() for r in caplog.records]
    assert not any("Unhandled exception" in m for m in messages)  # pykka's copy dropped
    if isinstance(error, OperationalError):
        assert not any("keeps crashing" in m or "crashed while" in m for m in messages)
    else:
        crashes = [m for m in messages if "crashed while handling starting" in m]
        assert len(crashes) == 1 and "a bug at start" in crashes[0]
    # The stats actor works after its late start: the clan's stats get fetched (behind
    # the live reads, which a loaded machine slows in simulated time).
    h.run_until(lambda: h.system.snapshot().stats.get("membersCounted", 0) > 0, limit=600)


def test_a_crash_of_an_actor_that_is_not_ours_keeps_its_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    import pykka

    from clanactors.actors.base import quiet_pykka_failures

    class Outsider(pykka.ThreadingActor):
        def on_receive(self, message: object) -> None:
            raise RuntimeError("an outsider's bug")

    quiet_pykka_failures()
    ref = Outsider.start()
    ref.tell("boom")
    assert ref.actor_stopped.wait(5)
    assert any("Unhandled exception" in r.getMessage() for r in caplog.records)
