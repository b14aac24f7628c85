"""The simulator's PvP reports are consistent: each team scores what its players scored,
the higher score wins and every player's standing agrees; free-for-all has no teams and
places by score; the reported mode is the one played (Control on a bare map)."""

from __future__ import annotations

from typing import Any

import pytest

from clanactors.core.clock import FakeClock
from clanactors.sim import render
from clanactors.sim.world import World

MIDTOWN, RUMBLE, LEGIONS_FOLLY = 1066527483, 914148167, 1065452335


def finished_report(world: World, clock: FakeClock, activity: int, players: int) -> dict:
    crew = [m.membership_id for m in world.idle_members(players)]
    play = world.script_play(crew, activity, minutes=10)
    clock.advance((play.ends_at - clock.now()).total_seconds() + 1)
    clock.advance(world.pgcr_delay.total_seconds() + 1)
    world.sync()
    return render.pgcr_response(world, play.instance_id)


def value(stats: dict[str, Any], name: str) -> float:
    return float(stats[name]["basic"]["value"])


@pytest.mark.parametrize("activity", [MIDTOWN, LEGIONS_FOLLY])
@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_team_scores_match_their_players(activity: int, seed: int) -> None:
    clock = FakeClock()
    world = World(seed=seed, clock=clock)
    report = finished_report(world, clock, activity, 2)
    teams = {t["teamId"]: t for t in report["teams"]}
    assert len(teams) == 2
    for team_id, team in teams.items():
        players = [e for e in report["entries"] if value(e["values"], "team") == team_id]
        assert players
        assert value(team, "score") == sum(value(e["values"], "score") for e in players)
        for e in players:  # every player's standing and team score agree with the team's
            assert e["standing"] == value(team, "standing") == value(e["values"], "standing")
            assert value(e["values"], "teamScore") == value(team, "score")
    winner, loser = sorted(teams.values(), key=lambda t: value(t, "standing"))
    assert value(winner, "standing") == 0 and value(loser, "standing") == 1
    assert value(winner, "score") > value(loser, "score")
    assert winner["standing"]["basic"]["displayValue"] == "Victory"
    assert loser["standing"]["basic"]["displayValue"] == "Defeat"


def test_a_bare_map_is_reported_as_control() -> None:
    clock = FakeClock()
    world = World(seed=5, clock=clock)
    report = finished_report(world, clock, MIDTOWN, 1)
    assert report["activityDetails"]["referenceId"] == MIDTOWN
    assert report["activityDetails"]["mode"] == 10
    assert 5 in report["activityDetails"]["modes"]


def test_rumble_has_no_teams_and_places_by_score() -> None:
    clock = FakeClock()
    world = World(seed=6, clock=clock)
    report = finished_report(world, clock, RUMBLE, 2)
    assert report["teams"] == []
    entries = report["entries"]
    assert all("team" not in e["values"] for e in entries)
    by_place = sorted(entries, key=lambda e: e["standing"])
    assert [e["standing"] for e in by_place] == list(range(len(entries)))
    scores = [value(e["values"], "score") for e in by_place]
    assert scores == sorted(scores, reverse=True)
    assert all(value(e["values"], "standing") == e["standing"] for e in entries)


def test_history_reports_the_mode_the_pgcr_does() -> None:
    clock = FakeClock()
    world = World(seed=8, clock=clock)
    crew = world.idle_members(1)
    play = world.script_play([crew[0].membership_id], MIDTOWN, minutes=10)
    clock.advance((play.ends_at - clock.now()).total_seconds() + 1)
    world.sync()
    row = next(r for r in crew[0].character.history if r.instance_id == play.instance_id)
    assert (row.mode, 5 in row.modes) == (10, True)
