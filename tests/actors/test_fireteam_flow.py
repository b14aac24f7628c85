"""Scenes from a clan's evening, played by the simulator and watched by the actors."""

from __future__ import annotations

from clanactors.domain.pacing import Pacing
from clanactors.store.models import EventRow
from tests.actors.harness import Harness

VAULT_OF_GLASS = 3881495763


def test_a_fireteam_of_three_starts_and_clears_a_raid(harness_any: Harness) -> None:
    h = harness_any
    h.start()
    h.run(120)  # first sync, backfill, stats: let the start-up traffic pass
    trio = [m.membership_id for m in h.world.idle_members(3)]
    play = h.world.script_play(trio, VAULT_OF_GLASS, minutes=5, cleared=True)

    def started() -> list:
        return [
            e
            for e in h.events("activity_started")
            if e.event.activity.hash == VAULT_OF_GLASS and set(trio) <= set(e.event.members)
        ]

    h.run_until(lambda: started(), limit=90)
    (start,) = started()
    assert sorted(start.event.members) == sorted(trio)
    assert start.event.occurred_at == play.started_at
    assert "Vault of Glass" in start.event.text

    def cleared() -> list:
        return [e for e in h.events() if e.event.instance_id == play.instance_id]

    h.run_until(lambda: cleared(), limit=400)
    h.run(60)  # let every member's poll notice the end
    (clear,) = cleared()
    assert clear.event.kind == "activity_cleared"
    assert sorted(clear.event.members) == sorted(trio)
    assert len(started()) == 1
    pgcr_path = f"/Platform/Destiny2/Stats/PostGameCarnageReport/{play.instance_id}/"
    assert h.paths()[pgcr_path] == 1

    snapshot = h.system.snapshot()
    assert play.instance_id in [r["instanceId"] for r in snapshot.recent]
    for membership_id in trio:
        member = snapshot.member(membership_id)
        assert member is not None and member["isOnline"]


def test_a_member_who_joins_is_announced_once(harness: Harness) -> None:
    harness.start()
    assert harness.events("member_joined") == []  # not on the first sync
    newcomer = harness.world.script_join()
    harness.run(60)
    joined = harness.events("member_joined")
    assert [e.event.members for e in joined] == [(newcomer.membership_id,)]
    harness.run(60)
    assert len(harness.events("member_joined")) == 1


def test_fireteam_mates_rest_while_one_watches_and_wake_for_the_end(harness: Harness) -> None:
    h = harness
    h.start()
    h.run(60)
    trio = [m.membership_id for m in h.world.idle_members(3)]
    play = h.world.script_play(trio, VAULT_OF_GLASS, minutes=12, cleared=True)
    h.run(120)  # everyone has seen the raid start
    paths = {
        m: f"/Platform/Destiny2/{h.world.members[m].membership_type}/Profile/{m}/" for m in trio
    }
    before = {m: h.paths()[p] for m, p in paths.items()}
    h.run(400)
    polls = sorted(h.paths()[p] - before[m] for m, p in paths.items())
    pacing = Pacing(h.profile_interval)
    # The watcher reads at the raid's pace, at least every 2 intervals (early in it)...
    assert polls[-1] >= 0.9 * 400 / pacing.early_cap
    # ...while its mates rest at the far pace (every 4 intervals).
    assert polls[0] <= 400 / pacing.far + 1 and polls[1] <= 400 / pacing.far + 1

    h.run_until(
        lambda: any(e.event.instance_id == play.instance_id for e in h.events()), limit=400, step=2
    )
    ended = play.ends_at
    (clear,) = [e for e in h.events() if e.event.instance_id == play.instance_id]
    detected = clear.event.occurred_at  # occurred = the end; recorded within one interval
    assert detected <= ended
    with h.db.session() as session:
        row = session.get(EventRow, clear.id)
        assert (row.recorded_at - ended).total_seconds() <= h.profile_interval + 2
    assert sorted(clear.event.members) == sorted(trio)
