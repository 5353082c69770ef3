"""Declaring personal data where it is kept. Each model that points at a person declares,
right after its class, how a person's rows are found, what they are (in words the person
reads) and what erasure does to them: `declare(yours(...))` for the common kind, `kept`
for someone else's record that names the person, `Item` for the rest (the scores waiting
in the outbox are declared by lti/ags.py, which writes them). The declarations
gather here as the models are imported (as the tables gather in `db.metadata`), and
privacy (privacy/registry.py) reads them as the one list that both the export
("everything we hold about you") and erasure go through, so the two cannot drift apart.
tests/functional/privacy/test_privacy_registry.py fails when a table gains a column that
points at a person and no declaration covers it.

The list lives on the ground floor because the models that declare are on every floor,
and privacy, which reads it, is near the top: no floor imports upwards.

Erasure: DELETE removes the rows. KEEP leaves rows that are someone else's record (hours
a supervisor decided, an admin's waiver, the audit log) pointing at the person's own row,
which erasure turns into "Erased person". ANONYMISE is for the person's row itself and for
certificates, kept as a minimal record (name, programme, dates, code) so they can still be
verified and revoked.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Protocol

from sqlalchemy import ColumnElement, inspect, select

from .extensions import db
from .i18n import N_

DELETE, KEEP, ANONYMISE = "delete", "keep", "anonymise"
REMOVED = N_("Removed.")
KEPT_FOR_OTHERS = (N_("Kept: it is part of someone else's record. It then points at an "
                   "\"Erased person\" with nothing else about you."))


class Person(Protocol):
    """Whose data is asked for: a `users.models.User` (a floor this one cannot name)."""

    @property
    def id(self) -> int: ...

    @property
    def sub(self) -> str: ...

    @property
    def issuer(self) -> str: ...


def row(obj: Any, hidden: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A row as plain data, column by column; `*_json` columns decoded."""
    out = {}
    for column in inspect(obj).mapper.column_attrs:
        if column.key in hidden:
            continue
        value = getattr(obj, column.key)
        if column.key.endswith("_json",) and value:
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[column.key] = value
    return out


@dataclass(frozen=True)
class Item:
    """One kind of personal data. Declared far from here, so all but the key and the model
    are named where it is declared."""

    key: str  # its name in the export
    model: type[Any]
    _: KW_ONLY
    title: str
    description: str  # what it is, for the person
    links: tuple[str, ...]  # the columns of `model` that point at the person
    where: Callable[[Person], ColumnElement[bool]]  # the person's rows
    erasure: str  # DELETE | KEEP | ANONYMISE
    on_erasure: str  # what erasure does, for the person
    hidden: frozenset[str] = frozenset()  # never exported: secrets, other people's words
    single: bool = False  # one row (the person), not a list
    export: Callable[[Any, frozenset[str]], dict[str, Any]] = field(default=row)
    anonymise: Callable[[Any], None] | None = None  # given the person's User row

    def rows(self, person: Person) -> list[Any]:
        return list(db.session.scalars(
            select(self.model).where(self.where(person)).order_by(*_order(self.model))))


def _order(model: type[Any]) -> list[Any]:
    return list(inspect(model).primary_key)


def yours(key: str, model: Any, *, title: str, description: str, column: str = "user_id",
          on_erasure: str = REMOVED, **extra: Any) -> Item:
    """The common kind: the person's rows by `column` (`user_id`), removed on erasure
    (`on_erasure` says what else that means for the person, if anything)."""
    return Item(key, model, title=title, description=description, links=(column,),
                where=lambda p: getattr(model, column) == p.id, erasure=DELETE,
                on_erasure=on_erasure, **extra)


def kept(key: str, model: Any, *, title: str, description: str, column: str,
         **extra: Any) -> Item:
    """Someone else's record that names the person in `column` (an admin's grant, a
    supervisor's mark): kept on erasure, then pointing at an "Erased person"."""
    return Item(key, model, title=title, description=description, links=(column,),
                where=lambda p: getattr(model, column) == p.id, erasure=KEEP,
                on_erasure=KEPT_FOR_OTHERS, **extra)


_DECLARED: dict[str, Item] = {}


def declare(*items: Item) -> None:
    """Add kinds of personal data to the list. A key names one kind: declaring another
    under a key already taken is a mistake, refused."""
    for item in items:
        if _DECLARED.setdefault(item.key, item) is not item:
            raise ValueError(f"Two kinds of personal data are named {item.key!r}")


def declared() -> tuple[Item, ...]:
    """Every kind declared, in the order declared (the order the models were imported)."""
    return tuple(_DECLARED.values())
