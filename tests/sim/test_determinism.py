"""The demo world is a function of its seed and the wall clock, not of when it started.

Worlds with one seed, built at different moments and advanced to the same moment, serve
the same roster, profiles, histories, PGCRs and record of happenings over HTTP.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import requests

from clanactors.core.clock import FakeClock, ScaledClock
from clanactors.sim.faults import Faults
from clanactors.sim.server import RunningSimulator, Simulator
from clanactors.sim.timeline import chunk_start
from clanactors.sim.world import World

SEED = 7


@contextmanager
def running(
    clock: FakeClock, seed: int = SEED, warmup: timedelta = timedelta(days=2)
) -> Iterator[RunningSimulator]:
    sim = RunningSimulator(
        Simulator(seed=seed, clock=clock, faults=Faults(rate_limit=None), warmup=warmup)
    )
    sim.start()
    try:
        yield sim
    finally:
        sim.stop()


def iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def served(sim: RunningSimulator, since: datetime | None, stats: bool = True) -> dict[str, Any]:
    """Everything the simulator answers about its clan, as JSON; histories, PGCRs and the
    record limited to what happened from `since` on (None: everything)."""
    out: dict[str, Any] = {"profiles": {}, "histories": {}, "stats": {}, "pgcrs": {}}
    with requests.Session() as http:
        http.headers["X-API-Key"] = "k"
        base = f"{sim.url}/Platform"

        def get(path: str, **params: Any) -> Any:
            body = http.get(f"{base}{path}", params=params, timeout=10).json()
            assert body["ErrorCode"] in (1, 1665), body
            return body

        out["group"] = get(f"/GroupV2/{sim.clan_id}/")
        out["roster"] = [
            get(f"/GroupV2/{sim.clan_id}/Members/", currentpage=page) for page in (1, 2)
        ]
        for page in out["roster"]:
            for row in page["Response"]["results"]:
                card = row["destinyUserInfo"]
                kind, mid = card["membershipType"], card["membershipId"]
                profile = get(f"/Destiny2/{kind}/Profile/{mid}/", components="100,200,204,1000")
                out["profiles"][mid] = profile
                if stats:
                    out["stats"][mid] = get(f"/Destiny2/{kind}/Account/{mid}/Stats/")
                for character in profile["Response"]["profile"]["data"]["characterIds"]:
                    history = get(
                        f"/Destiny2/{kind}/Account/{mid}/Character/{character}/Stats/Activities/",
                        count=250,
                    )
                    rows = (history.get("Response") or {}).get("activities", [])
                    if since is not None:
                        rows = [r for r in rows if r["period"] >= iso(since)]
                    out["histories"][character] = (history["ErrorCode"], rows)
        params = {"since": iso(since)} if since is not None else {}
        record = requests.get(f"{sim.url}/sim/record", params=params, timeout=10).json()
        out["record"] = record
        for happening in record["record"]:
            if happening["kind"] == "finished":
                instance = happening["instanceId"]
                out["pgcrs"][instance] = get(f"/Destiny2/Stats/PostGameCarnageReport/{instance}/")
    return out


def test_worlds_built_minutes_and_hours_apart_serve_the_same_clan() -> None:
    start = datetime(2026, 11, 1, 18, 0, tzinfo=UTC)
    moments = [start, start + timedelta(minutes=2), start + timedelta(hours=3)]
    later = moments[-1]
    meet = later + timedelta(minutes=30)
    answers = []
    for moment in moments:
        clock = FakeClock(moment)
        with running(clock) as sim:
            while clock.now() < meet:  # step by step, as a running demo would
                clock.advance(min(600, (meet - clock.now()).total_seconds()))
                sim.world.sync()
            everything = served(sim, None)
            since_later = requests.get(
                f"{sim.url}/sim/record", params={"since": iso(later)}, timeout=10
            ).json()
        answers.append((everything, since_later))
    first, first_since = answers[0]
    assert first["record"]["record"], "nothing happened"
    assert any(h["kind"] == "finished" for h in first_since["record"]), "too quiet a test"
    assert first["pgcrs"] and any(rows for _, rows in first["histories"].values())
    for other, other_since in answers[1:]:
        assert other_since == first_since
        for part in ("group", "roster", "profiles", "histories", "pgcrs", "stats", "record"):
            assert other[part] == first[part], part


def test_a_restart_across_a_day_boundary_agrees_on_what_both_played() -> None:
    early = FakeClock(datetime(2026, 11, 1, 9, 0, tzinfo=UTC))  # plays from Oct 29, 10:00
    late = FakeClock(datetime(2026, 11, 1, 11, 0, tzinfo=UTC))  # plays from Oct 30, 10:00
    with running(early) as first, running(late) as second:
        assert first.world.first_day + 1 == second.world.first_day
        since = chunk_start(second.world.first_day)
        for meet in (
            datetime(2026, 11, 1, 14, 0, tzinfo=UTC),
            datetime(2026, 11, 2, 12, 30, tzinfo=UTC),  # both cross another boundary
        ):
            for clock in (early, late):
                clock.advance((meet - clock.now()).total_seconds())
            one, two = served(first, since, stats=False), served(second, since, stats=False)
            for part in ("group", "roster", "profiles", "histories", "pgcrs", "record"):
                assert one[part] == two[part], part
            assert two["record"] == requests.get(f"{second.url}/sim/record", timeout=10).json()
            kinds = {h["kind"] for h in one["record"]["record"]}
            assert {"started", "finished", "online", "offline"} <= kinds


def test_a_world_begun_at_a_boundary_matches_one_that_played_through_it() -> None:
    """Just after a boundary: who is online (carried over from the day before, now in
    orbit), what they start next, everything the same as in a world that played the
    day before."""
    boundary = datetime(2026, 10, 30, 10, 0, tzinfo=UTC)
    through = FakeClock(boundary - timedelta(hours=1))
    fresh = FakeClock(boundary + timedelta(seconds=30))
    with running(through) as first, running(fresh, warmup=timedelta(0)) as second:
        assert second.world.simulated_from == boundary
        carried = [m for m in second.world.online_members() if m.last_status_change < boundary]
        assert carried, "nobody online across the boundary"
        for minutes in (5, 40):
            meet = boundary + timedelta(minutes=minutes)
            for clock in (through, fresh):
                clock.advance((meet - clock.now()).total_seconds())
            one, two = served(first, boundary, stats=False), served(second, boundary, stats=False)
            for part in ("roster", "profiles", "histories", "pgcrs", "record"):
                assert one[part] == two[part], part


def test_membership_follows_the_calendar() -> None:
    """Joins and leaves come from the seed's churn: a world built after a change sees it
    already made, with the same newcomer, and one built before sees it happen."""
    before = FakeClock(datetime(2026, 11, 1, 18, 0, tzinfo=UTC))
    world = World(seed=9, clock=before)
    before.advance(3 * 86400)
    world.sync()
    changes = [h for h in world.record if h.kind in ("joined", "left")]
    assert {"joined", "left"} <= {h.kind for h in changes}
    after = World(seed=9, clock=FakeClock(before.now()))
    assert [m.membership_id for m in after.roster()] == [m.membership_id for m in world.roster()]
    assert [(m.name, m.joined_at, m.rank) for m in after.roster()] == [
        (m.name, m.joined_at, m.rank) for m in world.roster()
    ]


def test_a_paced_clock_from_the_real_now_works() -> None:
    clock = ScaledClock(3600.0)  # an hour a second
    world = World(seed=SEED, clock=clock)
    assert 90 <= len(world.roster()) <= 100
    assert sum(1 for m in world.roster() if m.private) == 3
    assert world.sync() >= world.start
