"""The column shapes the models share, one home each: a row's id, a link to another row
(most often a person's), a moment in time, a content slug and version, and
`PersonRecord`, a person's own row. Each is exactly the `mapped_column` it stands for, so
the schema (and the migrations) are what they were; nullability still comes from the
annotation (`Mapped[int | None]`, `Mapped[datetime | None]`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import DateTime, ForeignKey, String
from sqlalchemy.orm import Mapped, MappedColumn, mapped_column

from .dates import utcnow


def row_id(**options: Any) -> MappedColumn[Any]:
    """The row's own integer key."""
    return mapped_column(primary_key=True, **options)


def link(table: str, ondelete: str | None = "CASCADE", **options: Any) -> MappedColumn[Any]:
    """A foreign key to `table`'s id. By default the row goes with the one it points at
    (a person's own record); `ondelete="SET NULL"` keeps it, pointing at nobody (someone
    else's record that names them: a supervisor's decision, an admin's grant)."""
    return mapped_column(ForeignKey(f"{table}.id", ondelete=ondelete), **options)


def timestamp(*, now: bool = False, **options: Any) -> MappedColumn[Any]:
    """A moment, with its time zone; `now=True`: set to the current time on insert."""
    if now:
        options["default"] = utcnow
    return mapped_column(DateTime(timezone=True), **options)


def content_slug(**options: Any) -> MappedColumn[Any]:
    """The id of a piece of content: a module, lesson, quiz, programme, attestation,
    role-play, activity kind or survey item (at most 80 characters, as content's `Slug`)."""
    return mapped_column(String(80), **options)


def content_version(**options: Any) -> MappedColumn[Any]:
    """The version of a piece of content a record was made under (content's digest)."""
    return mapped_column(String(64), **options)


class PersonRecord:
    """A mixin for a row that is one person's own (a lesson they completed, an e-mail
    setting, a certificate): `id`, then `user_id`, indexed, the row going with the person.
    (`sort_order` keeps the two first in the table, as the migrations made them.) A table
    that indexes `user_id` otherwise (unique, or first in a composite index) declares its
    own two columns instead."""

    id: Mapped[int] = row_id(sort_order=-2)
    user_id: Mapped[int] = link("user", index=True, sort_order=-1)
