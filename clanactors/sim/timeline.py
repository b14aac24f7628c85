"""The simulated clan's calendar: what is a function of the seed and the wall clock alone.

Time is cut into fixed chunks (one day, from 10:00 UTC, a quiet hour) counted from a fixed
epoch. Everything random inside a chunk comes from a generator seeded by (seed, chunk), and
at a chunk boundary nobody is in an activity and who is online is known without playing
the day before, so a chunk plays out the same whichever process plays it and whenever that
process started. Two cheap streams sit under the world's simulation:

- **presence**: each member's sessions that begin in a chunk (login, logout, character),
  drawn from (seed, chunk, member) alone. Who is online when never depends on what they
  played, so who is online at a boundary, and "last seen" before it, can be found by
  looking back a few chunks without playing them. A session may run past a boundary;
  activities never do.
- **churn**: joins and leaves, one stream from the epoch; a newcomer's identity is drawn
  from it. Replaying it from the epoch costs a few milliseconds a year.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from clanactors.sim.people import SimMember, make_member

EPOCH = datetime(2026, 1, 1, 10, 0, tzinfo=UTC)
CHUNK = timedelta(days=1)
# A session may run on past the end of the day it began in, but never for this long, so
# only the last session of a day can reach into the next one.
MAX_SESSION_MINUTES = 8 * 60
START_HOUR = EPOCH.hour  # a chunk starts at this hour of the day, UTC
MIN_SESSION_MINUTES = 15.0
# Sessions last a fifth longer than a member's habit says: the time spent finishing the
# last run and hanging about in orbit, which play used to add after the planned end.
SESSION_STRETCH = 1.2
CHURN_MEAN_GAP_HOURS = 12.0  # about a join and a leave a day


def chunk_of(moment: datetime) -> int:
    """The index of the chunk holding `moment` (negative before the epoch)."""
    return math.floor((moment - EPOCH) / CHUNK)


def chunk_start(index: int) -> datetime:
    return EPOCH + index * CHUNK


def stream(seed: int, *parts: object) -> random.Random:
    """A generator for one named stream of one seed; the same on every machine and run."""
    return random.Random(":".join(str(p) for p in (seed, *parts)))


@dataclass(frozen=True)
class Session:
    login: datetime
    logout: datetime
    character_index: int

    @property
    def minutes(self) -> float:
        return (self.logout - self.login).total_seconds() / 60


def _session(rng: random.Random, member: SimMember, login: datetime, first: bool) -> Session:
    minutes = max(
        MIN_SESSION_MINUTES,
        rng.lognormvariate(math.log(member.session_minutes * SESSION_STRETCH), 0.5),
    )
    logout = login + timedelta(seconds=int(min(minutes, MAX_SESSION_MINUTES) * 60))
    if first:
        return Session(login, logout, 0)
    index = 0 if rng.random() < 0.75 else rng.randrange(len(member.characters))
    return Session(login, logout, index)


def _begun(seed: int, member: SimMember, index: int) -> list[Session]:
    """Sessions that begin in chunk `index`, before the one going on at its start is
    taken into account: a function of the seed, the member's habits and membership window,
    and the chunk, and of nothing else."""
    start, end = chunk_start(index), chunk_start(index + 1)
    if member.joined_at >= end or (member.left_at is not None and member.left_at < start):
        return []
    found: list[Session] = []
    cursor = start
    if member.joined_at >= start:
        # A newcomer comes online within minutes of joining, then keeps their habits.
        cursor = member.joined_at
        first = stream(seed, "newcomer", member.membership_id)
        login = (member.joined_at + timedelta(minutes=first.uniform(1, 20))).replace(microsecond=0)
        if login < end:
            found.append(_session(first, member, login, first=True))
            cursor = found[0].logout
    # Hours from the chunk's start, in floats: datetimes only for what is kept.
    rng = stream(seed, "presence", index, member.membership_id)
    mean_gap = max(24 / member.sessions_per_day - member.session_minutes / 60, 0.5)
    hours = 0.0
    while True:
        # A gap that fits the member's habits, drawn towards their prime time.
        hours += rng.expovariate(1 / mean_gap)
        for _ in range(24):
            offset = (int(hours + START_HOUR) - member.prime_hour) % 24
            weight = 1.0 if offset < 5 else 0.35 if offset >= 20 else 0.12
            if rng.random() < weight:
                break
            hours += rng.uniform(0.5, 2.5)
        if hours >= 24:
            break
        session = _session(rng, member, start + timedelta(seconds=int(hours * 3600) + 1), False)
        hours = (session.logout - start).total_seconds() / 3600
        if session.login >= cursor:
            found.append(session)
    if member.left_at is not None:
        # A leaver plays out the session they are in, then goes.
        found = [s for s in found if s.login < member.left_at]
    return found


def _after(begun: list[Session], previous: list[Session], index: int) -> list[Session]:
    """A chunk's sessions, less those that would overlap the one carried into it.

    Only the previous chunk's last session can reach into this one, and it is never cut
    itself (no session lasts a third of a chunk), so one chunk back is enough."""
    if previous and previous[-1].logout > chunk_start(index):
        going = previous[-1].logout
        return [s for s in begun if s.login >= going]
    return begun


def carried(seed: int, member: SimMember, index: int) -> Session | None:
    """The member's session still going when chunk `index` begins, if any."""
    previous = _begun(seed, member, index - 1)
    if previous and previous[-1].logout > chunk_start(index):
        return previous[-1]
    return None


def sessions(seed: int, member: SimMember, index: int) -> list[Session]:
    """The member's sessions that begin in chunk `index`, oldest first."""
    return _after(_begun(seed, member, index), _begun(seed, member, index - 1), index)


def sessions_back(
    seed: int, member: SimMember, highest: int, lowest: int
) -> Iterator[list[Session]]:
    """sessions() for chunks `highest` down to `lowest`, each chunk drawn once."""
    begun = _begun(seed, member, highest)
    for index in range(highest, lowest - 1, -1):
        previous = _begun(seed, member, index - 1)
        yield _after(begun, previous, index)
        begun = previous


@dataclass(frozen=True)
class Change:
    at: datetime  # when it was decided; a member online then leaves at logout
    kind: str  # joined, left
    member: SimMember


class Churn:
    """The clan's joins and leaves, one seeded stream from the epoch.

    It keeps its own (decided) roster; the world applies each change when it plays the
    chunk that holds it. Newcomers are made here, so their ids, names and habits are the
    same whenever the world started.
    """

    def __init__(self, seed: int, founders: list[SimMember], target: int) -> None:
        self.rng = stream(seed, "churn")
        self.in_clan: list[SimMember] = list(founders)
        self.limit = min(target, 100)
        self.next_at = EPOCH + self._gap()

    def _gap(self) -> timedelta:
        return timedelta(seconds=round(self.rng.expovariate(1 / CHURN_MEAN_GAP_HOURS) * 3600) + 1)

    def until(self, moment: datetime) -> list[Change]:
        """Decide every change before `moment` not decided yet; return those."""
        new: list[Change] = []
        while self.next_at < moment:
            at = self.next_at
            if (at - EPOCH) % CHUNK == timedelta(0):
                at += timedelta(seconds=1)  # never on a boundary
            if len(self.in_clan) < self.limit and self.rng.random() < 0.8:
                member = make_member(self.rng, at, rank=1, joined_at=at)
                member.last_status_change = at
                member.promoted_at = at + timedelta(days=self.rng.uniform(7, 28))
                self.in_clan.append(member)
                new.append(Change(at, "joined", member))
            else:
                # Admins, the odd names and the private profiles stay: the odd names and
                # private members are the demo's (and the tests') fixtures.
                leavers = [
                    m for m in self.in_clan if m.rank < 3 and not m.special and not m.private
                ]
                if leavers:
                    member = self.rng.choice(leavers)
                    member.left_at = at
                    self.in_clan.remove(member)
                    new.append(Change(at, "left", member))
            self.next_at = at + self._gap()
        return new
