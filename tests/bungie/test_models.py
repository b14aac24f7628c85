from __future__ import annotations

from datetime import UTC, datetime

import pytest

from clanactors.bungie import models
from clanactors.bungie.errors import ResponseShapeError
from tests.conftest import load_sample


def payload(name: str) -> dict:
    return load_sample(name)["Response"]


def test_group_sample() -> None:
    group = models.parse_group(payload("groupv2_getgroup_3074427.rustiny-comment.json"))
    assert group.group_id == "3074427"
    assert group.name == "Heavenly Mayhem"
    assert group.motto == "Agents of the Last Safe City on Earth"
    assert group.member_count == 78
    assert group.max_members == 100


def test_profile_components_from_the_samples_merge_into_one_state() -> None:
    merged: dict = {}
    for name in (
        "getprofile_c100_profiles.restiny.json",
        "getprofile_c200_characters.restiny.json",
        "getprofile_c204_characteractivities_orbit.restiny.json",
        "getprofile_c1000_transitory_offline.restiny.json",
    ):
        merged.update(payload(name))
    state = models.parse_profile(merged, "4611686018462034842", 2)
    assert state.membership_id == "4611686018462034842"
    assert state.character_ids == ("2305843009316446082",)
    assert state.characters[0].class_name == "Warlock"
    assert state.activity is not None
    assert state.activity.activity_hash == models.ORBIT_HASH
    assert state.activity.in_orbit
    assert state.activity.mode_hash is None  # 2166136261 is "no hash"
    assert state.activity.started_at == datetime(2023, 12, 2, 23, 11, 22, tzinfo=UTC)
    assert not state.activities_private
    assert state.transitory is not None and state.transitory.offline
    assert state.appears_online is False
    assert [p.membership_id for p in state.transitory.party] == ["4611686018462034842"]
    assert state.minted_at is not None


def test_private_components_are_explicit_not_key_errors() -> None:
    raw = payload("getprofile_c100_profiles.restiny.json")
    raw = {**raw, "characterActivities": {"privacy": 2}, "profileTransitoryData": {"privacy": 2}}
    state = models.parse_profile(raw, "4611686018462034842", 2)
    assert state.activity is None
    assert state.activities_private and state.transitory_private
    assert state.appears_online is None
    # 200 missing too: character ids still come from component 100
    assert state.character_ids == ("2305843009316446082",)


@pytest.mark.parametrize(
    ("name", "instance", "players"),
    [
        ("pgcr_raid_crotasend_14024618384.restiny.json", "14024618384", 7),
        ("pgcr_raid_multicharacter_10629996107.riven.json", "10629996107", None),
        ("pgcr_raid_not_completed_14720975287.riven.json", "14720975287", None),
    ],
)
def test_pgcr_samples(name: str, instance: str, players: int | None) -> None:
    pgcr = models.parse_pgcr(payload(name))
    assert pgcr.instance_id == instance
    assert pgcr.mode == models.MODE_RAID
    assert pgcr.duration_seconds > 0
    merged = pgcr.players()
    assert len(merged) == len({e.membership_id for e in pgcr.entries})
    assert len(merged) <= len(pgcr.entries)
    if players is not None:
        assert len(merged) == players
    for player in merged:
        assert player.membership_id.isdigit()
        assert player.character_class in ("Titan", "Hunter", "Warlock")


def test_pgcr_multicharacter_player_is_merged() -> None:
    pgcr = models.parse_pgcr(payload("pgcr_raid_crotasend_14024618384.restiny.json"))
    assert len(pgcr.entries) == 9
    counts: dict[str, int] = {}
    for e in pgcr.entries:
        counts[e.membership_id] = counts.get(e.membership_id, 0) + 1
    multi = next(mid for mid, n in counts.items() if n == 3)
    merged = next(p for p in pgcr.players() if p.membership_id == multi)
    entries = [e for e in pgcr.entries if e.membership_id == multi]
    assert merged.kills == sum(e.kills for e in entries)
    assert merged.completed == any(e.completed for e in entries)
    assert any(p.bungie_name.endswith("#0514") for p in pgcr.players())


def test_not_completed_pgcr_has_no_clear() -> None:
    pgcr = models.parse_pgcr(payload("pgcr_raid_not_completed_14720975287.riven.json"))
    assert not any(p.completed and p.completion_reason == 0 for p in pgcr.players())


def test_activity_definition_sample() -> None:
    definition = models.parse_activity_definition(
        payload("manifest_entity_activitydef_1042180643.riven.json")
    )
    assert definition.hash == 1042180643
    assert definition.name
    assert definition.name != "Unknown activity"


def test_history_entry_values_and_clear_rule() -> None:
    raw = {
        "period": "2026-11-01T20:00:00Z",
        "activityDetails": {
            "referenceId": 3881495763,
            "directorActivityHash": 3881495763,
            "instanceId": "16000000001",
            "mode": 4,
            "modes": [7, 4],
            "isPrivate": False,
            "membershipType": 3,
        },
        "values": {
            "completed": {"statId": "completed", "basic": {"value": 1.0, "displayValue": "Yes"}},
            "completionReason": {"basic": {"value": 0.0, "displayValue": "Objective Completed"}},
            "kills": {"basic": {"value": 250.0, "displayValue": "250"}},
            "activityDurationSeconds": {"basic": {"value": 3600.0, "displayValue": "1h"}},
        },
    }
    (entry,) = models.parse_history({"activities": [raw]})
    assert entry.cleared and entry.is_raid
    assert entry.kills == 250 and entry.duration_seconds == 3600
    failed = {**raw, "values": {**raw["values"], "completionReason": {"basic": {"value": 2.0}}}}
    assert not models.parse_history_entry(failed).cleared
    assert models.parse_history({}) == ()  # past the last page


def test_account_stats_merge_pve_and_pvp() -> None:
    def block(**values: float) -> dict:
        return {"allTime": {k: {"basic": {"value": v}} for k, v in values.items()}}

    raw = {
        "mergedAllCharacters": {
            "results": {
                "allPvE": block(kills=1000, deaths=50, activitiesCleared=40, secondsPlayed=7200),
                "allPvP": block(kills=300, deaths=200, secondsPlayed=3600),
            },
            "merged": {},
        },
        "characters": [],
    }
    stats = models.parse_account_stats(raw)
    assert (stats.kills, stats.deaths, stats.activities_cleared, stats.time_played_seconds) == (
        1300,
        250,
        40,
        10800,
    )
    assert models.parse_mode_clears({"raid": block(activitiesCleared=12)}) == 12
    assert models.parse_mode_clears({}) == 0


def test_names_are_zero_padded_and_fall_back() -> None:
    assert (
        models.bungie_name({"bungieGlobalDisplayName": "Ada", "bungieGlobalDisplayNameCode": 42})
        == "Ada#0042"
    )
    assert (
        models.bungie_name({"displayName": "OldTimer", "bungieGlobalDisplayNameCode": None})
        == "OldTimer"
    )


@pytest.mark.parametrize(
    "bad",
    [
        {},
        {"results": "nope"},
        {"results": [{"destinyUserInfo": {"membershipId": None}}]},
        {"results": [{"destinyUserInfo": {"membershipId": "12ab"}}]},
    ],
)
def test_malformed_roster_is_a_shape_error(bad: dict) -> None:
    with pytest.raises(ResponseShapeError):
        models.parse_roster_page(bad)


def test_sentinel_and_millisecond_dates() -> None:
    assert models.parse_time("0001-01-01T00:00:00Z") is None
    assert models.parse_time("2001-01-01T00:00:00Z") is None
    assert models.parse_time("2023-12-02T23:25:34.836Z") == datetime(
        2023, 12, 2, 23, 25, 34, 836000, tzinfo=UTC
    )
    assert models.parse_time("garbage") is None
