"""World state in, Bungie JSON out: the exact shapes and conventions of the real API.

Field names follow bungie/openapi.json; int64 ids are decimal strings, hashes numbers,
dates ISO-8601 with `Z`, stat values `{"basic": {"value", "displayValue"}}`.
Raising `SimError` answers with a Bungie error envelope.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from clanactors.sim.archive import Archive
from clanactors.sim.catalog import INVALID_HASH, ORBIT_HASH
from clanactors.sim.people import (
    CLASS_HASHES,
    CLASS_NAMES,
    HistoryRow,
    Player,
    SimCharacter,
    SimMember,
    Stats,
)
from clanactors.sim.seasons import SimSeason, season_at, season_of_hash
from clanactors.sim.world import PVP, Entry, Instance, World, match_modes

PAGE_SIZE = 50
SENTINEL = "0001-01-01T00:00:00Z"
ICONS = "/common/destiny2_content/icons"
COMPONENT_NAMES = {
    "profiles": 100,
    "characters": 200,
    "characteractivities": 204,
    "profiletransitorydata": 1000,
}
KNOWN_COMPONENTS = {
    100,
    101,
    102,
    103,
    104,
    105,
    200,
    201,
    202,
    203,
    204,
    205,
    206,
    300,
    301,
    302,
    303,
    304,
    305,
    306,
    307,
    308,
    309,
    310,
    400,
    401,
    402,
    500,
    600,
    700,
    800,
    900,
    1000,
    1100,
    1200,
    1300,
    1400,
}
MODE_KEYS = {
    0: "none",
    2: "story",
    3: "strike",
    4: "raid",
    5: "allPvP",
    6: "patrol",
    7: "allPvE",
    10: "control",
    16: "nightfall",
    18: "allStrikes",
    46: "scoredNightfall",
    63: "gambit",
    82: "dungeon",
    84: "trialsofosiris",
}
MODE_NAMES = {name.lower(): number for number, name in MODE_KEYS.items()}
MODE_NAMES.update({"raid": 4, "dungeon": 82, "allpve": 7, "allpvp": 5})


class SimError(Exception):
    def __init__(self, code: int, status: str, message: str, http_status: int = 200) -> None:
        super().__init__(message)
        self.code = code
        self.status = status
        self.message = message
        self.http_status = http_status


def iso(moment: datetime | None, millis: bool = False) -> str:
    if moment is None:
        return SENTINEL
    text = moment.strftime("%Y-%m-%dT%H:%M:%S")
    if millis:
        text += f".{moment.microsecond // 1000:03d}"
    return text + "Z"


def stat_value(value: float, display: str | None = None, stat_id: str | None = None) -> dict:
    if display is None:
        display = f"{value:g}" if float(value).is_integer() else f"{value:.2f}"
    out: dict[str, Any] = {"basic": {"value": float(value), "displayValue": display}}
    if stat_id is not None:
        out = {"statId": stat_id, **out}
    return out


def _display(stat_id: str, value: float) -> str:
    if stat_id == "completed":
        return "Yes" if value == 1 else "No"
    if stat_id == "completionReason":
        return {
            0: "Objective Completed",
            1: "Timer Finished",
            2: "Failed",
            3: "No Opponents",
            4: "Mercy",
            255: "Unknown",
        }.get(int(value), "Unknown")
    if stat_id == "standing":
        return "Victory" if value == 0 else "Defeat"
    if stat_id in ("activityDurationSeconds", "timePlayedSeconds"):
        minutes, seconds = divmod(int(value), 60)
        return f"{minutes}m {seconds}s"
    if stat_id == "fireteamId":
        return "-2147483648"
    return f"{value:g}" if float(value).is_integer() else f"{value:.2f}"


# ---------------------------------------------------------------------------- clan


def user_card(player: Player, *, group: bool = False) -> dict[str, Any]:
    cross = isinstance(player, SimMember) and player.cross_save
    card: dict[str, Any] = {
        "iconPath": "/img/theme/destiny/icons/icon_steam.png",
        "crossSaveOverride": player.membership_type if cross else 0,
        "applicableMembershipTypes": [player.membership_type, 2]
        if cross and player.membership_type != 2
        else [player.membership_type],
        "isPublic": not (isinstance(player, SimMember) and player.private),
        "membershipType": player.membership_type,
        "membershipId": player.membership_id,
        "displayName": player.name,
        "bungieGlobalDisplayName": player.name,
    }
    if player.code is not None:
        card["bungieGlobalDisplayNameCode"] = player.code
    if group:
        card["LastSeenDisplayName"] = player.name
        card["LastSeenDisplayNameType"] = player.membership_type
    return card


def group_member(world: World, member: SimMember) -> dict[str, Any]:
    return {
        "memberType": member.rank,
        "isOnline": member.online,
        "lastOnlineStatusChange": str(int(member.last_status_change.timestamp())),
        "groupId": world.group_id,
        "destinyUserInfo": user_card(member, group=True),
        "bungieNetUserInfo": {
            "supplementalDisplayName": member.name,
            "iconPath": "/img/profile/avatars/default_avatar.gif",
            "crossSaveOverride": 0,
            "isPublic": False,
            "membershipType": 254,
            "membershipId": str(int(member.membership_id) - 4611686018000000000 + 10_000_000),
            "displayName": member.name,
            "bungieGlobalDisplayName": member.name,
            **({"bungieGlobalDisplayNameCode": member.code} if member.code is not None else {}),
        },
        "joinDate": iso(member.joined_at),
    }


def group_response(world: World, group_id: str) -> dict[str, Any]:
    if group_id != world.group_id:
        raise SimError(686, "ClanNotFound", "The clan could not be found.")
    roster = world.roster()
    founder = next((m for m in roster if m.rank == 5), roster[0])
    return {
        "detail": {
            "groupId": world.group_id,
            "name": world.clan_name,
            "groupType": 1,
            "membershipIdCreated": "17506516",
            "creationDate": iso(world.created_at),
            "modificationDate": iso(world.created_at + timedelta(days=400)),
            "about": "A friendly clan of Guardians. Raids, dungeons and Trials every week.",
            "tags": [],
            "memberCount": len(roster),
            "isPublic": True,
            "isPublicTopicAdminOnly": False,
            "motto": world.motto,
            "allowChat": True,
            "isDefaultPostPublic": False,
            "chatSecurity": 0,
            "locale": "en",
            "avatarImageIndex": 0,
            "homepage": 0,
            "membershipOption": 0,
            "defaultPublicity": 2,
            "theme": "Group_Community1",
            "bannerPath": "/img/Themes/Group_Community1/struct_images/group_top_banner.jpg",
            "avatarPath": "/img/profile/avatars/group/defaultGroup.png",
            "conversationId": "38311024",
            "enableInvitationMessagingForAdmins": False,
            "banExpireDate": "2001-01-01T00:00:00Z",
            "features": {
                "maximumMembers": 100,
                "maximumMembershipsOfGroupType": 1,
                "capabilities": 31,
                "membershipTypes": [1, 2, 3, 5],
                "invitePermissionOverride": True,
                "updateCulturePermissionOverride": False,
                "hostGuidedGamePermissionOverride": 1,
                "updateBannerPermissionOverride": False,
                "joinLevel": 1,
            },
            "clanInfo": {
                "d2ClanProgressions": {},
                "clanCallsign": "LHK",
                "clanBannerData": {
                    "decalId": 4125445963,
                    "decalColorId": 3379387797,
                    "decalBackgroundColorId": 3568748755,
                    "gonfalonId": 1473910866,
                    "gonfalonColorId": 2157636321,
                    "gonfalonDetailId": 1681129094,
                    "gonfalonDetailColorId": 3568748753,
                },
            },
        },
        "founder": group_member(world, founder),
        "alliedIds": [],
        "allianceStatus": 0,
        "groupJoinInviteCount": 0,
        "currentUserMembershipsInactiveForDestiny": False,
        "currentUserMemberMap": {},
        "currentUserPotentialMemberMap": {},
    }


def members_page(world: World, group_id: str, page: int) -> dict[str, Any]:
    if group_id != world.group_id:
        raise SimError(686, "ClanNotFound", "The clan could not be found.")
    if page < 1:
        raise SimError(8, "ParameterInvalidRange", "currentpage must be 1 or more.", 400)
    roster = world.roster()
    chunk = roster[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    return {
        "results": [group_member(world, m) for m in chunk],
        "totalResults": len(roster),
        "hasMore": page * PAGE_SIZE < len(roster),
        "query": {"itemsPerPage": PAGE_SIZE, "currentPage": page},
        "useTotalResults": True,
    }


# ---------------------------------------------------------------------------- profile


def parse_components(raw: str) -> set[int]:
    components = set()
    for part in raw.split(","):
        part = part.strip().lower()
        if not part:
            continue
        if part.isdigit() and int(part) in KNOWN_COMPONENTS:
            components.add(int(part))
        elif part in COMPONENT_NAMES:
            components.add(COMPONENT_NAMES[part])
        else:
            raise SimError(
                7,
                "ParameterParseFailure",
                f"Unable to parse your parameters.  Please correct them, and try "
                f"again. (components: {part})",
                500,
            )
    if not components:
        raise SimError(18, "InvalidParameters", "You must request at least one component.")
    return components


def find_member(world: World, membership_type: int, membership_id: str) -> SimMember:
    member = world.member(membership_id)
    if member is None:
        raise SimError(
            1601,
            "DestinyAccountNotFound",
            "We were unable to find your Destiny account information.",
        )
    if member.membership_type != membership_type:
        raise SimError(
            1630,
            "DestinyInvalidMembershipType",
            "The membership type is not valid for this account.",
            400,
        )
    return member


def _character(member: SimMember, character: SimCharacter, now: datetime) -> dict[str, Any]:
    session = 0
    if member.online and character is member.character and member.session_end:
        session = max(int((now - member.last_status_change).total_seconds() // 60), 0)
    return {
        "membershipId": member.membership_id,
        "membershipType": member.membership_type,
        "characterId": character.character_id,
        "dateLastPlayed": iso(character.date_last_played),
        "minutesPlayedThisSession": str(session),
        "minutesPlayedTotal": str(character.minutes_total),
        "light": character.light,
        "stats": {"1935470627": character.light},
        "raceHash": character.race,
        "genderHash": character.gender,
        "classHash": CLASS_HASHES[character.class_type],
        "raceType": 0,
        "classType": character.class_type,
        "genderType": 0,
        "emblemPath": f"{ICONS}/41dfcad1288ac3a5373ec8c7e5fff72f.jpg",
        "emblemBackgroundPath": f"{ICONS}/bc6631a30e4d7ea340ed65c95bacec60.jpg",
        "emblemHash": character.emblem,
        "emblemColor": {"red": 1, "green": 1, "blue": 1, "alpha": 255},
        "baseCharacterLevel": 50,
        "percentToNextLevel": 0.0,
    }


def _character_activity(world: World, character: SimCharacter) -> dict[str, Any]:
    activity = world.catalog.activities.get(character.last_activity_hash)
    out: dict[str, Any] = {
        "dateActivityStarted": iso(character.last_activity_started),
        "availableActivities": [],
        "availableActivityInteractables": [],
        "currentActivityHash": character.last_activity_hash,
        "currentActivityModeHash": INVALID_HASH,
        "currentPlaylistActivityHash": character.last_activity_hash,
        "lastCompletedStoryHash": 0,
    }
    if activity is not None and activity.hash != ORBIT_HASH and activity.mode_hash is not None:
        out["currentActivityModeHash"] = activity.mode_hash
        out["currentActivityModeType"] = activity.mode
        out["currentActivityModeHashes"] = list(activity.mode_hashes)
        out["currentActivityModeTypes"] = list(activity.mode_types)
    return out


def _transitory(world: World, member: SimMember, now: datetime) -> dict[str, Any] | None:
    """Component 1000: live party data, lingering with the Offline bit after logout."""
    if not member.online:
        if now - member.last_status_change > timedelta(minutes=15):
            return None
        party = [{"membershipId": member.membership_id, "emblemHash": INVALID_HASH, "status": 9}]
        return {
            "partyMembers": party,
            "currentActivity": {
                "startTime": iso(member.character.last_activity_started),
                "score": 0.0,
                "highestOpposingFactionScore": 0.0,
                "numberOfOpponents": 0,
                "numberOfPlayers": 0,
            },
            "joinability": {"openSlots": 0, "privacySetting": 4, "closedReasons": 32768},
            "tracking": [],
            "lastOrbitedDestinationHash": 0,
        }
    play = world.play_of(member)
    if play is None:
        party = [
            {
                "membershipId": member.membership_id,
                "emblemHash": member.character.emblem,
                "displayName": member.name,
                "status": 9,
            }
        ]
        current = {
            "startTime": iso(member.orbit_since),
            "score": 0.0,
            "highestOpposingFactionScore": 0.0,
            "numberOfOpponents": 0,
            "numberOfPlayers": 1,
        }
        open_slots, closed = 5, 0
    else:
        party = []
        for index, mid in enumerate(play.members):
            teammate = world.members[mid]
            party.append(
                {
                    "membershipId": mid,
                    "emblemHash": teammate.character.emblem,
                    "displayName": teammate.name,
                    "status": 11 if index == 0 else 3,
                }
            )
        for guest in play.party_guests:
            party.append(
                {
                    "membershipId": guest.membership_id,
                    "emblemHash": INVALID_HASH,
                    "displayName": "",
                    "status": 3,
                }
            )
        players = len(party) + len(play.strangers) + len(play.opponents)
        current = {
            "startTime": iso(play.started_at),
            "score": 0.0,
            "highestOpposingFactionScore": 0.0,
            "numberOfOpponents": len(play.opponents),
            "numberOfPlayers": players,
        }
        open_slots = max(0, 6 - len(party)) if play.activity.category == "raid" else 0
        closed = 1 if play.activity.category in PVP else 0
    return {
        "partyMembers": party,
        "currentActivity": current,
        "joinability": {"openSlots": open_slots, "privacySetting": 1, "closedReasons": closed},
        "tracking": [],
        "lastOrbitedDestinationHash": 0,
    }


def profile_response(
    world: World, membership_type: int, membership_id: str, components: set[int]
) -> dict[str, Any]:
    member = find_member(world, membership_type, membership_id)
    now = world.now
    out: dict[str, Any] = {
        "responseMintedTimestamp": iso(now, millis=True),
        "secondaryComponentsMintedTimestamp": iso(now, millis=True)
        if 1000 in components
        else SENTINEL,
    }
    if 100 in components:
        season = season_at(now)
        out["profile"] = {
            "data": {
                "userInfo": user_card(member),
                "dateLastPlayed": iso(max(c.date_last_played for c in member.characters)),
                "versionsOwned": 1023,
                "characterIds": [c.character_id for c in member.characters],
                "seasonHashes": [SimSeason(i).hash for i in range(season.index + 1)],
                "eventCardHashesOwned": [],
                "currentSeasonHash": season.hash,
                "currentSeasonRewardPowerCap": 2010,
                "currentGuardianRank": 6,
                "lifetimeHighestGuardianRank": 9,
                "renewedGuardianRank": 6,
            },
            "privacy": 1,
        }
    if 200 in components:
        out["characters"] = {
            "data": {c.character_id: _character(member, c, now) for c in member.characters},
            "privacy": 1,
        }
    if 204 in components:
        if member.private:
            out["characterActivities"] = {"privacy": 2}
        else:
            out["characterActivities"] = {
                "data": {c.character_id: _character_activity(world, c) for c in member.characters},
                "privacy": 1,
            }
    if 1000 in components:
        data = None if member.private else _transitory(world, member, now)
        out["profileTransitoryData"] = (
            {"data": data, "privacy": 1} if data else {"privacy": 2 if member.private else 1}
        )
    return out


# ---------------------------------------------------------------------------- history


def _history_values(values: dict[str, float]) -> dict[str, Any]:
    return {k: stat_value(v, _display(k, v), stat_id=k) for k, v in values.items()}


class NotPlayedYet(Exception):
    """A history page reaches past days the archive has not played yet."""

    def __init__(self, day: int) -> None:
        super().__init__(f"day {day} not played yet")
        self.day = day


def history_response(
    world: World,
    archive: Archive | None,
    membership_type: int,
    membership_id: str,
    character_id: str,
    count: int,
    mode: int,
    page: int,
) -> dict[str, Any]:
    member = find_member(world, membership_type, membership_id)
    character = next((c for c in member.characters if c.character_id == character_id), None)
    if character is None:
        raise SimError(1620, "DestinyCharacterNotFound", "The character could not be found.")
    if member.private:
        raise SimError(
            1665,
            "DestinyPrivacyRestriction",
            "This user has chosen to make their activity history private.",
        )
    if not 1 <= count <= 250 or page < 0:
        raise SimError(8, "ParameterInvalidRange", "count must be 1-250 and page 0 or more.", 400)

    def wanted(r: HistoryRow) -> bool:
        return (
            mode == 0
            or mode in r.modes
            or mode == r.mode
            or (mode == 5 and r.is_pvp)
            or (mode == 7 and not r.is_pvp)
        )

    end = (page + 1) * count
    rows = [r for r in reversed(character.history) if wanted(r)][:end]
    if len(rows) < end and archive is not None and archive.days > 0:
        through = archive.played_through()
        for r in archive.rows(character_id, through):
            if wanted(r):
                rows.append(r)
                if len(rows) >= end:
                    break
        if len(rows) < end and through > archive.oldest:
            raise NotPlayedYet(through - 1)
    chunk = rows[page * count : end]
    if not chunk:
        return {}
    return {
        "activities": [
            {
                "period": iso(r.period),
                "activityDetails": {
                    "referenceId": r.activity_hash,
                    "directorActivityHash": r.activity_hash,
                    "instanceId": r.instance_id,
                    "mode": r.mode,
                    "modes": list(r.modes),
                    "isPrivate": False,
                    "membershipType": member.membership_type,
                },
                "values": _history_values(r.values),
            }
            for r in chunk
        ]
    }


# ---------------------------------------------------------------------------- PGCR


def _pgcr_entry(entry: Entry) -> dict[str, Any]:
    player, character = entry.player, entry.character
    return {
        "standing": entry.standing,
        "score": stat_value(entry.values.get("score", 0.0)),
        "player": {
            "destinyUserInfo": user_card(player),
            "characterClass": CLASS_NAMES[character.class_type],
            "classHash": CLASS_HASHES[character.class_type],
            "raceHash": character.race,
            "genderHash": character.gender,
            "characterLevel": 50,
            "lightLevel": character.light,
            "emblemHash": character.emblem,
        },
        "characterId": character.character_id,
        "values": {k: stat_value(v, _display(k, v)) for k, v in entry.values.items()},
        "extended": {
            "values": {
                "precisionKills": stat_value(round(entry.values["kills"] * 0.3)),
                "weaponKillsGrenade": stat_value(round(entry.values["kills"] * 0.05)),
                "weaponKillsMelee": stat_value(round(entry.values["kills"] * 0.04)),
                "weaponKillsSuper": stat_value(round(entry.values["kills"] * 0.06)),
                "weaponKillsAbility": stat_value(round(entry.values["kills"] * 0.02)),
            },
        },
    }


def pgcr_response(world: World, instance_id: str, archive: Archive | None = None) -> dict[str, Any]:
    instance: Instance | None = world.instances.get(instance_id)
    if instance is None and archive is not None:
        instance = archive.report(instance_id)
    if instance is None or instance.published_at > world.now:
        raise SimError(
            1653,
            "DestinyPGCRNotFound",
            "The activity you were looking for could not be found.",
            404,
        )
    activity = instance.activity
    return {
        "period": iso(instance.period),
        "startingPhaseIndex": 0,
        "activityWasStartedFromBeginning": True,
        "activityDetails": {
            "referenceId": activity.hash,
            "directorActivityHash": activity.hash,
            "instanceId": instance.instance_id,
            "mode": match_modes(activity)[0],
            "modes": list(match_modes(activity)[1]),
            "isPrivate": False,
            "membershipType": 0,
        },
        "entries": [_pgcr_entry(e) for e in instance.entries],
        "teams": [
            {
                "teamId": team,
                "standing": stat_value(standing, _display("standing", standing)),
                "score": stat_value(score),
                "teamName": "Alpha" if team == 16 else "Bravo",
            }
            for team, (standing, score) in sorted(instance.teams.items())
        ],
    }


# ---------------------------------------------------------------------------- stats


def _totals(member: SimMember) -> Stats:
    b, e = member.base, member.earned
    return Stats(**{k: getattr(b, k) + getattr(e, k) for k in b.__dict__})


def _period(values: dict[str, float]) -> dict[str, Any]:
    return {"allTime": {k: stat_value(v, stat_id=k) for k, v in values.items()}}


def account_stats_response(
    world: World, membership_type: int, membership_id: str, member: SimMember | None = None
) -> dict[str, Any]:
    """`member`: someone who is not in the world's clan (an applicant), found elsewhere."""
    member = member or find_member(world, membership_type, membership_id)
    t = _totals(member)
    pve_seconds = t.seconds_played - t.pvp_seconds
    pve = {
        "activitiesCleared": t.activities_cleared,
        "activitiesEntered": t.activities_entered - t.pvp_entered,
        "assists": t.assists * 0.8,
        "kills": t.kills - t.pvp_kills,
        "deaths": t.deaths - t.pvp_deaths,
        "secondsPlayed": pve_seconds,
        "killsDeathsRatio": round((t.kills - t.pvp_kills) / max(t.deaths - t.pvp_deaths, 1), 2),
    }
    pvp = {
        "activitiesEntered": t.pvp_entered,
        "activitiesWon": t.activities_won,
        "assists": t.assists * 0.2,
        "kills": t.pvp_kills,
        "deaths": t.pvp_deaths,
        "secondsPlayed": t.pvp_seconds,
        "killsDeathsRatio": round(t.pvp_kills / max(t.pvp_deaths, 1), 2),
    }
    merged = {
        "kills": t.kills,
        "deaths": t.deaths,
        "secondsPlayed": t.seconds_played,
        "activitiesEntered": t.activities_entered,
    }
    return {
        "mergedDeletedCharacters": {"results": {}, "merged": {}},
        "mergedAllCharacters": {
            "results": {"allPvE": _period(pve), "allPvP": _period(pvp)},
            "merged": _period(merged),
        },
        "characters": [
            {"characterId": c.character_id, "deleted": False, "results": {}, "merged": {}}
            for c in member.characters
        ],
    }


def parse_modes(raw: str | None) -> list[int]:
    modes = []
    for part in (raw or "").split(","):
        part = part.strip()
        if not part:
            continue
        if part.isdigit():
            modes.append(int(part))
        elif part.lower() in MODE_NAMES:
            modes.append(MODE_NAMES[part.lower()])
        else:
            raise SimError(7, "ParameterParseFailure", f"Unable to parse modes: {part}", 500)
    return modes


def character_stats_response(
    world: World, membership_type: int, membership_id: str, character_id: str, modes: list[int]
) -> dict[str, Any]:
    member = find_member(world, membership_type, membership_id)
    if character_id != "0" and all(c.character_id != character_id for c in member.characters):
        raise SimError(1620, "DestinyCharacterNotFound", "The character could not be found.")
    t = _totals(member)
    out: dict[str, Any] = {}
    for mode in modes or [7, 5]:
        key = MODE_KEYS.get(mode, f"mode{mode}")
        if mode == 4:
            values = {
                "activitiesCleared": t.raid_clears,
                "activitiesEntered": t.raid_entered,
                "kills": t.raid_kills,
                "secondsPlayed": t.raid_seconds,
            }
        elif mode == 5:
            values = {
                "activitiesEntered": t.pvp_entered,
                "activitiesWon": t.activities_won,
                "kills": t.pvp_kills,
                "deaths": t.pvp_deaths,
                "secondsPlayed": t.pvp_seconds,
            }
        elif mode == 7:
            values = {
                "activitiesCleared": t.activities_cleared,
                "kills": t.kills - t.pvp_kills,
                "deaths": t.deaths - t.pvp_deaths,
                "secondsPlayed": t.seconds_played - t.pvp_seconds,
            }
        else:
            rows = [r for c in member.characters for r in c.history if mode in r.modes]
            values = {
                "activitiesCleared": sum(
                    1
                    for r in rows
                    if r.values["completed"] == 1 and r.values["completionReason"] == 0
                ),
                "activitiesEntered": len(rows),
                "kills": sum(r.values["kills"] for r in rows),
                "secondsPlayed": sum(r.values["timePlayedSeconds"] for r in rows),
            }
        out[key] = _period(values)
    return out


# ---------------------------------------------------------------------------- manifest


def definition_response(world: World, entity_type: str, hash_text: str) -> dict[str, Any]:
    try:
        hash_value = int(hash_text)
    except ValueError:
        raise SimError(
            7, "ParameterParseFailure", "hashIdentifier must be a number.", 500
        ) from None
    if entity_type == "DestinyActivityDefinition":
        activity = world.catalog.activities.get(hash_value)
        if activity is not None:
            return activity.definition()
    elif entity_type == "DestinyActivityModeDefinition":
        mode = world.catalog.mode_definition(hash_value)
        if mode is not None:
            return mode
    elif entity_type == "DestinySeasonDefinition":
        season = season_of_hash(hash_value)
        if season is not None:
            return season.definition()
    else:
        raise SimError(7, "ParameterParseFailure", f"Unknown entity type {entity_type}.", 500)
    raise SimError(21, "NotFound", f"{entity_type} {hash_value} was not found.")


MANIFEST_VERSION = "230000.26.11.10.1700-1-bnet.60000"


def manifest_response() -> dict[str, Any]:
    base = "/common/destiny2_content/json/en"
    return {
        "version": MANIFEST_VERSION,
        "mobileAssetContentPath": "/common/destiny2_content/sqlite/asset/asset_sql_content.content",
        "mobileGearAssetDataBases": [],
        "mobileWorldContentPaths": {
            "en": "/common/destiny2_content/sqlite/en/world_sql_content.content"
        },
        "jsonWorldContentPaths": {"en": f"{base}/aggregate-{MANIFEST_VERSION}.json"},
        "jsonWorldComponentContentPaths": {
            "en": {
                table: f"{base}/{table}-{MANIFEST_VERSION}.json"
                for table in ("DestinyActivityDefinition", "DestinyActivityModeDefinition")
            }
        },
        "mobileClanBannerDatabasePath": "/common/destiny2_content/clanbanner/clanbanner.content",
        "mobileGearCDN": {},
        "iconImagePyramidInfo": [],
    }
