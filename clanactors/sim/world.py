"""The simulated clan's life: sessions, fireteams, activities, clears, joins and leaves.

A discrete-event simulation on an injected clock. Every API request first calls `sync()`,
which plays all scheduled happenings up to the clock's now, in (time, sequence) order.

The world is a function of its seed and the wall clock, not of when it was built (see
timeline.py): the clan's people come from the seed; who is online when from a presence
stream per (seed, day, member); joins and leaves from one churn stream from a fixed epoch;
and what members play inside a day from a generator seeded by (seed, day), starting from a
known state: nobody in an activity at the day's boundary (10:00 UTC), and who is online
then, and when everyone else was last seen, read off the presence stream. A world built
at T plays from the start of the day holding T - warmup, so two worlds with the same seed
agree on everything both have played: roster, online state, profiles, activity history,
PGCRs and the record of happenings. Lifetime stats agree only between worlds that began
on the same day: before its first day a world grows them at each member's habitual pace.

Scripted scenes (`script_*`) are interventions: they draw from their own generator and the
rest of that day then differs from an unscripted world's.
"""

from __future__ import annotations

import heapq
import itertools
import random
import threading
from collections import Counter, deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from clanactors.core.clock import Clock, RealClock
from clanactors.sim.catalog import ORBIT_HASH, Catalog, SimActivity, load_catalog
from clanactors.sim.people import (
    CATEGORIES,
    HistoryRow,
    Player,
    SimCharacter,
    SimMember,
    Stats,
    make_guest,
    make_member,
    special_names,
)
from clanactors.sim.timeline import (
    EPOCH,
    Change,
    Churn,
    Session,
    carried,
    chunk_of,
    chunk_start,
    sessions,
    sessions_back,
    stream,
)


# Per category: the most clan members in one fireteam, whether guests fill the party,
# the team size matchmaking fills to, opponents, duration range (minutes), clear chance,
# kills and deaths per minute.
@dataclass(frozen=True)
class Rule:
    party: int
    fill_party: bool
    team: int
    opponents: int
    minutes: tuple[float, float]
    clear: float
    kills: tuple[float, float]
    deaths: tuple[float, float]


RULES: dict[str, Rule] = {
    "raid": Rule(6, True, 6, 0, (45, 110), 0.6, (4, 8), (0.05, 0.3)),
    "dungeon": Rule(3, True, 3, 0, (30, 70), 0.7, (5, 9), (0.05, 0.3)),
    "strike": Rule(3, False, 3, 0, (9, 18), 0.95, (8, 14), (0.0, 0.15)),
    "nightfall": Rule(3, False, 3, 0, (15, 30), 0.85, (6, 10), (0.05, 0.3)),
    "crucible": Rule(6, False, 6, 6, (8, 12), 0.85, (0.8, 1.6), (0.7, 1.4)),
    "gambit": Rule(4, False, 4, 4, (12, 18), 0.85, (4, 6), (0.2, 0.5)),
    "patrol": Rule(3, False, 1, 0, (6, 20), 0.5, (5, 10), (0.0, 0.1)),
    "story": Rule(1, False, 1, 0, (15, 35), 0.9, (4, 8), (0.0, 0.2)),
    "other": Rule(1, False, 1, 0, (5, 15), 0.7, (3, 6), (0.0, 0.2)),
}
PVP = ("crucible", "gambit")
ALPHA, BRAVO = 16, 17
FREE_FOR_ALL = frozenset({48, 57, 61})  # Rumble, Private Matches Rumble, Scorched: no teams
CONTROL = 10  # a Crucible map played outside a named playlist: reported as Control


def match_modes(activity: SimActivity) -> tuple[int, tuple[int, ...]]:
    """The mode and modes a finished instance reports (history and PGCR): Bungie names
    the playlist played, never the bare "AllPvP" (5) a map's definition carries."""
    if activity.mode == 5:
        return CONTROL, (CONTROL, 5)
    return activity.mode, activity.mode_types


INSTANCES_PER_DAY = 100_000  # instance ids of a day: base + day * this + a counter
FIT_MARGIN_MINUTES = 2.0  # an activity ends at least this long before its players log off
ACTIVE_SHARE = 0.7  # share of online time spent in activities, for lifetime stats


def rest(member: SimMember, character: SimCharacter, at: datetime) -> None:
    """The character as its player leaves it when logging off at `at`."""
    character.date_last_played = at
    character.last_activity_hash = ORBIT_HASH
    character.last_activity_started = at
    character.minutes_total = played_minutes(member, character, at)


def promote(member: SimMember, moment: datetime) -> None:
    """A newcomer is made a Member at the first day boundary after their time is up."""
    if member.rank == 1 and member.promoted_at is not None and member.promoted_at <= moment:
        member.rank = 2


def played_minutes(member: SimMember, character: SimCharacter, at: datetime) -> int:
    """minutesPlayedTotal after a session ending at `at`: grows with the calendar at the
    member's habitual pace, so it never depends on which days were played."""
    days = max((at - EPOCH).total_seconds() / 86400, 0.0)
    per_day = member.sessions_per_day * member.session_minutes / len(member.characters)
    return character.minutes_base + int(days * per_day)


def grown(member: SimMember, days: int) -> Stats:
    """Lifetime stats `days` after the epoch (or the member's joining): the seed's figures
    grown at the member's habitual pace. Activities played afterwards add to them."""
    base = member.base
    hours = base.seconds_played / 3600
    if days <= 0 or hours <= 0:
        return base
    daily_hours = member.sessions_per_day * member.session_minutes / 60 * ACTIVE_SHARE
    factor = 1 + days * daily_hours / hours
    return Stats(**{name: round(value * factor) for name, value in vars(base).items()})


@dataclass
class Play:
    """An activity instance in progress."""

    play_id: int
    instance_id: str
    activity: SimActivity
    started_at: datetime
    ends_at: datetime
    members: list[str]  # clan members in the fireteam, leader first
    party_guests: list[Player]  # non-clan friends in the fireteam
    strangers: list[Player]  # matchmade teammates (in the PGCR only)
    opponents: list[Player]
    loaded_at: dict[str, datetime]  # per member: when they loaded in
    fireteam_id: float
    cleared: bool = True  # drawn at the start (or set by a test's script)


@dataclass
class Entry:
    player: Player
    character: SimCharacter
    values: dict[str, float]
    standing: int
    team: int | None
    is_member: bool


@dataclass
class Instance:
    """A finished activity instance: what its PGCR reports."""

    instance_id: str
    activity: SimActivity
    period: datetime
    duration: int
    entries: list[Entry]
    published_at: datetime
    teams: dict[int, tuple[int, float]] = field(default_factory=dict)  # team -> standing, score


def _score_teams(entries: list[Entry]) -> dict[int, tuple[int, float]]:
    """A team match's result as its players made it: each team scores what its players
    scored, the higher score wins (a tie goes to Alpha by a point), and every entry's
    `standing`, `team` and `teamScore` agree with that. Team -> (standing, score)."""
    scores = {ALPHA: 0.0, BRAVO: 0.0}
    for e in entries:
        scores[e.team or ALPHA] += e.values["score"]
    if scores[ALPHA] == scores[BRAVO]:
        scores[ALPHA] += 1
    winner = ALPHA if scores[ALPHA] > scores[BRAVO] else BRAVO
    for e in entries:
        e.standing = 0 if e.team == winner else 1
        e.values["standing"] = float(e.standing)
        e.values["teamScore"] = scores[e.team or ALPHA]
    return {team: (0 if team == winner else 1, score) for team, score in scores.items()}


def _place(entries: list[Entry]) -> None:
    """Free-for-all: no teams; each player's `standing` is their place by score (0 first)."""
    ranked = sorted(entries, key=lambda e: (-e.values["score"], e.player.membership_id))
    for place, e in enumerate(ranked):
        e.standing = place
        e.values["standing"] = float(place)
        e.values.pop("team", None)
        e.values["teamScore"] = 0.0


KINDS = frozenset({"started", "finished", "online", "offline", "joined", "left"})


@dataclass(frozen=True)
class Happening:
    """A line of the world's own record, for tests and benchmarks."""

    at: datetime
    kind: str  # started, finished, online, offline, joined, left
    members: tuple[str, ...]
    activity_hash: int | None = None
    instance_id: str | None = None
    cleared: bool | None = None


class World:
    def __init__(
        self,
        seed: int = 7,
        members: int = 100,
        clock: Clock | None = None,
        *,
        warmup: timedelta = timedelta(days=2),
        private_members: int = 3,
        pgcr_delay: timedelta = timedelta(0),
        hostile_names: bool = False,
    ) -> None:
        self.clock = clock or RealClock()
        self.seed = seed
        self.catalog: Catalog = load_catalog()
        self.target_members = members
        self.pgcr_delay = pgcr_delay
        self.lock = threading.RLock()
        # The clan's people: a function of the seed alone (and drawn in the same order as
        # before days were seeded, so a seed keeps its clan).
        identity = random.Random(seed)
        self.group_id = str(identity.randrange(1_000_000, 9_999_999))
        self.clan_name = "Lighthouse Keepers"
        self.motto = "Eyes up, Guardian. Raids on Friday."
        self.created_at = EPOCH - timedelta(days=6 * 365 + 40)
        self._instance_base = 15_800_000_000 + identity.randrange(10**8)
        self.guests = [make_guest(identity, EPOCH) for _ in range(300)]
        self.members: dict[str, SimMember] = {}  # everyone ever in the clan, by id
        for i in range(members):
            rank = 5 if i == 0 else 3 if i < 3 else 1 if identity.random() < 0.1 else 2
            member = make_member(identity, EPOCH, rank=rank)
            if i == 0:
                member.joined_at = self.created_at
            self.members[member.membership_id] = member
        everyone = list(self.members.values())
        odd = special_names(hostile_names)  # markup names only when asked: see people.py
        for member, name in zip(identity.sample(everyone[1:], len(odd)), odd, strict=True):
            member.name = name
            member.special = True
        for member in identity.sample(everyone[1:], private_members):
            member.private = True
        self.churn = Churn(seed, everyone, members)
        self.script_rng = stream(seed, "script")  # scripted scenes never touch a day's own

        self.start = self.clock.now().replace(microsecond=0)
        self.day = chunk_of(self.start - warmup)
        self.simulated_from = chunk_start(self.day)
        self.now = self.simulated_from
        self.rng = stream(seed, "play", self.day)
        self._next_instance = itertools.count(self._instance_base)
        self._queue: list[tuple[datetime, int, str, Any]] = []
        self._seq = itertools.count()
        self._next_play = itertools.count(1)
        self.plays: dict[int, Play] = {}
        self.instances: dict[str, Instance] = {}
        self.record: deque[Happening] = deque(maxlen=200_000)
        self.counts: Counter[str] = Counter()

        for change in self.churn.until(self.simulated_from):
            if change.kind == "joined":
                self.members[change.member.membership_id] = change.member
            else:
                change.member.in_clan = False
        self.first_day = self.day
        self._unrecalled: set[str] = set()
        self._present: list[SimMember] | None = None
        for member in self.members.values():
            if member.left_at is not None and member.left_at < chunk_start(self.day - 1):
                self._unrecalled.add(member.membership_id)  # long gone: recalled if asked
            else:
                self._restore(member)
        self._schedule(self.simulated_from, "day", self.day)
        self.advance_to(self.start)

    # ------------------------------------------------------------------ time

    @property
    def instance_base(self) -> int:
        """Instance ids of day d are instance_base + d * INSTANCES_PER_DAY + a counter."""
        return self._instance_base

    def sync(self) -> datetime:
        """Play the world forward to the clock's now; return that moment."""
        return self.advance_to(self.clock.now())

    def advance_to(self, moment: datetime) -> datetime:
        with self.lock:
            while self._queue and self._queue[0][0] <= moment:
                at, _seq, kind, arg = heapq.heappop(self._queue)
                self.now = max(self.now, at)
                getattr(self, f"_on_{kind}")(arg)
            self.now = max(self.now, moment)
            return self.now

    def _schedule(self, at: datetime, kind: str, arg: Any) -> None:
        heapq.heappush(self._queue, (at, next(self._seq), kind, arg))

    def _on_day(self, day: int) -> None:
        """A new day: its own generator and instance ids, its sessions, joins and leaves.

        Whoever is online now (nobody is in an activity at a boundary) goes back to orbit,
        and the new day's generator decides what they do next: from here on nothing
        depends on how the days before were played."""
        self.day = day
        self.rng = stream(self.seed, "play", day)
        self._next_instance = itertools.count(self._instance_base + day * INSTANCES_PER_DAY)
        end = chunk_start(day + 1)
        changes = self.churn.until(end)
        for member in self.present():
            promote(member, self.now)
            if member.online and member.play_id is None and member.session_end is not None:
                self._to_orbit(member)
                self._plan_logout(member, member.session_end)
                self._schedule_decide(member, self.rng.uniform(30, 240))
        people = [*self.present(), *(c.member for c in changes if c.kind == "joined")]
        for member in people:
            for session in sessions(self.seed, member, day):
                self._schedule(
                    session.login,
                    "login",
                    (member.membership_id, session.logout, session.character_index),
                )
        for change in changes:
            self._schedule(change.at, "join" if change.kind == "joined" else "leave", change)
        self._schedule(end, "day", day + 1)

    def _restore(self, member: SimMember) -> None:
        """Set what a member carries into the first day from earlier days' presence: the
        session they are in, or when they were last seen and on which character, and each
        character's last logout. Looks back day by day until every character is found;
        nothing earlier is played."""
        first = self.first_day
        going = carried(self.seed, member, first)
        if member.left_at is not None and member.left_at < self.simulated_from:
            member.in_clan = going is not None  # decided mid-session: goes at logout
            member.leaving = member.in_clan
        lowest = max(0, chunk_of(member.joined_at))
        highest = first - 1
        if member.left_at is not None:
            highest = min(highest, chunk_of(member.left_at))
        pending = set(range(len(member.characters)))
        latest = None
        for found in sessions_back(self.seed, member, highest, lowest):
            for session in reversed(found):
                if session == going:
                    continue
                latest = latest or session
                if session.character_index in pending:
                    pending.discard(session.character_index)
                    rest(member, member.characters[session.character_index], session.logout)
            if not pending:
                break
        if going is not None:
            self._carry_session(member, going)
        elif latest is not None:
            member.last_status_change = latest.logout
            member.character_index = latest.character_index
        member.base = grown(member, min(first, highest + 1) - lowest)
        # The last boundary the member was in the clan at: promotions happen at boundaries.
        gone = member.left_at is not None and not member.in_clan
        promote(member, chunk_start(highest if gone else first))

    def _carry_session(self, member: SimMember, session: Session) -> None:
        """Online at the first boundary, in a session begun the day before (the day event
        puts them in orbit and plans the rest)."""
        member.online = True
        member.last_status_change = session.login
        member.character_index = session.character_index
        member.session_end = session.logout

    # ------------------------------------------------------------------ queries

    def roster(self) -> list[SimMember]:
        """Members in the clan, in join order (as GetMembersOfGroup lists them)."""
        return sorted(self.present(), key=lambda m: (m.joined_at, m.membership_id))

    def present(self) -> list[SimMember]:
        """Members in the clan now, in a fixed order (the order they were first known)."""
        if self._present is None:
            self._present = [m for m in self.members.values() if m.in_clan]
        return self._present

    def member(self, membership_id: str) -> SimMember | None:
        """Anyone ever in the clan, by id; a long-gone member's last days are recalled
        the first time they are asked for."""
        with self.lock:
            if membership_id in self._unrecalled:
                self._unrecalled.discard(membership_id)
                self._restore(self.members[membership_id])
            return self.members.get(membership_id)

    def player(self, membership_id: str) -> Player | None:
        member = self.member(membership_id)
        if member is not None:
            return member
        return next((g for g in self.guests if g.membership_id == membership_id), None)

    def play_of(self, member: SimMember) -> Play | None:
        return self.plays.get(member.play_id) if member.play_id is not None else None

    def online_members(self) -> list[SimMember]:
        return [m for m in self.present() if m.online]

    # ------------------------------------------------------------------ sessions

    def _on_login(self, arg: tuple[str, datetime, int]) -> None:
        membership_id, logout, character_index = arg
        member = self.members[membership_id]
        if not member.in_clan or member.online:
            return
        self._begin_session(member, logout, character_index)
        self._schedule_decide(member, self.rng.uniform(30, 240))

    def _begin_session(self, member: SimMember, until: datetime, character_index: int) -> None:
        member.online = True
        member.last_status_change = self.now
        member.character_index = character_index % len(member.characters)
        self._to_orbit(member)
        self.record.append(Happening(self.now, "online", (member.membership_id,)))
        self._plan_logout(member, until)

    def _plan_logout(self, member: SimMember, at: datetime) -> None:
        member.session_end = at
        member.session_token += 1
        self._schedule(at, "logout", (member.membership_id, member.session_token))

    def _on_logout(self, arg: tuple[str, int]) -> None:
        membership_id, token = arg
        member = self.members[membership_id]
        if token != member.session_token or not member.online:
            return
        if member.play_id is None:
            self._logout(member)
        # else: a scripted run outlasted the session; the member leaves when it ends.

    def _logout(self, member: SimMember) -> None:
        member.online = False
        member.last_status_change = self.now
        member.session_end = None
        member.orbit_since = None
        member.decide_token += 1
        rest(member, member.character, self.now)
        self.record.append(Happening(self.now, "offline", (member.membership_id,)))
        if member.leaving:
            self._part(member)

    def _to_orbit(self, member: SimMember) -> None:
        member.play_id = None
        member.orbit_since = self.now
        character = member.character
        character.last_activity_hash = ORBIT_HASH
        character.last_activity_started = self.now
        character.date_last_played = self.now

    def _schedule_decide(self, member: SimMember, seconds: float) -> None:
        member.decide_token += 1
        at = (self.now + timedelta(seconds=seconds)).replace(microsecond=0)
        self._schedule(at, "decide", (member.membership_id, member.decide_token))

    # ------------------------------------------------------------------ activities

    def _on_decide(self, arg: tuple[str, int]) -> None:
        membership_id, token = arg
        member = self.members[membership_id]
        if token != member.decide_token or not member.online or member.play_id is not None:
            return
        if not member.in_clan:
            self._logout(member)
            return
        # Only what fits before the session ends: nobody is mid-run when they log off, so
        # who is online when never depends on what they played.
        left = self._minutes_left(member)
        categories = [c for c in CATEGORIES if RULES[c].minutes[0] <= left]
        if not categories:
            return  # rests in orbit until logout
        category = self.rng.choices(categories, [member.prefs[c] for c in categories])[0]
        choices = self.catalog.in_category(category)
        # Weight the first few of each category (the "current" rotation) higher.
        activity = self.rng.choices(choices, [1.0 / (1 + i * 0.3) for i in range(len(choices))])[0]
        self._start_play(member, activity, category, limit=left)

    def _minutes_left(self, member: SimMember) -> float:
        """Minutes an activity started now may last: it ends before the session and the
        day do."""
        if member.session_end is None:
            return 0.0
        until = min(member.session_end, chunk_start(self.day + 1))
        return (until - self.now).total_seconds() / 60 - FIT_MARGIN_MINUTES

    def _recruits(self, leader: SimMember, rule: Rule, ends_at: datetime) -> list[SimMember]:
        if rule.party <= 1:
            return []
        idle = [
            m
            for m in self.present()
            if m is not leader
            and m.online
            and m.play_id is None
            and m.session_end is not None
            and m.session_end > ends_at
        ]
        self.rng.shuffle(idle)
        chance = 0.8 if rule.fill_party else 0.45
        wanted = [m for m in idle if self.rng.random() < chance]
        return wanted[: rule.party - 1]

    def _start_play(
        self,
        leader: SimMember,
        activity: SimActivity,
        category: str,
        crew: list[SimMember] | None = None,
        minutes: float | None = None,
        forced_clear: bool | None = None,
        limit: float | None = None,
    ) -> Play:
        rule = RULES[category]
        if minutes is None:
            low, high = rule.minutes
            minutes = self.rng.uniform(low, high if limit is None else min(high, limit))
        # The outcome is fate from the start: a failed PvE run ends early, and everything
        # (profiles, history, PGCR) agrees on when.
        cleared = self.rng.random() < rule.clear if forced_clear is None else forced_clear
        if not cleared and category not in PVP and forced_clear is None:
            minutes *= self.rng.uniform(0.3, 0.9)
        ends_at = (self.now + timedelta(minutes=minutes)).replace(microsecond=0)
        crew = crew or [leader, *self._recruits(leader, rule, ends_at)]
        guests: list[Player] = []
        free = rule.party - len(crew)
        if rule.fill_party and free > 0:
            guests = self.rng.sample(
                self.guests, free if category == "raid" else self.rng.randint(0, free)
            )
        elif rule.party > 1 and free > 0 and self.rng.random() < 0.1:
            guests = self.rng.sample(self.guests, 1)
        taken = {p.membership_id for p in guests}
        pool = [g for g in self.guests if g.membership_id not in taken]
        strangers_needed = (
            max(rule.team - len(crew) - len(guests), 0)
            if category not in ("raid", "dungeon", "patrol", "story", "other")
            else 0
        )
        others = self.rng.sample(pool, strangers_needed + rule.opponents)
        play = Play(
            play_id=next(self._next_play),
            instance_id=str(next(self._next_instance)),
            activity=activity,
            started_at=self.now,
            ends_at=ends_at,
            members=[m.membership_id for m in crew],
            party_guests=guests,
            strangers=others[:strangers_needed],
            opponents=others[strangers_needed:],
            loaded_at={},
            fireteam_id=float(self.rng.randrange(1, 2**62)),
            cleared=cleared,
        )
        self.plays[play.play_id] = play
        for member in crew:
            member.decide_token += 1
            member.play_id = play.play_id
            member.orbit_since = None
            loaded = (self.now + timedelta(seconds=self.rng.uniform(5, 40))).replace(microsecond=0)
            play.loaded_at[member.membership_id] = loaded
            character = member.character
            character.last_activity_hash = activity.hash
            character.last_activity_started = loaded
            character.date_last_played = self.now
        self.counts[f"started:{category}"] += 1
        self.record.append(
            Happening(self.now, "started", tuple(play.members), activity.hash, play.instance_id)
        )
        self._schedule(play.ends_at, "end_play", play.play_id)
        return play

    def _on_end_play(self, play_id: int) -> None:
        play = self.plays.pop(play_id)
        activity = play.activity
        rule = RULES[activity.category]
        pvp = activity.category in PVP
        free_for_all = pvp and match_modes(activity)[0] in FREE_FOR_ALL
        cleared = play.cleared
        duration = int((play.ends_at - play.started_at).total_seconds())
        if pvp:
            reason = 0 if cleared else self.rng.choice((4, 1, 255))
            completed = 1.0 if reason != 255 else 0.0
            self.rng.choice((ALPHA, BRAVO))  # (drawn as before: the world stays the same)
        else:
            reason = 0 if cleared else (2 if self.rng.random() < 0.7 else 255)
            completed = 1.0 if cleared else 0.0
        end = play.started_at + timedelta(seconds=duration)

        entries: list[Entry] = []
        sides: list[tuple[Player, SimCharacter, bool, int]] = [
            (self.members[m], self.members[m].character, True, ALPHA) for m in play.members
        ]
        sides += [(p, p.characters[0], False, ALPHA) for p in (*play.party_guests, *play.strangers)]
        sides += [(p, p.characters[0], False, BRAVO) for p in play.opponents]
        for player, character, is_member, team in sides:
            entries.append(
                Entry(
                    player=player,
                    character=character,
                    values=self._entry_values(rule, play, duration, completed, reason, team),
                    standing=0,
                    team=team if pvp and not free_for_all else None,
                    is_member=is_member,
                )
            )
        instance = Instance(
            instance_id=play.instance_id,
            activity=activity,
            period=play.started_at,
            duration=duration,
            entries=entries,
            published_at=end + self.pgcr_delay,
        )
        if free_for_all:
            _place(entries)
        elif pvp:
            instance.teams = _score_teams(entries)
        self.instances[instance.instance_id] = instance
        self.counts[f"finished:{activity.category}"] += 1
        self.counts["cleared" if cleared and completed and reason == 0 else "not_cleared"] += 1
        self.record.append(
            Happening(
                end,
                "finished",
                tuple(m for m in play.members if self.members[m].in_clan),
                activity.hash,
                play.instance_id,
                bool(completed == 1.0 and reason == 0),
            )
        )
        for entry in entries:
            if entry.is_member:
                self._finish_for_member(entry, instance, pvp)

    def _entry_values(
        self,
        rule: Rule,
        play: Play,
        duration: int,
        completed: float,
        reason: int,
        team: int,
    ) -> dict[str, float]:
        minutes = duration / 60
        kills = round(minutes * self.rng.uniform(*rule.kills))
        deaths = round(minutes * self.rng.uniform(*rule.deaths))
        assists = round(kills * self.rng.uniform(0.1, 0.5))
        values = {
            "assists": assists,
            "completed": completed,
            "deaths": deaths,
            "kills": kills,
            "opponentsDefeated": kills + assists,
            "efficiency": round((kills + assists) / max(deaths, 1), 2),
            "killsDeathsRatio": round(kills / max(deaths, 1), 2),
            "killsDeathsAssists": round((kills + assists / 2) / max(deaths, 1), 2),
            "score": float(kills * 10 if play.activity.category in PVP else 0),
            "activityDurationSeconds": float(duration),
            "completionReason": float(reason),
            "fireteamId": play.fireteam_id if team == ALPHA else float(team * 1_000_003),
            "startSeconds": 0.0,
            "timePlayedSeconds": float(min(duration, 32767)),
            "playerCount": float(
                len(play.members)
                + len(play.party_guests)
                + len(play.strangers)
                + len(play.opponents)
            ),
            "teamScore": 0.0,
        }
        if play.activity.category in PVP:  # team and standing: set once the scores are in
            values["team"] = float(team)
            values["standing"] = 1.0
        return values

    def _finish_for_member(self, entry: Entry, instance: Instance, pvp: bool) -> None:
        member = entry.player
        assert isinstance(member, SimMember)
        v = entry.values
        activity = instance.activity
        entry.character.history.append(
            HistoryRow(
                instance_id=instance.instance_id,
                activity_hash=activity.hash,
                mode=match_modes(activity)[0],
                modes=match_modes(activity)[1],
                period=instance.period,
                values=v,
                is_pvp=pvp,
            )
        )
        earned = member.earned
        earned.kills += v["kills"]
        earned.deaths += v["deaths"]
        earned.assists += v["assists"]
        earned.seconds_played += v["timePlayedSeconds"]
        earned.activities_entered += 1
        clear = v["completed"] == 1 and v["completionReason"] == 0
        if pvp:
            earned.pvp_kills += v["kills"]
            earned.pvp_deaths += v["deaths"]
            earned.pvp_seconds += v["timePlayedSeconds"]
            earned.pvp_entered += 1
            earned.activities_won += 1 if v.get("standing") == 0 else 0
        elif clear:
            earned.activities_cleared += 1
        if activity.category == "raid":
            earned.raid_entered += 1
            earned.raid_kills += v["kills"]
            earned.raid_seconds += v["timePlayedSeconds"]
            earned.raid_clears += 1 if clear else 0
        if member.online:
            self._to_orbit(member)
            end = member.session_end
            if not member.in_clan or end is None or self.now >= end:
                self._logout(member)
            else:
                self._schedule_decide(member, self.rng.uniform(45, 300))

    # ------------------------------------------------------------------ clan churn

    def _on_join(self, change: Change) -> None:
        self._admit(change.member)

    def _admit(self, member: SimMember) -> None:
        """A new member joins the clan now (a Beginner, offline until their first session)."""
        member.last_status_change = self.now
        self.members[member.membership_id] = member
        self._present = None
        self.record.append(Happening(self.now, "joined", (member.membership_id,)))

    def _on_leave(self, change: Change) -> None:
        member = change.member
        if not member.in_clan:
            return
        if member.online:
            member.leaving = True  # plays out the session, then goes
        else:
            self._part(member)

    def _part(self, member: SimMember) -> None:
        member.in_clan = False
        member.leaving = False
        self._present = None
        self.record.append(Happening(self.now, "left", (member.membership_id,)))

    # ------------------------------------------------------------------ director (tests, demos)

    def script_login(self, membership_id: str, hours: float = 4.0) -> SimMember:
        """Bring a member online now for at least `hours`."""
        with self.lock:
            member = self.members[membership_id]
            until = self.now + timedelta(hours=hours)
            if not member.online and member.in_clan:
                self._begin_session(member, until, 0)
                self._schedule_decide(member, self.script_rng.uniform(30, 240))
            elif member.online:
                self._plan_logout(member, until)
            return member

    def script_play(
        self,
        membership_ids: list[str],
        activity_hash: int,
        minutes: float,
        cleared: bool = True,
    ) -> Play:
        """Start a fireteam of these members (online now, idle) in one activity."""
        with self.lock:
            crew = [self.script_login(m) for m in membership_ids]
            if any(m.play_id is not None for m in crew):
                raise ValueError("a scripted member is already in an activity")
            activity = self.catalog.activities[activity_hash]
            return self._start_play(crew[0], activity, activity.category, crew, minutes, cleared)

    def script_logout(self, membership_id: str) -> None:
        with self.lock:
            member = self.members[membership_id]
            if member.online and member.play_id is None:
                self._logout(member)

    def script_join(self) -> SimMember:
        """A new member joins the clan now (from the script's own generator)."""
        with self.lock:
            while True:
                member = make_member(self.script_rng, self.now, rank=1, joined_at=self.now)
                if member.membership_id not in self.members:
                    break
            self._admit(member)
            return member

    def admit_now(self, member: SimMember) -> None:
        """An applicant an admin approved joins now (sign-in and admin, sim/admin.py)."""
        with self.lock:
            self._admit(member)

    def part_now(self, member: SimMember) -> None:
        """A member an admin kicked or banned leaves now, online or not."""
        with self.lock:
            if member.in_clan:
                self._part(member)

    def idle_members(self, count: int) -> list[SimMember]:
        """Public members who are offline now: good material for a scripted scene."""
        with self.lock:
            idle = [m for m in self.roster() if not m.online and not m.private]
            return idle[:count]

    # ------------------------------------------------------------------ summary

    def summary(self) -> dict[str, Any]:
        with self.lock:
            return {
                "now": self.now.isoformat().replace("+00:00", "Z"),
                "simulatedFrom": self.simulated_from.isoformat().replace("+00:00", "Z"),
                "members": len(self.present()),
                "online": len(self.online_members()),
                "inActivity": sum(len(p.members) for p in self.plays.values()),
                "activitiesInProgress": len(self.plays),
                "instancesFinished": len(self.instances),
                "counts": dict(sorted(self.counts.items())),
            }
