"""Exactly one `serve` process runs the pollers for a clan (README, "Several processes").

PostgreSQL: a session advisory lock held on a connection of its own; when the polling
process dies, its connection closes and the lock frees itself for the next one.
SQLite: an exclusive lock on a file beside the database, freed the same way by the OS.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import logging
import os
from typing import IO, Any

import psycopg
from sqlalchemy.engine import make_url

from clanactors.store.db import raw_connection

log = logging.getLogger(__name__)


def lock_key(clan_id: str) -> int:
    """A stable signed 64-bit key for pg_advisory_lock, one per clan."""
    digest = hashlib.sha256(f"clanactors:{clan_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


class PollerLock:
    def __init__(self, database_url: str, clan_id: str) -> None:
        self._database_url = database_url
        self._url = make_url(database_url)
        self._key = lock_key(clan_id)
        self._clan_id = clan_id
        self._conn: psycopg.Connection[Any] | None = None
        self._file: IO[bytes] | None = None
        self._lock_path = ""
        self._failing = False
        self.held = False

    def try_acquire(self) -> bool:
        """Take the lock if it is free; True while this process holds it."""
        if self.held:
            return self.still_held()
        if self._url.get_backend_name() == "postgresql":
            self.held = self._try_postgres()
        else:
            self.held = self._try_file()
        return self.held

    def still_held(self) -> bool:
        """False once the lock's connection is gone (the database restarted, say)."""
        if not self.held or self._conn is None:
            return self.held
        try:
            self._conn.execute("SELECT 1")
        except psycopg.Error:
            log.warning("lost the poller lock's database connection")
            self.release()
            return False
        return True

    def _try_postgres(self) -> bool:
        try:
            if self._conn is None or self._conn.closed:
                self._conn = raw_connection(self._database_url, "clanactors-poller-lock")
            row = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        except psycopg.Error as exc:
            if not self._failing:  # once per outage, not once per try
                log.warning("cannot take the poller lock: %s", exc)
                self._failing = True
            return False
        self._failing = False
        return bool(row and row[0])

    def _try_file(self) -> bool:
        path = self._url.database
        if not path or path == ":memory:":
            return True  # an in-memory database belongs to this process alone
        lock_path = f"{os.path.abspath(path)}.{self._clan_id}.lock"
        try:
            handle = open(lock_path, "ab")  # noqa: SIM115 - held open while polling
        except OSError as exc:
            log.warning("cannot open the poller lock file %s: %s", lock_path, exc)
            return False
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            # A clean stop removes the file: the lock taken must be on the file that is
            # there now, not on one a stopping poller has just unlinked.
            if os.stat(lock_path).st_ino != os.fstat(handle.fileno()).st_ino:
                raise OSError("the lock file was replaced")
        except OSError:
            handle.close()
            return False
        self._file = handle
        self._lock_path = lock_path
        return True

    @property
    def failing(self) -> bool:
        """The last try could not reach the database (as opposed to: another holds it)."""
        return self._failing

    def release(self) -> None:
        self.held = False
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()  # closing the session frees the advisory lock
            self._conn = None
        if self._file is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._lock_path)  # removed while still held: no one else has it
            self._file.close()  # and closing the file frees the flock
            self._file = None
