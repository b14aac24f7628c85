"""What a PGCR says beyond its players' basic stats: the teams of a PvP match with their
score and standing, and each character's team, score and K/D. Parsed at the edge, like
bungie/models.py: missing parts become None, never a KeyError."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from clanactors.bungie.models import stat


@dataclass(frozen=True)
class Team:
    team_id: int
    name: str
    score: int
    standing: int  # 0 won, 1 lost (DestinyPostGameCarnageReportTeamEntry.standing)
    result: str  # Bungie's own word: "Victory", "Defeat", ...


@dataclass(frozen=True)
class Standing:
    """One player's team and score in a PGCR (summed over their characters)."""

    team: int | None
    score: int


def _display(values: Mapping[str, Any] | None, name: str) -> str:
    try:
        return str(values[name]["basic"]["displayValue"])  # type: ignore[index]
    except (KeyError, TypeError):
        return ""


def parse_teams(payload: Mapping[str, Any]) -> tuple[Team, ...]:
    teams = []
    for raw in payload.get("teams") or ():
        if not isinstance(raw, Mapping) or raw.get("teamId") is None:
            continue
        standing = int(stat(raw, "standing"))
        result = _display(raw, "standing") or ("Victory" if standing == 0 else "Defeat")
        teams.append(
            Team(
                team_id=int(raw["teamId"]),
                name=str(raw.get("teamName") or f"Team {raw['teamId']}"),
                score=int(stat(raw, "score")),
                standing=standing,
                result=result,
            )
        )
    return tuple(sorted(teams, key=lambda t: (t.standing, t.team_id)))


def parse_standings(payload: Mapping[str, Any]) -> dict[str, Standing]:
    """membershipId -> team and score; a team only in PvP, where `values.team` is set."""
    found: dict[str, Standing] = {}
    for raw in payload.get("entries") or ():
        if not isinstance(raw, Mapping):
            continue
        card = (raw.get("player") or {}).get("destinyUserInfo") or {}
        membership_id = str(card.get("membershipId") or "")
        values = raw.get("values") or {}
        team = int(stat(values, "team")) if "team" in values else None
        score = int(stat(values, "score"))
        prev = found.get(membership_id)
        if prev is not None:
            team, score = prev.team if prev.team is not None else team, prev.score + score
        found[membership_id] = Standing(team, score)
    return found
