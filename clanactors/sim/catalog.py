"""Real activity and mode definitions (data/activities.json) for the simulated world."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

DATA = Path(__file__).parent / "data" / "activities.json"
ORBIT_HASH = 82913930
INVALID_HASH = 2166136261


@dataclass(frozen=True)
class SimActivity:
    hash: int
    name: str
    category: str
    mode: int  # directActivityModeType
    mode_hash: int | None
    mode_types: tuple[int, ...]
    mode_hashes: tuple[int, ...]
    is_pvp: bool
    raw: dict[str, Any]

    def definition(self) -> dict[str, Any]:
        """The DestinyActivityDefinition as the manifest entity endpoint returns it."""
        raw = self.raw
        name = raw.get("name") or ""
        display = {
            "description": raw.get("description") or "",
            "name": name,
            "icon": "/common/destiny2_content/icons/activity_default.png",
            "hasIcon": bool(name),
        }
        definition: dict[str, Any] = {
            "displayProperties": display,
            "originalDisplayProperties": display,
            "activityLightLevel": 0,
            "destinationHash": raw.get("destinationHash") or 0,
            "placeHash": raw.get("placeHash") or 0,
            "activityTypeHash": raw.get("activityTypeHash") or 0,
            "tier": 0,
            "pgcrImage": raw.get("pgcrImage") or "",
            "isPlaylist": bool(raw.get("isPlaylist")),
            "isPvP": self.is_pvp,
            "matchmaking": {
                "isMatchmade": self.category in ("strike", "nightfall", "crucible", "gambit"),
                "minParty": 1,
                "maxParty": 6 if self.category in ("raid", "crucible") else 3,
                "maxPlayers": 12 if self.is_pvp else 6,
                "requiresGuardianOath": False,
            },
            "hash": self.hash,
            "index": 0,
            "redacted": False,
        }
        if self.mode_hash is not None:
            definition["directActivityModeHash"] = self.mode_hash
            definition["directActivityModeType"] = self.mode
            definition["activityModeHashes"] = list(self.mode_hashes)
            definition["activityModeTypes"] = list(self.mode_types)
        return definition


@dataclass(frozen=True)
class Catalog:
    activities: dict[int, SimActivity]
    modes: dict[int, dict[str, Any]]  # by mode hash

    def in_category(self, category: str) -> list[SimActivity]:
        return [a for a in self.activities.values() if a.category == category]

    def mode_definition(self, mode_hash: int) -> dict[str, Any] | None:
        mode = self.modes.get(mode_hash)
        if mode is None:
            return None
        return {
            "displayProperties": {"description": "", "name": mode["name"], "hasIcon": False},
            "pgcrImage": "",
            "modeType": mode["modeType"],
            "activityModeCategory": mode.get("activityModeCategory", 0),
            "isTeamBased": False,
            "isAggregateMode": bool(mode.get("isAggregateMode")),
            "parentHashes": [],
            "friendlyName": mode["name"].replace(" ", "").replace(":", ""),
            "display": True,
            "order": 0,
            "hash": mode["hash"],
            "index": 0,
            "redacted": False,
        }


@cache
def load_catalog() -> Catalog:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    activities = {}
    for raw in data["activities"]:
        mode_hash = raw.get("directActivityModeHash")
        activities[int(raw["hash"])] = SimActivity(
            hash=int(raw["hash"]),
            name=raw.get("name") or "",
            category=raw["category"],
            mode=int(raw.get("directActivityModeType") or 0),
            mode_hash=int(mode_hash) if mode_hash else None,
            mode_types=tuple(raw.get("activityModeTypes") or ()),
            mode_hashes=tuple(raw.get("activityModeHashes") or ()),
            is_pvp=bool(raw.get("isPvP")),
            raw=raw,
        )
    modes = {int(m["hash"]): m for m in data["modes"]}
    return Catalog(activities=activities, modes=modes)
