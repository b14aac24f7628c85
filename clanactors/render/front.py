"""The front page's words for the clan state: written by the template on first paint and
by web/static/app.js on live updates, which mirrors these functions."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from clanactors.render.wire import ClanState

Json = dict[str, Any]

# Hidden from the front page's feed unless the viewer asks for them (a toggle).

TILES = (
    ("kills", "Kills"),
    ("kd", "K/D"),
    ("raidClears", "Raid clears"),
    ("activitiesCleared", "Activities cleared"),
    ("timePlayedSeconds", "Hours played"),
    ("deaths", "Deaths"),
)


def twins(state: ClanState) -> set[str]:
    """Display names two or more members share: those show their Bungie name code."""
    counts = Counter(m["displayName"] for m in state.by_id.values())
    return {name for name, count in counts.items() if count > 1}


def code(member: Json) -> str:
    """`#0042` from `Name#0042`."""
    name = member["bungieName"] or ""
    return "#" + name.rpartition("#")[2] if "#" in name else ""


def guests(count: int) -> str:
    return f"+{count} guest{'s' if count != 1 else ''}"


def idle_text(member: Json) -> str:
    """What an online member without a known activity is doing, as far as we know."""
    if member.get("checking"):
        return "checking…"
    return "activity hidden (private)" if member["isPrivate"] else "in orbit"


def stats_ready(stats: Json) -> bool:
    return bool(stats["members"]) and stats["membersCounted"] >= stats["members"]


def tile(stats: Json, key: str) -> str:
    """A stat tile's text; never a partial sum shown as the clan's total."""
    if not stats_ready(stats):
        if not stats["members"]:
            return "loading"
        return f"loading ({stats['membersCounted']}/{stats['members']} members)"
    if key == "kd":
        return f"{stats['kills'] / max(stats['deaths'], 1):.2f}"
    value = stats[key]
    if key == "timePlayedSeconds":
        value //= 3600
    return f"{value:,}"


def recent_detail(recent: Json, duration: str) -> str:
    count = len(recent["members"])
    return f"{count} clan member{'s' if count != 1 else ''} · {duration} · "


def recent_title(recent: Json) -> str:
    """A recent activity's name; a PvP match by mode and map ("Control on Midtown")."""
    match = recent["activity"].get("match")
    return str(match["name"]) if match else str(recent["activity"]["name"])


def recent_mode(recent: Json) -> str:
    match = recent["activity"].get("match")
    return (match or recent["activity"]).get("modeName") or ""


def recent_result(recent: Json) -> tuple[str, str]:
    """The result badge's text and class: Victory or Defeat (a place in free-for-all)
    for a match, Cleared or Not cleared for the rest."""
    match = recent["activity"].get("match")
    if match:
        if match["result"] is None:
            return ("Completed", "") if recent["completed"] else ("Not completed", "fail")
        return match["result"], "ok" if match["won"] else "fail"
    return ("Cleared", "ok") if recent["completed"] else ("Not cleared", "fail")


def parse_iso(text: str | None) -> datetime | None:
    if not text:
        return None
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def ago(text: str | None, now: datetime | None = None) -> str:
    """'just now', '5 min ago', '3 h ago', '2 days ago'."""
    moment = parse_iso(text)
    if moment is None:
        return "never"
    seconds = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds()))
    if seconds < 45:
        return "just now"
    if seconds < 3600:
        return f"{max(1, round(seconds / 60))} min ago"
    if seconds < 86400:
        return f"{round(seconds / 3600)} h ago"
    days = round(seconds / 86400)
    return f"{days} day{'s' if days != 1 else ''} ago" if days < 60 else moment.strftime("%b %Y")
