"""Module completion rules. Pure: no Flask, no database."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from ..content.loader import Module

EVERYONE = "everyone"
PEER_SUPPORTERS = "peer_supporters"


@dataclass(frozen=True)
class ModuleStatus:
    lessons_total: int
    lessons_done: int
    quiz_required: bool
    quiz_passed: bool

    @property
    def lessons_complete(self) -> bool:
        return self.lessons_done >= self.lessons_total

    @property
    def complete(self) -> bool:
        return self.lessons_complete and (self.quiz_passed or not self.quiz_required)

    @property
    def started(self) -> bool:
        return self.lessons_done > 0 or self.quiz_passed

    @property
    def percent(self) -> int:
        steps = self.lessons_total + (1 if self.quiz_required else 0)
        done = self.lessons_done + (1 if self.quiz_required and self.quiz_passed else 0)
        return round(100 * done / steps) if steps else 100


def module_status(
    lesson_ids: Sequence[str],
    completed_lesson_ids: Collection[str],
    quiz_required: bool,
    quiz_passed: bool,
) -> ModuleStatus:
    """Completion = every current lesson done and, where the module has one, its quiz
    passed. Lessons done that are no longer in the module do not count."""
    done = sum(1 for lesson_id in lesson_ids if lesson_id in completed_lesson_ids)
    return ModuleStatus(len(lesson_ids), done, quiz_required, quiz_passed)


def training_complete(module_slugs: Collection[str], completed_slugs: Collection[str]) -> bool:
    """The whole training is complete when there is at least one module and every module
    now in the catalog has a recorded completion (order does not matter)."""
    return bool(module_slugs) and all(slug in completed_slugs for slug in module_slugs)


def next_module(ordered_slugs: Sequence[str], completed_slugs: Collection[str],
                after: str | None = None) -> str | None:
    """The module to suggest next: the first not completed after `after` in the suggested
    order, else the first not completed anywhere; None when all are done."""
    start = ordered_slugs.index(after) + 1 if after in ordered_slugs else 0
    for slug in [*ordered_slugs[start:], *ordered_slugs[:start]]:
        if slug not in completed_slugs:
            return slug
    return None


def path_modules(modules: Sequence[Module], supporter: bool) -> list[Module]:
    """A person's path through the training: every employee takes the modules for
    `everyone`; someone on the peer-supporter path (enrolled in a programme) also takes the
    `peer_supporters` ones. Refresher modules are never on the path (they are for renewal).
    The order is kept."""
    wanted = {EVERYONE, PEER_SUPPORTERS} if supporter else {EVERYONE}
    return [m for m in modules if m.meta.audience in wanted and not m.meta.refresher]


def refresher_modules(modules: Sequence[Module], supporter: bool) -> list[Module]:
    """Refresher modules, offered to people on the peer-supporter path."""
    return [m for m in modules if m.meta.refresher] if supporter else []
