"""domain/recent.py: the recent list changes when a newer activity ends, else in place."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clanactors.domain.events import ActivityRef
from clanactors.domain.recent import steady
from clanactors.domain.snapshot import RecentActivity

T = datetime(2026, 11, 26, 20, 0, tzinfo=UTC)
RAID = ActivityRef(1, "Last Wish", 4)


def run(instance: str, hours_ago: float, members: tuple[str, ...] = ("1",)) -> RecentActivity:
    return RecentActivity(instance, RAID, T - timedelta(hours=hours_ago), 1800, True, members)


def test_older_instances_read_later_do_not_replace_what_is_shown() -> None:
    shown = (run("a", 1, ("1", "2")), run("b", 2, ("1", "3")), run("c", 3, ("2", "3")))
    # A history read finds a group run from 12 hours ago: the store would now prefer it
    # over a solo one, but nothing newer ended, so the page keeps its list.
    read = (run("a", 1, ("1", "2")), run("b", 2, ("1", "3")), run("old", 12, ("4", "5")))
    assert steady(shown, read) == shown


def test_entries_shown_are_updated_in_place() -> None:
    shown = (run("a", 1), run("b", 2), run("c", 3))
    read = (run("a", 1, ("1", "2")), run("b", 2), run("x", 2.5))
    assert [r.members for r in steady(shown, read)] == [("1", "2"), ("1",), ("1",)]
    assert [r.instance_id for r in steady(shown, read)] == ["a", "b", "c"]


def test_a_newer_activity_that_ends_takes_its_place() -> None:
    shown = (run("a", 1), run("b", 2), run("c", 3))
    read = (run("new", 0.1), run("a", 1), run("b", 2))
    assert steady(shown, read) == read
    assert steady((), read) == read
    assert steady(shown, ()) == shown
