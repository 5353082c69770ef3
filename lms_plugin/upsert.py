"""Rows that requests arriving together change safely, on PostgreSQL and SQLite alike.

`upsert_statement` / `upsert_only`: INSERT ... ON CONFLICT DO UPDATE, one statement that
either makes a row or updates it, so requests never both insert (a select then an insert
would: the second hits the unique constraint). `locked`: a row read for a
read-modify-write, held until the transaction ends, so two requests never both read the
old value and the later write lose the earlier one."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any, TypeVar

import sqlalchemy as sa
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


@cache
def upsert_template(table: sa.Table, dialect: str, keys: tuple[str, ...],
                    update: tuple[str, ...]) -> Any:
    """`upsert_statement` with a bound parameter per column, made once per shape and
    executed with the values: no statement to build, and one cache key to compute, per
    call (each takes the column's type, as a value given to `values()` would)."""
    return upsert_statement(table, dialect, {name: sa.bindparam(name) for name in keys},
                            {name: sa.bindparam(name) for name in update})


def upsert_only(model: Any, keys: Mapping[str, Any], update: Mapping[str, Any]) -> None:
    """The upsert through the session's connection when the caller reads nothing back
    (no ORM object made or refreshed: a launch's enrolment and AGS endpoint); a Core
    statement made once per shape (`upsert_template`)."""
    dialect = db.session.get_bind().dialect.name
    stmt = upsert_template(model.__table__, dialect, tuple(keys), tuple(update))
    db.session.execute(stmt, {**keys, **update})


def locked(model: type[M], ident: Any) -> M | None:
    """The row with primary key `ident`, freshly read and locked until the transaction
    ends (None if there is none). PostgreSQL: SELECT ... FOR UPDATE. SQLite has no row
    locks and pysqlite reads outside a transaction, so an UPDATE that changes nothing comes
    first: it takes the database's write lock, and a second request waits (the busy
    timeout) until the first commits, then reads what it wrote."""
    if db.session.get_bind().dialect.name == "sqlite":
        key = sa.inspect(model).primary_key[0]
        db.session.execute(sa.update(model).where(key == ident).values({key.name: key}))
        return db.session.get(model, ident, populate_existing=True)
    return db.session.get(model, ident, with_for_update=True, populate_existing=True)
