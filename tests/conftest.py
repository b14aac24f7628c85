"""Shared fixtures: throw-away databases (SQLite always, PostgreSQL when reachable).

PostgreSQL comes from TEST_DATABASE_URL (default: the local server's `test` database);
each run creates its own database there and drops it afterwards, so runs never collide.
Without a server the PostgreSQL tests skip with the reason, except under CI=true, where a
missing server is a failure: CI must exercise PostgreSQL.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from clanactors.store.db import Database, migrate

DATA = Path(__file__).parent / "data"
BUNGIE_DATA = DATA / "bungie"
DEFAULT_TEST_PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


def load_sample(name: str) -> dict[str, Any]:
    return json.loads((BUNGIE_DATA / name).read_text(encoding="utf-8"))


def _admin_url() -> str:
    url = make_url(os.environ.get("TEST_DATABASE_URL", DEFAULT_TEST_PG))
    if url.get_driver_name() != "psycopg":
        url = url.set(drivername="postgresql+psycopg")
    return url.render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """An admin URL for a reachable PostgreSQL, or a skip (a failure under CI)."""
    admin = _admin_url()
    engine = create_engine(admin, connect_args={"connect_timeout": 3})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        reason = f"PostgreSQL not reachable at {make_url(admin).render_as_string()}: {exc.orig}"
        if IN_CI:
            pytest.fail(f"CI=true but {reason}")
        pytest.skip(reason)
    finally:
        engine.dispose()
    yield admin


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    name = f"clanactors_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(postgres_server).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'clanactors.db'}"


@pytest.fixture(params=["sqlite", "postgres"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Each test using this runs on both databases."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("postgres_url")


@pytest.fixture
def db(database_url: str) -> Iterator[Database]:
    """A migrated database (both kinds), disposed after the test."""
    migrate(database_url)
    database = Database(database_url)
    yield database
    database.dispose()
