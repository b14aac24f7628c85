"""The simulated clan's past: a year (or any number of days) of history before the live
world's first day, as the real Bungie keeps it.

Each past day is played by a scratch `World` of the same seed that plays that day alone
(a day starts from a known state, so it is the same day any world plays: timeline.py).
Its members' history rows are kept packed (about 70 bytes a row); its reports are played
again when one is asked for (a few days kept). A background thread plays the days, newest
first, from the moment the simulator starts; a history page that reaches a day not played
yet waits for it (`wait_for`), off the server's event loop.
"""

from __future__ import annotations

import logging
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

from clanactors.core.clock import FakeClock
from clanactors.sim.people import HistoryRow
from clanactors.sim.timeline import chunk_of, chunk_start
from clanactors.sim.world import INSTANCES_PER_DAY, Instance, World

log = logging.getLogger(__name__)

# The values a history row keeps, in this order (packed as integers); the rest of a row's
# values are worked out from them as the live world's are.
KEPT = (
    "kills",
    "deaths",
    "assists",
    "completed",
    "completionReason",
    "activityDurationSeconds",
    "timePlayedSeconds",
    "playerCount",
    "score",
    "team",  # -1: not PvP
    "standing",  # -1: not PvP
    "teamScore",
)
REPORT_DAYS = 4  # past days whose reports are kept played


class _Packed:
    """One character's rows of one day, oldest first: a header array (instance id,
    period as epoch seconds, activity hash) and a values array (KEPT, per row)."""

    __slots__ = ("head", "values")

    def __init__(self) -> None:
        self.head = array("q")
        self.values = array("q")

    def add(self, row: HistoryRow) -> None:
        self.head.extend((int(row.instance_id), int(row.period.timestamp()), row.activity_hash))
        v = row.values
        self.values.extend(round(v.get(k, -1.0)) for k in KEPT)

    def __len__(self) -> int:
        return len(self.head) // 3

    def row(self, index: int, world: World) -> HistoryRow:
        instance_id, period, activity_hash = self.head[index * 3 : index * 3 + 3]
        kept = dict(
            zip(KEPT, self.values[index * len(KEPT) : (index + 1) * len(KEPT)], strict=True)
        )
        pvp = kept["team"] >= 0
        kills, deaths, assists = kept["kills"], kept["deaths"], kept["assists"]
        values: dict[str, float] = {
            "assists": float(assists),
            "completed": float(kept["completed"]),
            "deaths": float(deaths),
            "kills": float(kills),
            "opponentsDefeated": float(kills + assists),
            "efficiency": round((kills + assists) / max(deaths, 1), 2),
            "killsDeathsRatio": round(kills / max(deaths, 1), 2),
            "killsDeathsAssists": round((kills + assists / 2) / max(deaths, 1), 2),
            "score": float(kept["score"]),
            "activityDurationSeconds": float(kept["activityDurationSeconds"]),
            "completionReason": float(kept["completionReason"]),
            "startSeconds": 0.0,
            "timePlayedSeconds": float(kept["timePlayedSeconds"]),
            "playerCount": float(kept["playerCount"]),
            "teamScore": float(kept["teamScore"]),
        }
        if pvp:
            values["team"] = float(kept["team"])
            values["standing"] = float(kept["standing"])
        activity = world.catalog.activities.get(activity_hash)
        return HistoryRow(
            instance_id=str(instance_id),
            activity_hash=activity_hash,
            mode=activity.mode if activity else 0,
            modes=activity.mode_types if activity else (),
            period=datetime.fromtimestamp(period, UTC),
            values=values,
            is_pvp=pvp,
        )


class Archive:
    """The `days` days before `world`'s first day, played in the background."""

    def __init__(self, world: World, days: int, *, private_members: int, hostile_names: bool):
        self.world = world
        self.days = days
        self.newest = world.first_day - 1
        self.oldest = world.first_day - days
        self._private_members = private_members
        self._hostile_names = hostile_names
        self._rows: dict[str, dict[int, _Packed]] = {}  # characterId -> day -> rows
        self._played_through = world.first_day  # every day >= this is played
        self._done = threading.Condition()
        self._reports: OrderedDict[int, dict[str, Instance]] = OrderedDict()
        self._reports_lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._play_all, name="sim-archive", daemon=True)

    def start(self) -> Archive:
        if self.days > 0:
            self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        with self._done:
            self._done.notify_all()

    @property
    def rows_kept(self) -> int:
        with self._done:
            return sum(len(p) for days in self._rows.values() for p in days.values())

    # ------------------------------------------------------------------ playing

    def _scratch(self, day: int) -> World:
        """A world of the same clan that plays `day` and nothing else."""
        return World(
            seed=self.world.seed,
            members=self.world.target_members,
            clock=FakeClock(chunk_start(day + 1)),
            warmup=timedelta(days=1),
            private_members=self._private_members,
            hostile_names=self._hostile_names,
        )

    def _play_all(self) -> None:
        for day in range(self.newest, self.oldest - 1, -1):
            if self._stop.is_set():
                return
            began = time.perf_counter()
            try:
                scratch = self._scratch(day)
            except Exception:  # a bug in the simulator: say so, and serve what there is
                log.exception("simulator: could not play past day %d", day)
                scratch = None
            packed: dict[str, _Packed] = {}
            if scratch is not None:
                for member in scratch.members.values():
                    for character in member.characters:
                        for row in character.history:
                            if chunk_of(row.period) == day:
                                packed.setdefault(character.character_id, _Packed()).add(row)
                self._keep_reports(day, scratch)
            with self._done:
                for character_id, rows in packed.items():
                    self._rows.setdefault(character_id, {})[day] = rows
                self._played_through = day
                self._done.notify_all()
            # Half a core at most: the live world and whatever shares the process go on.
            self._stop.wait(time.perf_counter() - began)
        log.info("simulator: %d days of history before the first day played", self.days)

    def wait_for(self, day: int, timeout: float) -> bool:
        """Block until `day` (and every newer past day) is played; False on timeout."""
        day = max(day, self.oldest)
        with self._done:
            return self._done.wait_for(
                lambda: self._played_through <= day or self._stop.is_set(), timeout
            )

    def played_through(self) -> int:
        """The oldest past day played so far (every newer one is); once stopped, the
        archive is what it is."""
        with self._done:
            return self.oldest if self._stop.is_set() else self._played_through

    # ------------------------------------------------------------------ reading

    def rows(self, character_id: str, through: int) -> Iterator[HistoryRow]:
        """A character's past rows, newest first, for days already played down to
        `through`."""
        with self._done:
            days = dict(self._rows.get(character_id, {}))
        for day in sorted((d for d in days if d >= through), reverse=True):
            packed = days[day]
            for index in range(len(packed) - 1, -1, -1):
                yield packed.row(index, self.world)

    def day_of(self, instance_id: str) -> int | None:
        """The past day an instance id belongs to, if it is one of the archive's."""
        try:
            offset = int(instance_id) - self.world.instance_base
        except ValueError:
            return None
        day = offset // INSTANCES_PER_DAY
        return day if self.oldest <= day <= self.newest else None

    def report(self, instance_id: str) -> Instance | None:
        """The instance (for its PGCR), its day played again if it is not kept."""
        day = self.day_of(instance_id)
        if day is None or self.played_through() > day:
            return None
        with self._reports_lock:
            instances = self._reports.get(day)
            if instances is not None:
                self._reports.move_to_end(day)
        if instances is None:
            instances = self._keep_reports(day, self._scratch(day))
        return instances.get(instance_id)

    def _keep_reports(self, day: int, scratch: World) -> dict[str, Instance]:
        instances = {
            i: instance
            for i, instance in scratch.instances.items()
            if chunk_of(instance.period) == day
        }
        with self._reports_lock:
            self._reports[day] = instances
            while len(self._reports) > REPORT_DAYS:
                self._reports.popitem(last=False)
        return instances
