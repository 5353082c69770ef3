"""Audiences as data: everyone's path, the peer-supporter path, refreshers (pure)."""

from __future__ import annotations

from lms_plugin.content.loader import Module
from lms_plugin.content.schema import ModuleMeta
from lms_plugin.training.rules import path_modules, refresher_modules


def module(slug: str, order: int, audience: str = "everyone", refresher: bool = False) -> Module:
    meta = ModuleMeta.model_validate({"title": slug.title(), "order": order, "summary": "S.",
                                      "audience": audience, "refresher": refresher})
    return Module(slug, meta, (), "v1")


MODULES = [module("awareness", 1), module("supporting", 2),
           module("skills", 3, "peer_supporters"), module("boundaries", 4, "peer_supporters"),
           module("refresher", 5, "peer_supporters", refresher=True)]


def slugs(modules: list[Module]) -> list[str]:
    return [m.slug for m in modules]


def test_everyone_takes_only_the_modules_for_everyone():
    assert slugs(path_modules(MODULES, supporter=False)) == ["awareness", "supporting"]


def test_the_peer_supporter_path_adds_its_modules_in_order_but_not_the_refresher():
    assert slugs(path_modules(MODULES, supporter=True)) == [
        "awareness", "supporting", "skills", "boundaries"]


def test_refreshers_are_offered_only_on_the_peer_supporter_path():
    assert slugs(refresher_modules(MODULES, supporter=True)) == ["refresher"]
    assert refresher_modules(MODULES, supporter=False) == []
