"""INSERT ... ON CONFLICT for both databases: the one way rows are written idempotently."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def insert_for(session: Session, model: Any, values: dict[str, Any]) -> Any:
    """The dialect's INSERT (PostgreSQL or SQLite), which knows ON CONFLICT."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model).values(values)
    if dialect == "sqlite":
        return sqlite.insert(model).values(values)
    raise RuntimeError(f"unsupported database {dialect}")  # config.py admits only the two


def upsert(
    session: Session,
    model: Any,
    values: dict[str, Any],
    keys: list[str],
    update_columns: list[str] | None = None,
) -> None:
    """INSERT ... ON CONFLICT DO NOTHING, or DO UPDATE of `update_columns`."""
    stmt = insert_for(session, model, values)
    if update_columns:
        stmt = stmt.on_conflict_do_update(
            index_elements=keys, set_={c: stmt.excluded[c] for c in update_columns}
        )
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=keys)
    session.execute(stmt)
