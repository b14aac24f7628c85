"""Whose history must be compared with the log: the reconciler's rule, without actors."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clanactors.actors.reconciler import needs_reading
from clanactors.bungie.models import RosterMember
from clanactors.store.recording import Checkpoint

NOW = datetime(2026, 11, 3, 20, 0, tzinfo=UTC)


def member(online: bool, seen: datetime | None) -> RosterMember:
    return RosterMember("1", 3, "M", "M#0001", "Member", NOW, online, seen, True)


def read_at(when: datetime) -> dict[str, Checkpoint]:
    return {"c1": Checkpoint("1", "c1", when - timedelta(hours=1), when)}


def test_a_new_database_takes_a_first_look_at_everyone_seen_in_two_weeks() -> None:
    assert needs_reading(member(True, None), {}, NOW, include_online=False)
    assert needs_reading(member(False, NOW - timedelta(days=13)), {}, NOW, include_online=False)
    assert not needs_reading(member(False, NOW - timedelta(days=15)), {}, NOW, include_online=False)


def test_a_member_seen_since_their_last_read_is_read_again() -> None:
    read = read_at(NOW - timedelta(hours=2))
    assert needs_reading(member(False, NOW - timedelta(hours=1)), read, NOW, include_online=False)
    assert not needs_reading(
        member(False, NOW - timedelta(hours=3)), read, NOW, include_online=False
    )


def test_online_members_are_read_on_start_and_recovery_only() -> None:
    read = read_at(NOW - timedelta(minutes=5))
    online = member(True, NOW - timedelta(hours=1))
    assert needs_reading(online, read, NOW, include_online=True)
    assert not needs_reading(online, read, NOW, include_online=False)  # followed live


def test_history_requests_merge_and_never_narrow() -> None:
    from clanactors.store.recording import Candidate, Expected, HistoryRead, merge_history

    everything = HistoryRead((Candidate("1"),))
    one = (Candidate("1", ("c1",)), Candidate("2", ("c9",)))
    expect = Expected(5, datetime(2026, 11, 3, 19, tzinfo=UTC))
    merged = merge_history(everything, HistoryRead(one, expect))
    assert merged.candidates == (
        Candidate("1", ()),  # "all characters" is kept
        Candidate("2", ("c9",)),
    )
    assert merged.expect == expect
    played = merge_history(HistoryRead(one, expect), HistoryRead((Candidate("1", ("c2",)),)))
    assert played.candidates[0] == Candidate("1", ("c1", "c2"))
    assert played.expect == expect  # a plain read keeps what the fireteam's end expects


def test_a_history_read_keeps_its_stored_json_shape() -> None:
    """Rows written before the payload became a dataclass read the same, and back."""
    from clanactors.store.recording import HistoryRead

    stored = {
        "candidates": [{"id": "1", "characters": ["c1"]}, {"id": "2", "characters": []}],
        "expect": {"hash": 5, "startedAt": "2026-11-03T19:00:00Z"},
    }
    read = HistoryRead.from_json(stored)
    assert read.expect is not None and read.expect.started_at == datetime(
        2026, 11, 3, 19, tzinfo=UTC
    )
    assert read.to_json() == stored
    assert HistoryRead.from_json({"candidates": [{"id": "3"}]}).to_json() == {
        "candidates": [{"id": "3", "characters": []}]
    }
