"""Rehearsing a rule change: who would move from one status to another if a draft of a
programme replaced the one in use. Pure: the same `evaluate_programme` over the same
evidence, once under each version. No Flask, no database."""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Generic, TypeVar

from ..content.programme_schema import Programme
from .rules import Evidence, evaluate_programme

Person = TypeVar("Person", bound=Hashable)


@dataclass(frozen=True)
class Move(Generic[Person]):
    """Everyone who is `before` under the programme in use and `after` under the draft."""

    before: str
    after: str
    people: tuple[Person, ...]


@dataclass(frozen=True)
class Rehearsal(Generic[Person]):
    considered: int  # everyone enrolled whose evidence was evaluated
    moves: tuple[Move[Person], ...]  # only changes, largest first

    @property
    def moved(self) -> int:
        return sum(len(m.people) for m in self.moves)


def rehearse(current: Programme, draft: Programme, evidence: Mapping[Person, Evidence],
             now: datetime) -> Rehearsal[Person]:
    """Each person's status under `current` and under `draft` at `now`; the moves between
    them, largest first (then by status names, so the order never depends on input
    order). Certificates already earned stay as they are: their holders' status follows
    the certificate, not the requirements, under either version."""
    grouped: dict[tuple[str, str], list[Person]] = {}
    for person, their in evidence.items():
        before = evaluate_programme(current, their, now).status
        after = evaluate_programme(draft, their, now).status
        if before != after:
            grouped.setdefault((before, after), []).append(person)
    moves = tuple(Move(before, after, tuple(people)) for (before, after), people in sorted(
        grouped.items(), key=lambda item: (-len(item[1]), item[0])))
    return Rehearsal(len(evidence), moves)
