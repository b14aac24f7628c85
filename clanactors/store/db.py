"""Engine, sessions and migrations for SQLite (the default) and PostgreSQL."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import (
    DisconnectionError,
    InterfaceError,
    OperationalError,
    SQLAlchemyError,
)
from sqlalchemy.orm import Session, sessionmaker

from clanactors.core import metrics
from clanactors.core.errors import ConfigError
from clanactors.core.paths import migrations_dir

DEFAULT_DATABASE_URL = "sqlite:///clanactors.db"
# The demo never touches the file a real clan will use (README "Running it for your clan").
DEMO_DATABASE_URL = "sqlite:///clanactors-demo.db"

log = logging.getLogger(__name__)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def make_engine(url: str) -> Engine:
    """An engine safe to share between threads (each thread uses its own Session)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 10}, pool_pre_ping=True
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=5,
        max_overflow=10,
        connect_args={"connect_timeout": 5, "application_name": "clanactors"},
    )


def raw_connection(url: str, application_name: str) -> psycopg.Connection[Any]:
    """A plain autocommit psycopg connection (advisory locks, LISTEN), outside the pool."""
    parsed = make_url(url)
    return psycopg.connect(
        host=parsed.host,
        port=parsed.port,
        dbname=parsed.database,
        user=parsed.username,
        password=parsed.password,
        autocommit=True,
        connect_timeout=5,
        application_name=application_name,
    )


def safe_url(url: str) -> str:
    """The URL with any password masked, for messages and logs."""
    return make_url(url).render_as_string(hide_password=True)


# A server that answers but refuses (bad credentials, no such database) is a wrong setting;
# these refusals only mean it is not ready yet.
NOT_READY = ("starting up", "shutting down", "in recovery", "too many clients", "not yet accepting")


def not_up_yet(engine: Engine) -> str | None:
    """None when the database answers. When it is merely not up yet (connection refused,
    a timeout, a server still starting), the reason, so `serve` can wait for it.
    ConfigError naming DATABASE_URL when the setting is wrong (credentials refused, no
    such database, a SQLite file that cannot be opened)."""
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
        server_refused = "FATAL:" in reason and not any(n in reason for n in NOT_READY)
        if engine.dialect.name == "postgresql" and not server_refused:
            return reason
        raise _cannot_connect(engine, reason) from None
    return None


def check_connection(engine: Engine) -> None:
    """Raise ConfigError naming DATABASE_URL when the database cannot be reached."""
    reason = not_up_yet(engine)
    if reason is not None:
        raise _cannot_connect(engine, reason)


def _cannot_connect(engine: Engine, reason: str) -> ConfigError:
    where = engine.url.render_as_string(hide_password=True)
    return ConfigError(f"DATABASE_URL: cannot connect to {where} ({reason})")


def alembic_config(url: str) -> Config:
    """Alembic configured in code: works from a checkout and from an installed package."""
    cfg = Config()
    cfg.set_main_option("script_location", str(migrations_dir()))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def migrate(url: str, revision: str = "head") -> None:
    """Apply migrations up to `revision` (`alembic upgrade head`)."""
    command.upgrade(alembic_config(url), revision)


# Errors that mean "the database cannot answer now", as opposed to a bug.
DATABASE_TROUBLE = (OperationalError, InterfaceError, DisconnectionError)


class DatabaseState:
    """Whether the database answers, for the whole process: every session reports to it,
    so an outage is logged once on the way down and once on the way back."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.down = False
        self.on_recovered: list[Callable[[], None]] = []

    def failed(self, exc: Exception) -> None:
        with self._lock:
            first, self.down = not self.down, True
        if first:
            reason = str(getattr(exc, "orig", None) or exc).strip().splitlines()[0]
            log.error("database unavailable; retrying, serving from memory: %s", reason)

    def worked(self) -> None:
        if not self.down:
            return
        with self._lock:
            was, self.down = self.down, False
        if was:
            log.info("database recovered")
            for callback in list(self.on_recovered):
                callback()


class Database:
    """One engine and a session factory; hand each thread its own short session."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = make_engine(url)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self.state = DatabaseState()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session that commits on success and rolls back on error."""
        try:
            with self._sessions() as session, session.begin():
                yield session
        except DATABASE_TROUBLE as exc:
            metrics.DATABASE_ERRORS.inc()
            self.state.failed(exc)
            raise
        self.state.worked()

    def ping(self) -> bool:
        try:
            with self.session() as session:
                session.execute(text("SELECT 1"))
        except SQLAlchemyError:
            return False
        return True

    def dispose(self) -> None:
        self.engine.dispose()
