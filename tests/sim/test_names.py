"""The demo clan is a showcase: its odd names read as names. Markup for a name (escaping
tests) is there only when asked for: in the tests' simulator and `clanactors sim
--hostile-names`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from clanactors.core.clock import FakeClock
from clanactors.process import cli
from clanactors.sim.server import start_in_thread
from clanactors.sim.world import World

MARKUP = re.compile(r"<[A-Za-z/!]")  # "<b>", "</", "<svg": not "O'Brien<3"
START = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def names(world: World) -> list[str]:
    return [m.name for m in world.roster()]


def test_the_demo_clan_has_no_markup_for_a_name() -> None:
    demo = start_in_thread(clock=FakeClock(START))  # what `serve` starts in demo mode
    try:
        shown = names(demo.world)
    finally:
        demo.stop()
    assert not [n for n in shown if MARKUP.search(n)]
    assert {"Zoë Ñandú", "Jürgen & Co", "O'Brien<3"} <= set(shown)  # still odd names


def test_hostile_names_go_to_the_same_members_and_change_nothing_else() -> None:
    plain = World(seed=7, clock=FakeClock(START))
    hostile = World(seed=7, clock=FakeClock(START), hostile_names=True)
    assert {n for n in names(hostile) if MARKUP.search(n)} == {
        "<b>Bold</b>",
        "<i>Guardian</i>",
        "<svg/onload=alert(1)>",
    }
    ids = [m.membership_id for m in plain.roster()]
    assert ids == [m.membership_id for m in hostile.roster()]
    differ = [(a, b) for a, b in zip(names(plain), names(hostile), strict=True) if a != b]
    assert sorted(differ) == [
        ("Bold", "<b>Bold</b>"),
        ("Gilded", "<i>Guardian</i>"),
        ("Sable", "<svg/onload=alert(1)>"),
    ]
    # Who joins and leaves over a season: the same either way (the odd names stay).
    later = START + timedelta(days=90)
    plain_churn = [(c.at, c.kind, c.member.membership_id) for c in plain.churn.until(later)]
    hostile_churn = [(c.at, c.kind, c.member.membership_id) for c in hostile.churn.until(later)]
    assert plain_churn == hostile_churn
    assert {"joined", "left"} <= {kind for _, kind, _ in plain_churn}


@pytest.mark.parametrize(("argv", "hostile"), [([], False), (["--hostile-names"], True)])
def test_clanactors_sim_has_hostile_names_under_an_option(
    monkeypatch: pytest.MonkeyPatch, argv: list[str], hostile: bool
) -> None:
    seen: dict[str, Any] = {}
    monkeypatch.setattr("clanactors.sim.server.run_standalone", lambda **kw: seen.update(kw))
    assert cli.main(["sim", *argv]) == 0
    assert seen["hostile_names"] is hostile
