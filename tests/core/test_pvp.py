"""PvP reads as PvP: Victory or Defeat from `standing`, a match named by mode and map, a
place in free-for-all, and feed lines that say cleared or not, then victory, defeat or
the place."""

from __future__ import annotations

from datetime import UTC, datetime

from clanactors.bungie.modes import is_pvp, match_name
from clanactors.bungie.pgcr_teams import Outcome, outcome, parse_standings, parse_teams
from clanactors.domain.events import ActivityRef, Kind, Match, activity_finished

MIDTOWN = ActivityRef(1066527483, "Midtown", 5)
WHEN = datetime(2025, 6, 3, 17, 0, tzinfo=UTC)


def stat(value: float, display: str | None = None) -> dict:
    return {"basic": {"value": value, "displayValue": display or f"{value:g}"}}


def entry(mid: str, standing: int, score: int, team: int | None = None) -> dict:
    values = {"score": stat(score)}
    if team is not None:
        values["team"] = stat(team)
    return {"standing": standing, "player": {"destinyUserInfo": {"membershipId": mid}},
            "values": values}  # fmt: skip


def test_team_result_comes_from_standing_not_its_display_value() -> None:
    # A displayValue that is only the number (as the simulator once sent) is not a word.
    payload = {"teams": [
        {"teamId": 17, "standing": stat(0, "0"), "score": stat(120), "teamName": "Bravo"},
        {"teamId": 16, "standing": stat(1, "1"), "score": stat(80), "teamName": "Alpha"},
    ]}  # fmt: skip
    teams = parse_teams(payload)
    assert [(t.name, t.result) for t in teams] == [("Bravo", "Victory"), ("Alpha", "Defeat")]


def test_the_clans_team_decides_victory_or_defeat() -> None:
    payload = {
        "teams": [
            {"teamId": 16, "standing": stat(1), "score": stat(80)},
            {"teamId": 17, "standing": stat(0), "score": stat(120)},
        ],
        "entries": [entry("1", 1, 80, 16), entry("900", 0, 120, 17)],
    }
    teams, standings = parse_teams(payload), parse_standings(payload)
    assert outcome(10, teams, standings, {"1"}) == Outcome(won=False)
    assert outcome(10, teams, standings, {"900"}) == Outcome(won=True)
    assert outcome(10, teams, standings, {"nobody"}) is None


def test_free_for_all_has_places_not_teams() -> None:
    payload = {"teams": [], "entries": [
        entry("900", 0, 300), entry("901", 1, 250), entry("1", 2, 200), entry("2", 5, 10),
        entry("902", 3, 150), entry("903", 4, 100),
    ]}  # fmt: skip
    found = outcome(48, parse_teams(payload), parse_standings(payload), {"1", "2"})
    assert found == Outcome(won=True, place=3, players=6)
    assert found.result == "3rd of 6"
    last = outcome(48, (), parse_standings(payload), {"2"})
    assert last is not None and not last.won and last.result == "6th of 6"
    assert outcome(4, (), parse_standings(payload), {"1"}) is None  # a raid: no match


def test_a_match_is_named_by_mode_and_map() -> None:
    assert match_name("Midtown", 10) == "Control on Midtown"
    assert match_name("Exodus Blue", 84) == "Trials of Osiris on Exodus Blue"
    assert match_name("Rumble", 48) == "Rumble"  # the playlist names its mode already
    assert match_name("Iron Banner: Control", 19) == "Iron Banner: Control"
    assert match_name("Midtown", 5) == "Midtown"  # "Crucible" says nothing more
    assert match_name("Midtown", None) == "Midtown"
    assert is_pvp(10) and is_pvp(None, (7, 63)) and is_pvp(48)
    assert not is_pvp(4, (7, 4)) and not is_pvp(None)


def test_feed_lines_for_matches() -> None:
    who = {"1": "Ixjorlu", "2": "Ana"}

    def text(cleared: bool, match: Match) -> str:
        return activity_finished(who, MIDTOWN, "77", WHEN, cleared, match).text

    # Every finished activity says cleared or not cleared; a match adds how it went.
    won = text(True, Match(10, Outcome(won=True)))
    assert won == "Ixjorlu and Ana cleared Control on Midtown: victory"
    lost = text(True, Match(10, Outcome(won=False)))
    assert lost == "Ixjorlu and Ana cleared Control on Midtown: defeat"
    quit_early = text(False, Match(10, Outcome(won=False)))
    assert quit_early == "Ixjorlu and Ana played Control on Midtown (not cleared): defeat"
    rumble = ActivityRef(914148167, "Rumble", 48)
    placed = activity_finished(
        {"1": "Ixjorlu"}, rumble, "78", WHEN, True, Match(48, Outcome(True, 2, 6))
    )
    assert placed.text == "Ixjorlu cleared Rumble: placed 2nd of 6"
    # No report to say how it went: the mode and map, cleared or not.
    assert text(True, Match(10)) == "Ixjorlu and Ana cleared Control on Midtown"
    assert text(False, Match(10)) == "Ixjorlu and Ana played Control on Midtown (not cleared)"
    # The kinds stay what the contract says (a clear is completed with reason 0).
    completed = activity_finished(who, MIDTOWN, "77", WHEN, True, Match(10))
    assert completed.kind == Kind.ACTIVITY_CLEARED
    # PvE is unchanged.
    pve = activity_finished(who, MIDTOWN, "77", WHEN, True)
    assert pve.text == "Ixjorlu and Ana cleared Midtown"
