"""Display names of activity modes (DestinyActivityModeType), from Bungie's
DestinyActivityModeDefinition (clanactors/sim/data/activities.json): static, like the enum."""

from __future__ import annotations

MODE_NAMES: dict[int, str] = {
    2: "Story",
    3: "Strike",
    4: "Raid",
    5: "Crucible",
    6: "Explore",
    7: "PvE",
    10: "Control",
    12: "Clash",
    15: "Crimson Doubles",
    16: "Nightfall Strikes",
    17: "Prestige Nightfall",
    18: "Strikes",
    19: "Iron Banner",
    25: "Mayhem",
    31: "Supremacy",
    32: "Private Matches",
    37: "Survival",
    38: "Countdown",
    39: "Trials of the Nine",
    40: "Social",
    41: "Trials of the Nine Countdown",
    42: "Trials of the Nine Survival",
    43: "Iron Banner Control",
    44: "Iron Banner Clash",
    45: "Iron Banner Supremacy",
    46: "Scored Nightfall Strikes",
    47: "Scored Prestige Nightfall",
    48: "Rumble",
    49: "All Doubles",
    50: "Doubles",
    51: "Private Matches Clash",
    52: "Private Matches Control",
    53: "Private Matches Supremacy",
    54: "Private Matches Countdown",
    55: "Private Matches Survival",
    56: "Private Matches Mayhem",
    57: "Private Matches Rumble",
    58: "Heroic Adventure",
    59: "Showdown",
    60: "Lockdown",
    61: "Scorched",
    62: "Team Scorched",
    63: "Gambit",
    64: "Competitive Co-Op",
    65: "Breakthrough",
    66: "Forge",
    67: "Salvage",
    68: "Iron Banner Salvage",
    69: "Competitive PvP",
    70: "Quickplay PvP",
    71: "Clash: Quickplay",
    72: "Clash: Competitive",
    73: "Control: Quickplay",
    74: "Control: Competitive",
    75: "Gambit Prime",
    76: "The Reckoning",
    77: "The Menagerie",
    78: "Vex Offensive",
    79: "Nightmare Hunt",
    80: "Elimination",
    81: "Momentum",
    82: "Dungeon",
    83: "The Sundial",
    84: "Trials of Osiris",
    85: "Dares of Eternity",
    86: "Offensive",
    87: "Lost Sector",
    88: "Rift",
    89: "Zone Control",
    90: "Iron Banner Rift",
    91: "Iron Banner Zone Control",
    92: "Relic",
}


def mode_name(mode: int | None) -> str | None:
    """ "Raid", "Dungeon", "Crucible"...; None for no mode or one Bungie does not name."""
    return MODE_NAMES.get(mode) if mode is not None else None


ALL_PVP = 5
# Matches against other players: the Crucible's modes (each also lists AllPvP, 5) and Gambit.
PVP_MODES = frozenset(
    {5, 10, 12, 15, 19, 25, 31, 32, 37, 38, 39, 41, 42, 43, 44, 45, 48, 49, 50, 51, 52, 53}
    | {54, 55, 56, 57, 59, 60, 61, 62, 63, 65, 68, 69, 70, 71, 72, 73, 74, 75, 80, 81, 84}
    | {89, 90, 91}
)
# Matches without teams: Rumble, Private Matches Rumble, Scorched.
FREE_FOR_ALL = frozenset({48, 57, 61})


def is_pvp(mode: int | None, modes: tuple[int, ...] = ()) -> bool:
    """A match against other players (Crucible or Gambit), by its mode or any of its modes."""
    return mode in PVP_MODES or any(m in PVP_MODES for m in modes)


def is_free_for_all(mode: int | None) -> bool:
    return mode in FREE_FOR_ALL


def match_name(activity_name: str, mode: int | None) -> str:
    """A match as players name it, by mode and map: "Control on Midtown". A playlist
    that names its mode already ("Rumble", "Countdown: Rush") stays as it is."""
    name = mode_name(mode)
    if not name or mode == ALL_PVP or name.lower() in activity_name.lower():
        return activity_name
    return f"{name} on {activity_name}"
