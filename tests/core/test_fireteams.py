"""Fireteam grouping, poll pacing and presence, as pure decisions (no simulator)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clanactors.bungie.models import (
    CharacterInfo,
    CurrentActivity,
    PartyMember,
    ProfileState,
    Transitory,
)
from clanactors.domain import fireteams as ft
from clanactors.domain.presence import STUCK_AFTER, Presence, derive_presence

NOW = datetime(2026, 11, 3, 20, 0, tzinfo=UTC)
START = NOW - timedelta(minutes=20)
RAID = 3881495763
CLAN = {"a", "b", "c", "d"}


def presence(
    mid: str,
    hash_: int | None = RAID,
    started: datetime | None = START,
    party: set[str] = frozenset(),
) -> Presence:
    return Presence(
        mid, 3, hash_, started if hash_ else None, f"c{mid}", frozenset(party), False, ()
    )


def test_party_mates_in_one_activity_are_one_fireteam() -> None:
    first = presence("a", party={"a", "b", "guest"})
    team = ft.new_fireteam(first, CLAN)
    ft.join(team, first)
    # b reports the same start a minute later (within the party's agreement).
    mate = presence("b", started=START + timedelta(minutes=1), party={"a", "b", "guest"})
    assert ft.find_fireteam([team], mate) is team
    ft.join(team, mate)
    assert team.members == {"a", "b"}
    assert team.guests(CLAN) == 1 and team.is_group(CLAN)
    assert team.id == f"{RAID}-{int(START.timestamp())}-a"


def test_another_instance_or_activity_is_another_fireteam() -> None:
    team = ft.new_fireteam(presence("a", party={"a", "b"}), CLAN)
    ft.join(team, presence("a", party={"a", "b"}))
    later = presence("b", started=START + timedelta(minutes=30), party={"a", "b"})
    assert ft.find_fireteam([team], later) is None  # the next run of the same activity
    other = presence("c", hash_=1234, party={"c"})
    assert ft.find_fireteam([team], other) is None
    assert ft.find_fireteam([team], presence("d", hash_=None)) is None  # orbit


def test_without_party_data_close_starts_group() -> None:
    team = ft.new_fireteam(presence("a"), CLAN)
    ft.join(team, presence("a"))
    assert ft.find_fireteam([team], presence("b", started=START + timedelta(seconds=90))) is team
    assert ft.find_fireteam([team], presence("b", started=START + timedelta(minutes=5))) is None
    assert not team.is_group(CLAN)  # one member alone is a solo player


def test_one_watcher_polls_and_the_others_rest() -> None:
    party = {"a", "b", "c"}
    seen = {m: presence(m, party=party) for m in party}
    team = ft.new_fireteam(seen["a"], CLAN)
    for p in seen.values():
        ft.join(team, p)
    resting = ft.choose_watcher(team, seen)
    assert team.watcher == "a" and resting == {"b", "c"}
    # No party data: nobody rests.
    quiet = {m: presence(m) for m in party}
    assert ft.choose_watcher(team, quiet) == set() and team.watcher is None


def test_the_watchers_news_wakes_its_mates() -> None:
    party = {"a", "b", "c"}
    seen = {m: presence(m, party=party) for m in party}
    team = ft.new_fireteam(seen["a"], CLAN)
    for p in seen.values():
        ft.join(team, p)
    ft.choose_watcher(team, seen)
    in_orbit = presence("a", hash_=None)
    assert ft.mates_to_wake(team, in_orbit, None) == {"b", "c"}  # the watcher left
    split = presence("a", party={"a", "b"})  # c left the party
    assert ft.mates_to_wake(team, split, team) == {"c"}
    assert ft.mates_to_wake(team, presence("b", party=party), team) == set()  # not the watcher


def test_settle_waits_only_without_party_data() -> None:
    assert ft.settle_delay(presence("a", party={"a"}), 30.0) == 0.0
    assert ft.settle_delay(presence("a"), 30.0) == 30.0
    assert ft.settle_delay(presence("a"), 600.0) == 60.0


def profile(
    started: datetime | None,
    hash_: int = RAID,
    fireteam_start: datetime | None = None,
    offline: bool = False,
) -> ProfileState:
    activity = CurrentActivity("c1", hash_, None, None, (), None, started)
    transitory = Transitory(
        (PartyMember("a", 1, "A"), PartyMember("x", 1, "X")), fireteam_start, None, offline, 0
    )
    return ProfileState(
        "a",
        3,
        NOW,
        (CharacterInfo("c1", 1, 2000, NOW, 100),),
        activity,
        False,
        transitory,
        False,
        NOW,
    )


def test_presence_takes_the_fireteams_start_and_party() -> None:
    seen = derive_presence(profile(START, fireteam_start=START - timedelta(minutes=2)), NOW)
    assert seen.activity_hash == RAID and seen.started_at == START - timedelta(minutes=2)
    assert seen.party == {"a", "x"} and seen.character_ids == ("c1",)


def test_presence_does_not_believe_stuck_or_offline_activities() -> None:
    assert derive_presence(profile(NOW - STUCK_AFTER - timedelta(1)), NOW).activity_hash is None
    assert derive_presence(profile(START, offline=True), NOW).activity_hash is None
    far = derive_presence(profile(START, fireteam_start=START - timedelta(hours=2)), NOW)
    assert far.started_at == START  # another session's fireteam start is ignored
