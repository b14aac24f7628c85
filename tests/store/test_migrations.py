from __future__ import annotations

from alembic import command
from sqlalchemy import create_engine, inspect

from clanactors.store.db import alembic_config, migrate
from clanactors.store.models import Base


def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_head_matches_models_then_downgrades(database_url: str) -> None:
    migrate(database_url)
    assert set(Base.metadata.tables) <= _tables(database_url)

    # `alembic check` raises when the models and the migrated schema differ.
    command.check(alembic_config(database_url))

    command.downgrade(alembic_config(database_url), "base")
    assert _tables(database_url) <= {"alembic_version"}


def test_upgrade_is_idempotent(database_url: str) -> None:
    migrate(database_url)
    migrate(database_url)
    command.check(alembic_config(database_url))
