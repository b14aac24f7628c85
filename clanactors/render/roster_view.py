"""The roster page's rows: filtered by rank, name and inactivity, sorted by any column,
and written as CSV that no spreadsheet turns into a formula. Pure: no I/O."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from clanactors.core.clock import utc_iso
from clanactors.domain.names import name_matches

RANKS = ("Beginner", "Member", "Admin", "ActingFounder", "Founder")
DEFAULT_INACTIVE_DAYS = 30
ONLINE_NOW = datetime.max.replace(tzinfo=UTC)  # online members were last online "now"
NEVER_SEEN = 10**6  # days away of a member Bungie never saw online


@dataclass(frozen=True)
class RosterRow:
    membership_id: str
    display_name: str
    bungie_name: str
    rank: str
    joined_at: datetime | None
    last_online_at: datetime | None
    is_online: bool
    is_private: bool
    days_in_clan: int | None
    days_offline: int | None  # whole days since last online; 0 online; None: never seen
    time_played_seconds: int | None
    activities_cleared: int | None
    raid_clears: int | None

    @property
    def code(self) -> str:
        """`#0042` from `Name#0042`: what tells two members of one display name apart."""
        return "#" + self.bungie_name.rpartition("#")[2] if "#" in self.bungie_name else ""


def _moment(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text.replace("Z", "+00:00")) if text else None


def roster_row(member: dict[str, Any], now: datetime) -> RosterRow:
    """One row from a snapshot member (the API's `Member`, docs/api.md, "HTTP API")."""
    joined = _moment(member.get("joinedAt"))
    last_online = _moment(member.get("lastOnlineAt"))
    online = bool(member.get("isOnline"))
    stats = member.get("stats") or {}
    return RosterRow(
        membership_id=member["membershipId"],
        display_name=member["displayName"],
        bungie_name=member["bungieName"],
        rank=member["rank"],
        joined_at=joined,
        last_online_at=last_online,
        is_online=online,
        is_private=bool(member.get("isPrivate")),
        days_in_clan=max(0, (now - joined).days) if joined else None,
        days_offline=0 if online else max(0, (now - last_online).days) if last_online else None,
        time_played_seconds=stats.get("timePlayedSeconds"),
        activities_cleared=stats.get("activitiesCleared"),
        raid_clears=stats.get("raidClears"),
    )


def days_text(days: int | None) -> str:
    """Days away as a purge list says it: "89 days", "1 day", "under a day"."""
    if days is None:
        return "never seen"
    if days == 0:
        return "under a day"
    return f"{days:,} day{'' if days == 1 else 's'}"


# Column key -> how a row sorts by it (None sorts last either way).
SORT_KEYS: dict[str, Any] = {
    "name": lambda r: r.bungie_name.casefold(),
    "rank": lambda r: RANKS.index(r.rank) if r.rank in RANKS else -1,
    "joined": lambda r: r.joined_at,
    "lastOnline": lambda r: ONLINE_NOW if r.is_online else r.last_online_at,
    # Days away: never seen counts as the longest away (the first to go in a purge).
    "away": lambda r: NEVER_SEEN if r.days_offline is None else r.days_offline,
    "days": lambda r: r.days_in_clan,
    "private": lambda r: r.is_private,
    "time": lambda r: r.time_played_seconds,
    "activities": lambda r: r.activities_cleared,
    "raids": lambda r: r.raid_clears,
}


@dataclass(frozen=True)
class RosterQuery:
    sort: str = "name"
    descending: bool = False
    rank: str | None = None
    search: str = ""
    inactive_days: int | None = None  # only members offline for at least this many days
    chosen_order: bool = False  # sort or order asked for, not the default of the filter


def is_inactive(row: RosterRow, days: int, now: datetime) -> bool:
    if row.is_online:
        return False
    return row.last_online_at is None or row.last_online_at <= now - timedelta(days=days)


def select_rows(rows: Iterable[RosterRow], query: RosterQuery, now: datetime) -> list[RosterRow]:
    needle = query.search.strip()
    chosen = [
        r
        for r in rows
        if (query.rank is None or r.rank == query.rank)
        and (not needle or name_matches(needle, r.bungie_name, r.display_name))
        and (query.inactive_days is None or is_inactive(r, query.inactive_days, now))
    ]
    key = SORT_KEYS[query.sort]
    by_name = sorted(chosen, key=SORT_KEYS["name"])  # ties: by name, whatever the order
    known = [r for r in by_name if key(r) is not None]
    unknown = [r for r in by_name if key(r) is None]
    return [*sorted(known, key=key, reverse=query.descending), *unknown]


# A cell a spreadsheet would read as a formula (OWASP "CSV injection").
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

CSV_HEADER = (
    "Bungie name",
    "Display name",
    "Membership id",
    "Rank",
    "Joined",
    "Last online",
    "Online",
    "Days in clan",
    "daysOffline",
    "Private",
    "Hours played",
    "Activities cleared",
    "Raid clears",
)


def csv_text(value: str) -> str:
    """Text a spreadsheet shows as text: a leading ' before a formula's first character."""
    return "'" + value if value.startswith(FORMULA_START) else value


def _count(value: int | None) -> str:
    return "" if value is None else str(value)


def roster_csv(rows: Iterable[RosterRow]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_HEADER)
    for r in rows:
        writer.writerow(
            (
                csv_text(r.bungie_name),
                csv_text(r.display_name),
                r.membership_id,
                csv_text(r.rank),
                utc_iso(r.joined_at) or "",
                utc_iso(r.last_online_at) or "",
                "yes" if r.is_online else "no",
                _count(r.days_in_clan),
                _count(r.days_offline),
                "yes" if r.is_private else "no",
                "" if r.time_played_seconds is None else f"{r.time_played_seconds / 3600:.1f}",
                _count(r.activities_cleared),
                _count(r.raid_clears),
            )
        )
    return out.getvalue()
