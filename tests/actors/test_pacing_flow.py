"""Poll pacing in the running actor system: a member early in a long activity is read
far less often than every profile interval, and its end is still recorded within the
near pace once the clan's past runs say an end may come."""

from __future__ import annotations

from datetime import timedelta

from clanactors.domain.pacing import Pacing
from clanactors.store.models import ActivityInstance, EventRow
from tests.actors.harness import Harness

VAULT_OF_GLASS = 3881495763
PAST_RUN = 30  # minutes every stored run of the raid lasted


def test_a_raid_is_read_slowly_until_its_runs_end_then_its_end_is_seen_soon(
    harness: Harness,
) -> None:
    h = harness
    # Stored before the actors start: the runs are looked up when a raid is first seen.
    with h.db.session() as session:
        for i in range(40):
            session.add(
                ActivityInstance(
                    instance_id=str(9_000_000_000 + i),
                    activity_hash=VAULT_OF_GLASS,
                    mode=4,
                    period=h.clock.now() - timedelta(days=1, hours=i),
                    duration_seconds=PAST_RUN * 60,
                    completed=True,
                )
            )
    h.start()
    h.run(60)
    (solo,) = [m.membership_id for m in h.world.idle_members(1)]
    play = h.world.script_play([solo], VAULT_OF_GLASS, minutes=PAST_RUN + 2, cleared=True)
    path = f"/Platform/Destiny2/{h.world.members[solo].membership_type}/Profile/{solo}/"
    h.run(120)  # the roster sees them online and the first read sees the raid
    assert h.paths()[path] >= 1
    before = h.paths()[path]
    window = (PAST_RUN - 5) * 60 - 120  # up to 5 minutes before the shortest runs ended
    h.run(window)
    reads = h.paths()[path] - before
    pacing = Pacing(h.profile_interval)
    assert reads <= window / pacing.early_cap + 2  # every interval: window / 10 = 138
    assert reads >= window / pacing.early_cap - 2  # ...but it is still read

    def recorded() -> list:
        return [e for e in h.events() if e.event.instance_id == play.instance_id]

    h.run_until(lambda: recorded(), limit=15 * 60, step=1)
    (clear,) = recorded()
    with h.db.session() as session:
        row = session.get(EventRow, clear.id)
        assert row is not None
        lag = (row.recorded_at - play.ends_at).total_seconds()
    assert lag <= pacing.near + 2  # the near pace since the runs' end, plus a step or two
