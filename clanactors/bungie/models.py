"""Raw Bungie JSON in, typed records out. Nothing past this module indexes raw payloads.

Field names and conventions follow Bungie's OpenAPI spec (tests/data/bungie/openapi.json):
int64 ids are strings, hashes are ints, stat values sit in `{"basic": {"value": ...}}`,
unset dates are sentinels. A private component is an explicit `None` plus a flag, never
a KeyError. A payload that lacks what the spec promises raises `ResponseShapeError`.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from clanactors.bungie.errors import ResponseShapeError

ORBIT_HASH = 82913930
INVALID_HASH = 2166136261
OFFLINE_REASON = 32768
RANKS = {0: "None", 1: "Beginner", 2: "Member", 3: "Admin", 4: "ActingFounder", 5: "Founder"}
CLASSES = {0: "Titan", 1: "Hunter", 2: "Warlock"}
MODE_RAID = 4
MODE_DUNGEON = 82

# ---------------------------------------------------------------------------- helpers


def _get(obj: Any, *keys: str, where: str) -> Any:
    """obj[k1][k2]...; a missing key is a shape error naming the path."""
    cur = obj
    for key in keys:
        if not isinstance(cur, Mapping) or key not in cur:
            raise ResponseShapeError(f"missing {'.'.join(keys)} in {where}")
        cur = cur[key]
    return cur


def parse_time(value: Any) -> datetime | None:
    """ISO-8601 with or without milliseconds; Bungie's sentinel dates become None."""
    if not value or not isinstance(value, str):
        return None
    if value.startswith(("0001-01-01", "2001-01-01")):
        return None
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _epoch(value: Any) -> datetime | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def _hash(value: Any) -> int | None:
    if value is None:
        return None
    try:
        h = int(value)
    except (TypeError, ValueError):
        return None
    return None if h in (0, INVALID_HASH) or h < 0 else h


def _id(value: Any, where: str) -> str:
    if isinstance(value, bool) or value is None:
        raise ResponseShapeError(f"missing id in {where}")
    text = str(value)
    if not text.isdigit():
        raise ResponseShapeError(f"id {text!r} is not numeric in {where}")
    return text


def stat(values: Mapping[str, Any] | None, name: str) -> float:
    """values[name].basic.value, or 0.0 when absent."""
    try:
        return float(values[name]["basic"]["value"])  # type: ignore[index]
    except (KeyError, TypeError, ValueError):
        return 0.0


def bungie_name(card: Mapping[str, Any]) -> str:
    """`Name#0042`; falls back to the platform display name for accounts without a code."""
    name = card.get("bungieGlobalDisplayName") or ""
    code = card.get("bungieGlobalDisplayNameCode")
    if name and code is not None:
        return f"{name}#{int(code):04d}"
    return str(name or card.get("displayName") or card.get("LastSeenDisplayName") or "Guardian")


def display_name(card: Mapping[str, Any]) -> str:
    return str(
        card.get("bungieGlobalDisplayName")
        or card.get("displayName")
        or card.get("LastSeenDisplayName")
        or "Guardian"
    )


# ---------------------------------------------------------------------------- clan


@dataclass(frozen=True)
class GroupInfo:
    group_id: str
    name: str
    motto: str
    about: str
    member_count: int
    max_members: int


def parse_group(payload: Any) -> GroupInfo:
    detail = _get(payload, "detail", where="GroupResponse")
    return GroupInfo(
        group_id=_id(_get(detail, "groupId", where="GroupV2"), "GroupV2"),
        name=str(detail.get("name") or ""),
        motto=str(detail.get("motto") or ""),
        about=str(detail.get("about") or ""),
        member_count=int(detail.get("memberCount") or 0),
        max_members=int((detail.get("features") or {}).get("maximumMembers") or 100),
    )


@dataclass(frozen=True)
class RosterMember:
    membership_id: str
    membership_type: int
    display_name: str
    bungie_name: str
    rank: str
    joined_at: datetime | None
    is_online: bool
    last_online_change: datetime | None
    is_public: bool


@dataclass(frozen=True)
class RosterPage:
    members: tuple[RosterMember, ...]
    has_more: bool
    total: int


def parse_roster_member(raw: Any) -> RosterMember:
    card = _get(raw, "destinyUserInfo", where="GroupMember")
    return RosterMember(
        membership_id=_id(card.get("membershipId"), "GroupMember.destinyUserInfo"),
        membership_type=int(card.get("membershipType") or 0),
        display_name=display_name(card),
        bungie_name=bungie_name(card),
        rank=RANKS.get(int(raw.get("memberType") or 0), "None"),
        joined_at=parse_time(raw.get("joinDate")),
        is_online=bool(raw.get("isOnline")),
        last_online_change=_epoch(raw.get("lastOnlineStatusChange")),
        is_public=bool(card.get("isPublic", True)),
    )


def parse_roster_page(payload: Any) -> RosterPage:
    results = _get(payload, "results", where="SearchResultOfGroupMember")
    if not isinstance(results, list):
        raise ResponseShapeError("results is not a list in SearchResultOfGroupMember")
    return RosterPage(
        members=tuple(parse_roster_member(r) for r in results),
        has_more=bool(payload.get("hasMore")),
        total=int(payload.get("totalResults") or len(results)),
    )


# ---------------------------------------------------------------------------- profile


@dataclass(frozen=True)
class CharacterInfo:
    character_id: str
    class_type: int
    light: int
    date_last_played: datetime | None
    minutes_played_total: int

    @property
    def class_name(self) -> str:
        return CLASSES.get(self.class_type, "Unknown")


@dataclass(frozen=True)
class CurrentActivity:
    character_id: str
    activity_hash: int | None  # None: no activity (invalid hash)
    mode_hash: int | None
    mode_type: int | None
    mode_types: tuple[int, ...]
    playlist_hash: int | None
    started_at: datetime | None

    @property
    def in_orbit(self) -> bool:
        return self.activity_hash in (None, ORBIT_HASH)


@dataclass(frozen=True)
class PartyMember:
    membership_id: str
    status: int
    display_name: str


@dataclass(frozen=True)
class Transitory:
    party: tuple[PartyMember, ...]
    start_time: datetime | None
    end_time: datetime | None
    offline: bool
    open_slots: int


@dataclass(frozen=True)
class ProfileState:
    """What one GetProfile(100,200,204,1000) says about a member right now."""

    membership_id: str
    membership_type: int
    date_last_played: datetime | None
    characters: tuple[CharacterInfo, ...]
    activity: CurrentActivity | None  # the character with the newest dateActivityStarted
    activities_private: bool  # 204 came back without data
    transitory: Transitory | None
    transitory_private: bool  # 1000 came back without data
    minted_at: datetime | None

    @property
    def character_ids(self) -> tuple[str, ...]:
        return tuple(c.character_id for c in self.characters)

    @property
    def appears_online(self) -> bool | None:
        """The live signal: transitory data present without the Offline bit."""
        if self.transitory is None:
            return None
        return not self.transitory.offline


def _component_data(payload: Mapping[str, Any], name: str) -> Any:
    component = payload.get(name)
    if not isinstance(component, Mapping):
        return None
    return component.get("data")


def parse_profile(payload: Any, membership_id: str, membership_type: int) -> ProfileState:
    if not isinstance(payload, Mapping):
        raise ResponseShapeError("profile payload is not an object")
    profile = _component_data(payload, "profile") or {}
    characters_raw = _component_data(payload, "characters") or {}
    characters = tuple(
        sorted(
            (
                CharacterInfo(
                    character_id=_id(char_id, "characters.data"),
                    class_type=int(c.get("classType", -1)),
                    light=int(c.get("light") or 0),
                    date_last_played=parse_time(c.get("dateLastPlayed")),
                    minutes_played_total=int(c.get("minutesPlayedTotal") or 0),
                )
                for char_id, c in characters_raw.items()
                if isinstance(c, Mapping)
            ),
            key=lambda c: c.date_last_played or datetime.min.replace(tzinfo=UTC),
            reverse=True,
        )
    )
    if not characters and profile.get("characterIds"):
        characters = tuple(
            CharacterInfo(_id(cid, "profile.characterIds"), -1, 0, None, 0)
            for cid in profile["characterIds"]
        )

    activities_raw = _component_data(payload, "characterActivities")
    activity = None
    if isinstance(activities_raw, Mapping):
        candidates = [
            CurrentActivity(
                character_id=_id(char_id, "characterActivities.data"),
                activity_hash=_hash(a.get("currentActivityHash")),
                mode_hash=_hash(a.get("currentActivityModeHash")),
                mode_type=a.get("currentActivityModeType"),
                mode_types=tuple(int(m) for m in a.get("currentActivityModeTypes") or ()),
                playlist_hash=_hash(a.get("currentPlaylistActivityHash")),
                started_at=parse_time(a.get("dateActivityStarted")),
            )
            for char_id, a in activities_raw.items()
            if isinstance(a, Mapping)
        ]
        if candidates:
            activity = max(
                candidates, key=lambda a: a.started_at or datetime.min.replace(tzinfo=UTC)
            )

    transitory_raw = _component_data(payload, "profileTransitoryData")
    transitory = None
    if isinstance(transitory_raw, Mapping):
        current = transitory_raw.get("currentActivity") or {}
        joinability = transitory_raw.get("joinability") or {}
        transitory = Transitory(
            party=tuple(
                PartyMember(
                    membership_id=str(p.get("membershipId")),
                    status=int(p.get("status") or 0),
                    display_name=str(p.get("displayName") or ""),
                )
                for p in transitory_raw.get("partyMembers") or ()
                if isinstance(p, Mapping) and str(p.get("membershipId", "")).isdigit()
            ),
            start_time=parse_time(current.get("startTime")),
            end_time=parse_time(current.get("endTime")),
            offline=bool(int(joinability.get("closedReasons") or 0) & OFFLINE_REASON),
            open_slots=int(joinability.get("openSlots") or 0),
        )

    user_info = profile.get("userInfo") or {}
    return ProfileState(
        membership_id=str(user_info.get("membershipId") or membership_id),
        membership_type=int(user_info.get("membershipType") or membership_type),
        date_last_played=parse_time(profile.get("dateLastPlayed")),
        characters=characters,
        activity=activity,
        activities_private=activities_raw is None,
        transitory=transitory,
        transitory_private=transitory_raw is None,
        minted_at=parse_time(payload.get("responseMintedTimestamp")),
    )


# ---------------------------------------------------------------------------- history


@dataclass(frozen=True)
class HistoryEntry:
    instance_id: str
    activity_hash: int
    director_hash: int | None
    mode: int | None
    modes: tuple[int, ...]
    period: datetime
    duration_seconds: int
    completed: bool
    completion_reason: int | None
    kills: int
    deaths: int
    assists: int
    time_played_seconds: int
    player_count: int

    @property
    def cleared(self) -> bool:
        """A clear: completed == 1 and completionReason == 0 (docs/api.md, "Events")."""
        return self.completed and self.completion_reason == 0

    @property
    def is_raid(self) -> bool:
        return self.mode == MODE_RAID or MODE_RAID in self.modes


def _activity_details(raw: Mapping[str, Any], where: str) -> tuple[str, int, int | None, Any]:
    details = _get(raw, "activityDetails", where=where)
    instance_id = _id(details.get("instanceId"), f"{where}.activityDetails")
    activity_hash = _hash(details.get("referenceId")) or _hash(details.get("directorActivityHash"))
    if activity_hash is None:
        raise ResponseShapeError(f"missing activityDetails.referenceId in {where}")
    return instance_id, activity_hash, _hash(details.get("directorActivityHash")), details


def parse_history_entry(raw: Any) -> HistoryEntry:
    where = "DestinyHistoricalStatsPeriodGroup"
    instance_id, activity_hash, director_hash, details = _activity_details(raw, where)
    period = parse_time(raw.get("period"))
    if period is None:
        raise ResponseShapeError(f"missing period in {where}")
    values = raw.get("values") or {}
    reason = values.get("completionReason")
    return HistoryEntry(
        instance_id=instance_id,
        activity_hash=activity_hash,
        director_hash=director_hash,
        mode=details.get("mode"),
        modes=tuple(int(m) for m in details.get("modes") or ()),
        period=period,
        duration_seconds=int(stat(values, "activityDurationSeconds")),
        completed=stat(values, "completed") == 1,
        completion_reason=int(stat(values, "completionReason")) if reason else None,
        kills=int(stat(values, "kills")),
        deaths=int(stat(values, "deaths")),
        assists=int(stat(values, "assists")),
        time_played_seconds=int(stat(values, "timePlayedSeconds")),
        player_count=int(stat(values, "playerCount")),
    )


def parse_history(payload: Any) -> tuple[HistoryEntry, ...]:
    """Newest first, as Bungie sends it. Past the last page the payload is `{}`."""
    if not isinstance(payload, Mapping):
        raise ResponseShapeError("activity history payload is not an object")
    return tuple(parse_history_entry(a) for a in payload.get("activities") or ())


# ---------------------------------------------------------------------------- PGCR


@dataclass(frozen=True)
class PgcrEntry:
    membership_id: str
    membership_type: int
    display_name: str
    bungie_name: str
    character_id: str
    character_class: str
    kills: int
    deaths: int
    assists: int
    completed: bool
    completion_reason: int | None
    time_played_seconds: int
    fireteam_id: float

    @property
    def cleared(self) -> bool:
        """A clear: completed == 1 and completionReason == 0 (docs/api.md, "Events")."""
        return self.completed and self.completion_reason == 0


@dataclass(frozen=True)
class Pgcr:
    instance_id: str
    activity_hash: int
    director_hash: int | None
    mode: int | None
    modes: tuple[int, ...]
    period: datetime
    duration_seconds: int
    entries: tuple[PgcrEntry, ...]

    def cleared_by(self, membership_ids: Collection[str]) -> bool:
        """Whether any of these players (the clan's) cleared it."""
        return any(p.cleared for p in self.players() if p.membership_id in membership_ids)

    def players(self) -> tuple[PgcrEntry, ...]:
        """One row per player: characters merged, completed if any character completed."""
        merged: dict[str, PgcrEntry] = {}
        for e in self.entries:
            prev = merged.get(e.membership_id)
            if prev is None:
                merged[e.membership_id] = e
                continue
            merged[e.membership_id] = PgcrEntry(
                membership_id=e.membership_id,
                membership_type=prev.membership_type,
                display_name=prev.display_name,
                bungie_name=prev.bungie_name,
                character_id=prev.character_id
                if prev.completed or not e.completed
                else e.character_id,
                character_class=prev.character_class
                if prev.completed or not e.completed
                else e.character_class,
                kills=prev.kills + e.kills,
                deaths=prev.deaths + e.deaths,
                assists=prev.assists + e.assists,
                completed=prev.completed or e.completed,
                completion_reason=prev.completion_reason
                if prev.completion_reason == 0
                else e.completion_reason,
                time_played_seconds=prev.time_played_seconds + e.time_played_seconds,
                fireteam_id=prev.fireteam_id,
            )
        return tuple(merged.values())


def parse_pgcr(payload: Any) -> Pgcr:
    where = "DestinyPostGameCarnageReportData"
    instance_id, activity_hash, director_hash, details = _activity_details(payload, where)
    period = parse_time(payload.get("period"))
    if period is None:
        raise ResponseShapeError(f"missing period in {where}")
    entries = []
    duration = 0
    for raw in payload.get("entries") or ():
        player = raw.get("player") or {}
        card = player.get("destinyUserInfo") or {}
        values = raw.get("values") or {}
        duration = max(duration, int(stat(values, "activityDurationSeconds")))
        entries.append(
            PgcrEntry(
                membership_id=_id(card.get("membershipId"), f"{where}.entries"),
                membership_type=int(card.get("membershipType") or 0),
                display_name=display_name(card),
                bungie_name=bungie_name(card),
                character_id=str(raw.get("characterId") or ""),
                character_class=str(player.get("characterClass") or "Unknown"),
                kills=int(stat(values, "kills")),
                deaths=int(stat(values, "deaths")),
                assists=int(stat(values, "assists")),
                completed=stat(values, "completed") == 1,
                completion_reason=int(stat(values, "completionReason"))
                if "completionReason" in values
                else None,
                time_played_seconds=int(stat(values, "timePlayedSeconds")),
                fireteam_id=stat(values, "fireteamId"),
            )
        )
    return Pgcr(
        instance_id=instance_id,
        activity_hash=activity_hash,
        director_hash=director_hash,
        mode=details.get("mode"),
        modes=tuple(int(m) for m in details.get("modes") or ()),
        period=period,
        duration_seconds=duration,
        entries=tuple(entries),
    )


# ---------------------------------------------------------------------------- stats


@dataclass(frozen=True)
class AccountStats:
    kills: int
    deaths: int
    activities_cleared: int
    time_played_seconds: int


def parse_account_stats(payload: Any) -> AccountStats:
    """GetHistoricalStatsForAccount (groups=1): PvE and PvP merged over all characters."""
    merged = _get(payload, "mergedAllCharacters", where="DestinyHistoricalStatsAccountResult")
    results = merged.get("results") or {}

    def all_time(mode: str) -> Any:
        return (results.get(mode) or {}).get("allTime")

    def total(name: str) -> int:
        return int(sum(stat(all_time(mode), name) for mode in ("allPvE", "allPvP")))

    return AccountStats(
        kills=total("kills"),
        deaths=total("deaths"),
        activities_cleared=int(stat(all_time("allPvE"), "activitiesCleared")),
        time_played_seconds=total("secondsPlayed"),
    )


def parse_mode_clears(payload: Any, mode_key: str = "raid") -> int:
    """GetHistoricalStats(characterId=0, modes=4): `raid.allTime.activitiesCleared`."""
    if not isinstance(payload, Mapping):
        raise ResponseShapeError("historical stats payload is not an object")
    return int(stat((payload.get(mode_key) or {}).get("allTime"), "activitiesCleared"))


# ---------------------------------------------------------------------------- manifest


@dataclass(frozen=True)
class ActivityDefinition:
    hash: int
    name: str
    description: str
    mode: int | None
    mode_types: tuple[int, ...]
    activity_type_hash: int | None
    pgcr_image: str | None
    is_pvp: bool
    is_playlist: bool


def parse_activity_definition(payload: Any) -> ActivityDefinition:
    where = "DestinyActivityDefinition"
    h = _get(payload, "hash", where=where)
    props = payload.get("displayProperties") or {}
    name = str(props.get("name") or "")
    if int(h) == ORBIT_HASH:
        name = "Orbit"
    return ActivityDefinition(
        hash=int(h),
        name=name or "Classified activity",
        description=str(props.get("description") or ""),
        mode=payload.get("directActivityModeType"),
        mode_types=tuple(int(m) for m in payload.get("activityModeTypes") or ()),
        activity_type_hash=_hash(payload.get("activityTypeHash")),
        pgcr_image=payload.get("pgcrImage") or None,
        is_pvp=bool(payload.get("isPvP")),
        is_playlist=bool(payload.get("isPlaylist")),
    )


@dataclass(frozen=True)
class SeasonDefinition:
    """A season from the manifest (DestinySeasonDefinition): its name and dates."""

    hash: int
    name: str
    start: datetime
    end: datetime | None


def parse_season_definition(payload: Any) -> SeasonDefinition:
    where = "DestinySeasonDefinition"
    h = _get(payload, "hash", where=where)
    props = payload.get("displayProperties") or {}
    start = parse_time(payload.get("startDate"))
    if start is None:
        raise ResponseShapeError(f"{where} {h} has no startDate")
    number = payload.get("seasonNumber")
    name = str(props.get("name") or (f"Season {number}" if number else "This season"))
    return SeasonDefinition(int(h), name, start, parse_time(payload.get("endDate")))


def parse_current_season(payload: Any) -> int | None:
    """The profile's `currentSeasonHash` (component 100), if it has one."""
    if not isinstance(payload, Mapping):
        raise ResponseShapeError("profile payload is not an object")
    profile = _component_data(payload, "profile") or {}
    return _hash(profile.get("currentSeasonHash"))


# ---------------------------------------------------------------------------- sign-in, admin


@dataclass(frozen=True)
class OAuthTokens:
    """The token endpoint's answer. `repr` never shows a token (logs, tracebacks)."""

    access_token: str = field(repr=False)
    expires_in: float
    refresh_token: str = field(repr=False)
    refresh_expires_in: float
    bnet_membership_id: str


def parse_oauth_tokens(body: Any) -> OAuthTokens:
    where = "OAuth token"
    if not isinstance(body, Mapping):
        raise ValueError(f"{where}: not an object")
    access = body.get("access_token")
    refresh = body.get("refresh_token")
    if not isinstance(access, str) or not access or not isinstance(refresh, str) or not refresh:
        raise ValueError(f"{where}: no access or refresh token")  # never echo the body
    try:
        expires_in = float(body.get("expires_in") or 3600)
        refresh_in = float(body.get("refresh_expires_in") or 7776000)
    except (TypeError, ValueError):
        raise ValueError(f"{where}: expires_in is not a number") from None
    return OAuthTokens(
        access, expires_in, refresh, refresh_in, str(body.get("membership_id") or "")
    )


@dataclass(frozen=True)
class Membership:
    membership_type: int
    membership_id: str
    display_name: str
    bungie_name: str


@dataclass(frozen=True)
class CurrentUser:
    """GetMembershipsForCurrentUser: the signed-in player's Destiny memberships."""

    memberships: tuple[Membership, ...]
    primary_membership_id: str | None
    display_name: str


def _membership(card: Any, where: str) -> Membership:
    if not isinstance(card, Mapping):
        raise ValueError(f"{where}: membership is not an object")
    return Membership(
        int(card.get("membershipType") or 0),
        _id(card.get("membershipId"), where),
        display_name(card),
        bungie_name(card),
    )


def parse_current_user(payload: Any) -> CurrentUser:
    where = "GetMembershipsForCurrentUser"
    cards = _get(payload, "destinyMemberships", where=where) or []
    memberships = tuple(_membership(c, where) for c in cards)
    primary = payload.get("primaryMembershipId")
    user = payload.get("bungieNetUser") or {}
    name = str(
        user.get("cachedBungieGlobalDisplayName")
        or user.get("displayName")
        or (memberships[0].display_name if memberships else "Guardian")
    )
    return CurrentUser(memberships, str(primary) if primary else None, name)


@dataclass(frozen=True)
class Application:
    """A pending application to join the clan (GroupsV2.GroupMemberApplication)."""

    membership: Membership
    applied_at: datetime | None
    message: str
    is_public: bool


def parse_pending(payload: Any) -> tuple[tuple[Application, ...], bool]:
    """One page of GetPendingMemberships, and whether there are more."""
    where = "GetPendingMemberships"
    results = _get(payload, "results", where=where) or []
    found = []
    for raw in results:
        card = raw.get("destinyUserInfo") if isinstance(raw, Mapping) else None
        if card is None:
            continue
        found.append(
            Application(
                _membership(card, where),
                parse_time(raw.get("creationDate")),
                str(raw.get("requestMessage") or ""),
                bool(card.get("isPublic", True)),
            )
        )
    return tuple(found), bool(payload.get("hasMore"))


def parse_entity_results(payload: Any) -> dict[str, int]:
    """ListOfEntityActionResult: membershipId -> ErrorCode (1 is done)."""
    if not isinstance(payload, list):
        raise ValueError("entity action results: not a list")
    return {
        str(r.get("entityId")): int(r.get("result") or 0) for r in payload if isinstance(r, Mapping)
    }
