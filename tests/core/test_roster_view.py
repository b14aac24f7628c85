"""Roster rows: inactivity, sorting with unknowns last, and CSV cells no spreadsheet runs."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

from clanactors.render.roster_view import RosterQuery, csv_text, roster_csv, roster_row, select_rows

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)


def member(
    mid: str, name: str, seen_days: float | None, online: bool = False, raids: int | None = None
) -> dict[str, Any]:
    seen = NOW - timedelta(days=seen_days) if seen_days is not None else None
    return {
        "membershipId": mid,
        "displayName": name,
        "bungieName": f"{name}#{int(mid):04d}",
        "rank": "Member",
        "joinedAt": "2026-01-01T00:00:00Z",
        "lastOnlineAt": seen.strftime("%Y-%m-%dT%H:%M:%SZ") if seen else None,
        "isOnline": online,
        "isPrivate": False,
        "stats": None if raids is None else {"raidClears": raids, "timePlayedSeconds": 7200},
    }


ROWS = [
    roster_row(member("1", "ana", 40, raids=2), NOW),
    roster_row(member("2", "bo", 30, raids=9), NOW),
    roster_row(member("3", "cy", 29.9), NOW),
    roster_row(member("4", "di", None), NOW),
    roster_row(member("5", "ed", 90, online=True, raids=1), NOW),
]


def test_inactive_means_offline_for_at_least_n_days_or_never_seen() -> None:
    chosen = select_rows(ROWS, RosterQuery(inactive_days=30), NOW)
    assert [r.membership_id for r in chosen] == ["1", "2", "4"]


def test_unknown_values_sort_last_both_ways() -> None:
    down = select_rows(ROWS, RosterQuery(sort="raids", descending=True), NOW)
    up = select_rows(ROWS, RosterQuery(sort="raids"), NOW)
    assert [r.membership_id for r in down] == ["2", "1", "5", "3", "4"]
    assert [r.membership_id for r in up] == ["5", "1", "2", "3", "4"]


def test_formula_cells_become_text() -> None:
    for dangerous in ("=1+1", "+1", "-1", "@SUM(A1)", "\t=1", "\r=1"):
        assert csv_text(dangerous) == "'" + dangerous
    assert csv_text("Ana") == "Ana" and csv_text("a=b") == "a=b"
    text = roster_csv([roster_row(member("7", "=cmd|' /C calc'!A0", 1), NOW)])
    row = list(csv.reader(io.StringIO(text)))[1]
    assert row[0] == "'=cmd|' /C calc'!A0#0007" and row[1] == "'=cmd|' /C calc'!A0"
    assert row[4] == "2026-01-01T00:00:00Z" and row[5] == "2026-11-25T12:00:00Z"


def test_the_name_search_ignores_case_and_accents() -> None:
    rows = [
        roster_row(member("7", "Zoë Ñandú", 1), NOW),
        roster_row(member("8", "Łukasz", 1), NOW),
        roster_row(member("9", "Zora", 1), NOW),
    ]
    assert [r.membership_id for r in select_rows(rows, RosterQuery(search="zoe"), NOW)] == ["7"]
    assert [r.membership_id for r in select_rows(rows, RosterQuery(search="NANDU"), NOW)] == ["7"]
    assert [r.membership_id for r in select_rows(rows, RosterQuery(search="lukasz"), NOW)] == ["8"]
    assert {r.membership_id for r in select_rows(rows, RosterQuery(search="Zo"), NOW)} == {
        "7",
        "9",
    }
