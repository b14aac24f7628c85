"""Log lines that someone else can repeat at will (a client's bad frames, a message that
keeps failing): the first for each key is written, then at most one an interval, carrying
how many were held back meanwhile. Nobody can fill the disk through the log."""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable

EVERY = 60.0  # seconds between two lines for one key
KEYS = 1024  # keys remembered; the longest unseen is forgotten first


class Repeats:
    """Which of a repeated log line's occurrences to write, per key (a client's address, an
    exception type). Bounded: it remembers `keys` keys at most, whatever the uptime."""

    def __init__(
        self,
        every: float = EVERY,
        keys: int = KEYS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.every = every
        self.keys = keys
        self._monotonic = monotonic
        self._lock = threading.Lock()
        # key -> [when its last line was written, occurrences held back since]
        self._seen: OrderedDict[Hashable, list[float]] = OrderedDict()

    def admit(self, key: Hashable) -> int | None:
        """None: hold this occurrence back (it is counted). Otherwise write the line now;
        the number is how many occurrences were held back since the last line written."""
        now = self._monotonic()
        with self._lock:
            seen = self._seen.get(key)
            if seen is not None:
                self._seen.move_to_end(key)
                if now - seen[0] < self.every:
                    seen[1] += 1
                    return None
                held = int(seen[1])
                seen[0], seen[1] = now, 0
                return held
            self._seen[key] = [now, 0]
            while len(self._seen) > self.keys:
                self._seen.popitem(last=False)
            return 0


def held_back(count: int) -> str:
    """The suffix of a line written after `count` were held back: "" when none were."""
    return f" ({count} more like it since the last line)" if count else ""
