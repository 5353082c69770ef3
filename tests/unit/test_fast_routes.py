"""The tests share werkzeug's compiled URL builders between apps (tests/support/fast_routes):
a shared builder must build exactly what werkzeug's own compiler builds, for every route
of the real app, with and without unknown arguments, and rules that differ only in their
defaults must not share one."""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Map, Rule

from tests.support import fast_routes


def _values(rule: Rule) -> dict[str, Any]:
    return {name: 7 if hasattr(conv, "num_convert") else "a b/ü"
            for name, conv in rule._converters.items()}


def test_shared_builders_build_what_werkzeug_compiles(app: Any) -> None:
    rules = list(app.url_map.iter_rules())
    assert len(rules) > 50
    for rule in rules:
        for unknown in (False, True):
            shared = rule._build_unknown if unknown else rule._build
            own = fast_routes.ORIGINAL(rule, unknown).__get__(rule, None)
            values = _values(rule) | ({"extra": "x y"} if unknown else {})
            assert shared(**values) == own(**values), rule.rule


def test_rules_that_differ_only_in_defaults_get_their_own_builders() -> None:
    maps = [Map([Rule("/page/<int:n>", endpoint="e", defaults={"n": 1})]),
            Map([Rule("/page/<int:n>", endpoint="e", defaults={"n": 2})]),
            Map([Rule("/page/<int:n>", endpoint="e")])]
    built = [m.bind("x").build("e", {} if i < 2 else {"n": 3}) for i, m in enumerate(maps)]
    assert built == ["/page/1", "/page/2", "/page/3"]
