"""A member's finished activities and complete reports, as the JSON API shows them
(docs/api.md, "HTTP API"); the member and activity pages render the same shapes."""

from __future__ import annotations

from typing import Any

from clanactors.bungie.models import Pgcr
from clanactors.bungie.modes import is_pvp, mode_name
from clanactors.bungie.pgcr_teams import Standing, Team, outcome
from clanactors.core.clock import utc_iso
from clanactors.store.queries import PlayedActivity, StoredReport

Json = dict[str, Any]


def played_json(played: PlayedActivity) -> Json:
    return {
        "instanceId": played.instance_id,
        "activity": played.activity.to_json(),
        "period": utc_iso(played.period),
        "durationSeconds": played.duration_seconds,
        "completed": played.completed,
        "kills": played.kills,
        "deaths": played.deaths,
        "assists": played.assists,
    }


def kd(kills: int, deaths: int) -> float:
    """Kills per death, as Bungie shows it (kills when there were no deaths)."""
    return round(kills / max(deaths, 1), 2)


def report_result(
    pgcr: Pgcr, teams: tuple[Team, ...], standings: dict[str, Standing], clan_ids: set[str]
) -> str:
    """The clan's result: in PvP its team's standing ("Victory", "Defeat") or in
    free-for-all its best place ("2nd of 6"); else whether a clan member cleared."""
    if is_pvp(pgcr.mode, pgcr.modes) or teams:
        found = outcome(pgcr.mode, teams, standings, clan_ids)
        if found is not None:
            return found.result
        return f"{teams[0].name} won" if teams else "Played"
    return "Cleared" if pgcr.cleared_by(clan_ids) else "Not cleared"


def report_json(report: StoredReport, clan_ids: set[str]) -> Json:
    pgcr, teams, standings = report.pgcr, report.teams, report.standings
    team_of = {m: s.team for m, s in standings.items()}
    return {
        "instanceId": pgcr.instance_id,
        "activity": report.activity.to_json(),
        "mode": pgcr.mode,
        "modeName": mode_name(pgcr.mode),
        "period": utc_iso(pgcr.period),
        "durationSeconds": pgcr.duration_seconds,
        "result": report_result(pgcr, teams, standings, clan_ids),
        "pvp": is_pvp(pgcr.mode, pgcr.modes) or bool(teams),
        "teams": [
            {
                "teamId": t.team_id,
                "name": t.name,
                "score": t.score,
                "standing": t.standing,
                "result": t.result,
            }
            for t in teams
        ],
        "entries": [
            {
                "membershipId": p.membership_id,
                "displayName": p.display_name,
                "bungieName": p.bungie_name,
                "characterClass": p.character_class,
                "team": team_of.get(p.membership_id),
                "score": standings[p.membership_id].score if p.membership_id in standings else 0,
                "kills": p.kills,
                "deaths": p.deaths,
                "assists": p.assists,
                "killsDeathsRatio": kd(p.kills, p.deaths),
                "completed": p.completed,
                "timePlayedSeconds": p.time_played_seconds,
                "isClanMember": p.membership_id in clan_ids,
            }
            for p in pgcr.players()
        ],
    }
