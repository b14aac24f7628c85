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
