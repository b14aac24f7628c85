"""The people of the simulated world: clan members, their characters, and guests."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta

CLASS_HASHES = {0: 3655393761, 1: 671679327, 2: 2271682572}  # Titan, Hunter, Warlock
CLASS_NAMES = {0: "Titan", 1: "Hunter", 2: "Warlock"}
RACE_HASHES = (3887404748, 2803282938, 898834093)  # Human, Awoken, Exo
GENDER_HASHES = (3111576190, 2204441813)  # Male, Female
EMBLEM_HASHES = (3936625542, 298334062, 1968995963, 2939572589, 4224972854)
PLATFORMS = (3, 3, 3, 3, 2, 2, 1, 1, 6)  # Steam-heavy, like most PC-era clans

CATEGORIES = (
    "raid",
    "dungeon",
    "strike",
    "nightfall",
    "crucible",
    "gambit",
    "patrol",
    "story",
    "other",
)

_SYLLABLES = (
    "ka",
    "ri",
    "zen",
    "vor",
    "tha",
    "mir",
    "ash",
    "el",
    "dra",
    "kon",
    "lu",
    "nyx",
    "sol",
    "vex",
    "ori",
    "tal",
    "quin",
    "bel",
    "cro",
    "gar",
    "hel",
    "ix",
    "jor",
    "ly",
)
_WORDS = (
    "Ghost",
    "Hawk",
    "Titan",
    "Shade",
    "Nova",
    "Ember",
    "Drifter",
    "Saint",
    "Wolf",
    "Crow",
    "Echo",
    "Raven",
    "Orbit",
    "Vanguard",
    "Spark",
    "Striker",
    "Nomad",
    "Gjally",
    "Whisper",
    "Sunbreaker",
    "Voidwalker",
    "Gunslinger",
    "Sentinel",
    "Dawn",
    "Cipher",
)
# Names a page must escape or render carefully (accents, emoji, & " ' <), which still read
# as names: the demo clan is a showcase. With hostile names (tests, `clanactors sim
# --hostile-names`) three of them are markup instead, given to the same members, so the
# clan is otherwise the same.
SPECIAL_NAMES = (
    "Bold",
    "Zoë Ñandú",
    "🔥Phoenix🔥",
    "Jürgen & Co",
    "Gilded",
    'Łukasz "The Wall"',
    "Renée 🚀",
    "O'Brien<3",
    "Sable",
)
HOSTILE_NAMES = {
    "Bold": "<b>Bold</b>",
    "Gilded": "<i>Guardian</i>",
    "Sable": "<svg/onload=alert(1)>",
}


def special_names(hostile: bool) -> tuple[str, ...]:
    """The odd names, with the markup ones when `hostile`."""
    return tuple(HOSTILE_NAMES.get(n, n) if hostile else n for n in SPECIAL_NAMES)


def _id(rng: random.Random, prefix: str) -> str:
    return f"{prefix}{rng.randrange(10**8, 10**9)}"


def make_name(rng: random.Random) -> str:
    style = rng.random()
    if style < 0.4:
        return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()
    if style < 0.75:
        return f"{rng.choice(_WORDS)}{rng.choice(_WORDS)}"
    if style < 0.9:
        return f"{rng.choice(_WORDS)}{rng.randint(1, 99)}"
    return f"x{rng.choice(_WORDS)}x"


@dataclass
class HistoryRow:
    """One finished activity in a character's history, as the stats service keeps it."""

    instance_id: str
    activity_hash: int
    mode: int
    modes: tuple[int, ...]
    period: datetime
    values: dict[str, float]
    is_pvp: bool


@dataclass
class SimCharacter:
    character_id: str
    class_type: int
    race: int
    gender: int
    emblem: int
    light: int
    minutes_total: int
    date_last_played: datetime
    # Where the character was last: activity hash, mode hash, start (sticky after logout).
    last_activity_hash: int
    last_activity_started: datetime
    history: list[HistoryRow] = field(default_factory=list)  # oldest first
    minutes_base: int = 0  # minutesPlayedTotal at the simulation's epoch


@dataclass
class Player:
    """Anyone with a Destiny account: members and guests share this shape."""

    membership_id: str
    membership_type: int
    name: str
    code: int | None
    characters: list[SimCharacter]

    @property
    def bungie_name(self) -> str:
        return f"{self.name}#{self.code:04d}" if self.code is not None else self.name


@dataclass
class Stats:
    kills: float = 0
    deaths: float = 0
    assists: float = 0
    seconds_played: float = 0
    activities_entered: float = 0
    activities_cleared: float = 0  # PvE
    activities_won: float = 0  # PvP
    raid_clears: float = 0
    raid_entered: float = 0
    raid_kills: float = 0
    raid_seconds: float = 0
    pvp_kills: float = 0
    pvp_deaths: float = 0
    pvp_seconds: float = 0
    pvp_entered: float = 0


@dataclass
class SimMember(Player):
    rank: int = 2
    joined_at: datetime = datetime(2020, 1, 1)
    private: bool = False
    special: bool = False  # one of the odd names: stays in the clan, a fixture
    cross_save: bool = False
    prefs: dict[str, float] = field(default_factory=dict)
    prime_hour: int = 20  # UTC hour the member likes to start playing
    sessions_per_day: float = 1.0
    session_minutes: float = 120.0
    base: Stats = field(default_factory=Stats)
    earned: Stats = field(default_factory=Stats)
    in_clan: bool = True
    left_at: datetime | None = None  # when the member decided to leave the clan
    leaving: bool = False  # decided while online: leaves at logout
    promoted_at: datetime | None = None  # a Beginner becomes a Member at the next day
    online: bool = False
    last_status_change: datetime = datetime(2020, 1, 1)
    session_end: datetime | None = None
    session_token: int = 0  # tells a session's planned logout from a stale one
    character_index: int = 0  # the character played this session
    # "orbit" / "activity" while online; the play id while in an activity.
    play_id: int | None = None
    orbit_since: datetime | None = None
    decide_token: int = 0

    @property
    def character(self) -> SimCharacter:
        return self.characters[self.character_index]


def make_characters(rng: random.Random, now: datetime, count: int) -> list[SimCharacter]:
    classes = rng.sample([0, 1, 2], count)
    characters = []
    for class_type in classes:
        last = now - timedelta(days=rng.uniform(1, 400))
        character = SimCharacter(
            character_id=_id(rng, "2305843009"),
            class_type=class_type,
            race=rng.choice(RACE_HASHES),
            gender=rng.choice(GENDER_HASHES),
            emblem=rng.choice(EMBLEM_HASHES),
            light=rng.randint(1900, 2010),
            minutes_total=rng.randint(2_000, 150_000),
            date_last_played=last,
            last_activity_hash=82913930,
            last_activity_started=last - timedelta(minutes=rng.randint(5, 90)),
        )
        character.minutes_base = character.minutes_total
        characters.append(character)
    return characters


def make_member(
    rng: random.Random,
    now: datetime,
    *,
    name: str | None = None,
    rank: int = 2,
    joined_at: datetime | None = None,
) -> SimMember:
    membership_type = rng.choice(PLATFORMS)
    hours = rng.lognormvariate(6.5, 0.9)  # lifetime hours played: ~700 median
    pve_share = rng.uniform(0.5, 0.95)
    raid_entered = int(hours * rng.uniform(0.01, 0.12))
    raid_clears = int(raid_entered * rng.uniform(0.5, 0.9))
    base = Stats(
        kills=int(hours * rng.uniform(80, 160)),
        deaths=int(hours * rng.uniform(4, 12)),
        assists=int(hours * rng.uniform(20, 60)),
        seconds_played=int(hours * 3600),
        activities_entered=int(hours * 2.5),
        activities_cleared=int(hours * 2.5 * pve_share * 0.7),
        activities_won=int(hours * 2.5 * (1 - pve_share) * 0.5),
        raid_clears=raid_clears,
        raid_entered=raid_entered,
        raid_kills=raid_entered * rng.randint(150, 400),
        raid_seconds=raid_entered * rng.randint(2400, 5400),
        pvp_kills=int(hours * (1 - pve_share) * rng.uniform(40, 80)),
        pvp_deaths=int(hours * (1 - pve_share) * rng.uniform(30, 70)),
        pvp_seconds=int(hours * (1 - pve_share) * 3600),
        pvp_entered=int(hours * (1 - pve_share) * 5),
    )
    base.kills += base.pvp_kills
    base.deaths += base.pvp_deaths
    style = rng.random()
    if style < 0.3:  # raiders
        prefs = {
            "raid": 5,
            "dungeon": 3,
            "nightfall": 2,
            "strike": 1,
            "crucible": 1,
            "gambit": 0.3,
            "patrol": 1,
            "story": 0.5,
            "other": 0.5,
        }
    elif style < 0.55:  # PvP players
        prefs = {
            "raid": 0.5,
            "dungeon": 0.5,
            "nightfall": 0.5,
            "strike": 0.5,
            "crucible": 6,
            "gambit": 1.5,
            "patrol": 0.5,
            "story": 0.2,
            "other": 0.3,
        }
    else:  # a bit of everything
        prefs = {
            "raid": 1,
            "dungeon": 1,
            "nightfall": 1.5,
            "strike": 2,
            "crucible": 2,
            "gambit": 1,
            "patrol": 2,
            "story": 1.5,
            "other": 1,
        }
    code = rng.randint(1, 9999) if rng.random() > 0.02 else None
    return SimMember(
        membership_id=_id(rng, "4611686018"),
        membership_type=membership_type,
        name=name or make_name(rng),
        code=code,
        characters=make_characters(rng, now, rng.choice((1, 2, 3, 3))),
        rank=rank,
        joined_at=joined_at or now - timedelta(days=rng.uniform(1, 6 * 365)),
        cross_save=rng.random() < 0.3,
        prefs=prefs,
        prime_hour=rng.choice(
            (*range(24), *range(17, 23), *range(18, 22))
        ),  # mostly EU/US evenings
        sessions_per_day=rng.choice((0.1, 0.5, 1.0, 1.5, 2.0, 2.0, 2.5, 3.0)),
        session_minutes=rng.uniform(80, 220),
        base=base,
        last_status_change=now - timedelta(hours=rng.uniform(1, 24 * 60)),
    )


def make_guest(rng: random.Random, now: datetime) -> Player:
    return Player(
        membership_id=_id(rng, "4611686018"),
        membership_type=rng.choice(PLATFORMS),
        name=make_name(rng),
        code=rng.randint(1, 9999),
        characters=make_characters(rng, now, 1),
    )
