"""Joins, leaves, online and offline from one roster poll, without a simulator."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clanactors.bungie.models import RosterMember
from clanactors.domain.roster_diff import StoredMember, roster_events

NOW = datetime(2026, 11, 3, 20, 0, tzinfo=UTC)
JOINED = NOW - timedelta(days=300)


def polled(mid: str, online: bool, name: str = "") -> RosterMember:
    return RosterMember(
        membership_id=mid,
        membership_type=3,
        display_name=name or f"M{mid}",
        bungie_name=f"{name or 'M' + mid}#0001",
        rank="Member",
        joined_at=JOINED,
        is_online=online,
        last_online_change=NOW - timedelta(minutes=5),
        is_public=True,
    )


def stored(mid: str, online: bool, in_clan: bool = True) -> StoredMember:
    return StoredMember(mid, f"M{mid}", JOINED, online, in_clan)


def test_the_first_sync_of_a_new_database_announces_nobody() -> None:
    assert roster_events({}, [polled("1", True), polled("2", False)], NOW) == []


def test_joins_leaves_and_online_changes() -> None:
    before = {"1": stored("1", False), "2": stored("2", True), "3": stored("3", False)}
    after = [polled("1", True), polled("2", False), polled("4", False, "New")]
    found = {(e.kind, e.members) for e in roster_events(before, after, NOW)}
    assert found == {
        ("member_online", ("1",)),
        ("member_offline", ("2",)),
        ("member_left", ("3",)),
        ("member_joined", ("4",)),
    }


def test_a_member_who_comes_back_joins_again() -> None:
    before = {"1": stored("1", False, in_clan=False), "2": stored("2", False)}
    (event,) = roster_events(before, [polled("1", False), polled("2", False)], NOW)
    assert (event.kind, event.members) == ("member_joined", ("1",))


def test_an_unchanged_roster_says_nothing_and_keys_are_stable() -> None:
    before = {"1": stored("1", True)}
    assert roster_events(before, [polled("1", True)], NOW) == []
    first = roster_events({"2": stored("2", False)}, [polled("1", True)], NOW)
    again = roster_events({"2": stored("2", False)}, [polled("1", True)], NOW + timedelta(1))
    assert {e.dedupe_key for e in first} == {e.dedupe_key for e in again}  # joined_at keys
