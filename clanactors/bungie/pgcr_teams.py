"""What a PGCR says beyond its players' basic stats: the teams of a PvP match with their
score and standing, and each character's team, score and K/D. Parsed at the edge, like
bungie/models.py: missing parts become None, never a KeyError."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from clanactors.bungie.models import stat
from clanactors.bungie.modes import is_free_for_all


@dataclass(frozen=True)
class Team:
    team_id: int
    name: str
    score: int
    standing: int  # 0 won, 1 lost (DestinyPostGameCarnageReportTeamEntry.standing)
    result: str  # "Victory" or "Defeat", from `standing` (its displayValue may be a number)


@dataclass(frozen=True)
class Standing:
    """One player's team and score in a PGCR (summed over their characters)."""

    team: int | None
    score: int
    place: int | None = None  # the entry's `standing`: in free-for-all, 0 is first


def parse_teams(payload: Mapping[str, Any]) -> tuple[Team, ...]:
    teams = []
    for raw in payload.get("teams") or ():
        if not isinstance(raw, Mapping) or raw.get("teamId") is None:
            continue
        standing = int(stat(raw, "standing"))
        result = "Victory" if standing == 0 else "Defeat"
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
        place = _place(raw)
        prev = found.get(membership_id)
        if prev is not None:
            team, score = prev.team if prev.team is not None else team, prev.score + score
            place = min((p for p in (prev.place, place) if p is not None), default=None)
        found[membership_id] = Standing(team, score, place)
    return found


def _place(entry: Mapping[str, Any]) -> int | None:
    raw = entry.get("standing")
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        return None
    return int(raw)


@dataclass(frozen=True)
class Outcome:
    """How a PvP match went for the clan: its team's standing, or in free-for-all the
    best place a clan member took (1-based) among `players`."""

    won: bool
    place: int | None = None
    players: int = 0

    @property
    def result(self) -> str:
        if self.place is not None:
            return f"{ordinal(self.place)} of {self.players}"
        return "Victory" if self.won else "Defeat"


def ordinal(n: int) -> str:
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


FFA_WIN_PLACES = 3  # Rumble counts a top-three finish as a win


def outcome(
    mode: int | None,
    teams: tuple[Team, ...],
    standings: Mapping[str, Standing],
    clan_ids: Collection[str],
) -> Outcome | None:
    """The clan's result in a PvP match; None when it was no match (PvE) or the clan is
    not in it. Teams: the standing of the team the clan's players were on. Free-for-all:
    the best place a clan member took."""
    mine = [s for m, s in standings.items() if m in clan_ids]
    if teams:
        on = {s.team for s in mine}
        for team in teams:
            if team.team_id in on:
                return Outcome(won=team.standing == 0)
        return None
    if is_free_for_all(mode):
        places = [s.place for s in mine if s.place is not None]
        if not places:
            return None
        best = min(places) + 1
        return Outcome(won=best <= FFA_WIN_PLACES, place=best, players=len(standings))
    return None


def report_outcome(
    payload: Mapping[str, Any], mode: int | None, clan_ids: Collection[str]
) -> Outcome | None:
    """`outcome` straight from a raw PGCR."""
    return outcome(mode, parse_teams(payload), parse_standings(payload), clan_ids)
