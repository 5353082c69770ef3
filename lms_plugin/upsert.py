"""INSERT ... ON CONFLICT DO UPDATE ... RETURNING, on PostgreSQL and SQLite alike: one
statement that either makes a row or updates it, so requests arriving together never
both insert (a select then an insert would: the second hits the unique constraint)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, TypeVar

from sqlalchemy.dialects import postgresql, sqlite

from .extensions import db

M = TypeVar("M")


def insert_for(dialect: str) -> Any:
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


def upsert_statement(model: Any, dialect: str, keys: Mapping[str, Any],
                     update: Mapping[str, Any], insert_only: Mapping[str, Any] | None = None
                     ) -> Any:
    """The row `keys` names (they must match a unique constraint): made with `keys`,
    `insert_only` and `update`, or, if it exists, given `update`."""
    stmt = insert_for(dialect)(model).values(**keys, **(insert_only or {}), **update)
    # DO UPDATE needs something to set; setting a key to itself changes nothing, and the
    # row still comes back through RETURNING (DO NOTHING would return no row).
    first = next(iter(keys))
    return stmt.on_conflict_do_update(index_elements=list(keys),
                                      set_=dict(update) or {first: stmt.excluded[first]})


def upsert(model: type[M], keys: Mapping[str, Any], update: Mapping[str, Any],
           insert_only: Mapping[str, Any] | None = None) -> M:
    """`upsert_statement` through the ORM session: returns the row as a model object, in
    the session's identity map with its stored values."""
    dialect = db.session.get_bind().dialect.name
    stmt = upsert_statement(model, dialect, keys, update, insert_only).returning(model)
    return db.session.scalars(stmt, execution_options={"populate_existing": True}).one()
