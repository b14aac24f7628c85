"""Online spans from presence changes, and the hours-of-the-week grid they fill."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from clanactors.render.heatmap import heatmap, online_spans

MON = datetime(2026, 11, 23, tzinfo=UTC)  # a Monday


def at(hours: float) -> datetime:
    return MON + timedelta(hours=hours)


def test_spans_pair_online_with_offline_and_run_to_now_while_online() -> None:
    changes = [
        ("member_offline", at(1)),  # its start is unknown: left out
        ("member_online", at(20)),
        ("member_online", at(20.5)),  # a repeat does not restart the span
        ("member_offline", at(22)),
        ("member_online", at(30)),
    ]
    assert online_spans(changes, at(31), online_now=True) == [(at(20), at(22)), (at(30), at(31))]
    assert online_spans(changes, at(31), online_now=False) == [(at(20), at(22))]


def test_grid_splits_spans_across_hours_and_days() -> None:
    grid = heatmap([(at(23.5), at(25.25))], weeks=4)  # Mon 23:30 to Tue 01:15
    assert grid.seconds[0][23] == 1800
    assert grid.seconds[1][0] == 3600 and grid.seconds[1][1] == 900
    assert sum(map(sum, grid.seconds)) == int(1.75 * 3600)
    assert grid.share(1, 0) == 0.25 and grid.level(1, 0) == 2
    assert grid.level(1, 1) == 1 and grid.level(2, 0) == 0
    assert not grid.empty and heatmap([], weeks=4).empty


def test_every_week_online_in_an_hour_is_the_top_level() -> None:
    spans = [(at(20 + 24 * 7 * w), at(21 + 24 * 7 * w)) for w in range(4)]
    grid = heatmap(spans, weeks=4)
    assert grid.share(0, 20) == 1.0 and grid.level(0, 20) == 4


def test_activities_from_history_fill_in_where_no_session_was_seen() -> None:
    from clanactors.render.heatmap import merged

    t = datetime(2026, 11, 2, 20, 0, tzinfo=UTC)  # a Monday
    seen = [(t, t + timedelta(hours=1))]
    played = [
        (t + timedelta(minutes=30), t + timedelta(minutes=90)),  # overlaps the session
        (t + timedelta(days=1), t + timedelta(days=1, minutes=45)),  # no session seen
    ]
    spans = merged(seen, played)
    assert spans == [
        (t, t + timedelta(minutes=90)),
        (t + timedelta(days=1), t + timedelta(days=1, minutes=45)),
    ]
    grid = heatmap(spans, 1)
    assert grid.seconds[0][20] == 3600 and grid.seconds[0][21] == 1800  # counted once
    assert grid.seconds[1][20] == 45 * 60
