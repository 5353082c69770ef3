"""Share werkzeug's generated URL builders between the apps the tests make.

Every test makes its own app, and `create_app` spends about nine tenths of its time in
werkzeug compiling a URL builder (Python source, built as an AST and compiled) for each of
the app's routes. The builder is a pure function of the rule's parsed parts, its defaults
and whether it appends unknown arguments as a query string; it takes the rule as its first
argument and is bound to it afterwards. So the tests cache the compiled function by exactly
those inputs. Each app still gets its own `Map` and `Rule` objects, parsed, bound and
matched as in production; only the generated builder code is reused.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from werkzeug.routing.rules import Rule

ORIGINAL = Rule._compile_builder  # werkzeug's own, for the test that compares the two
_cache: dict[tuple[Any, ...], Callable[..., tuple[str, str]]] = {}


def _key(rule: Rule, append_unknown: bool) -> tuple[Any, ...]:
    defaults = rule.defaults or {}
    return (
        type(rule),
        tuple(rule._trace),
        tuple(sorted((str(name), repr(value)) for name, value in defaults.items())),
        tuple(sorted((name, type(conv)) for name, conv in rule._converters.items())),
        append_unknown,
    )


def install() -> None:
    """Patch `Rule._compile_builder` once (a no-op if werkzeug no longer has it)."""
    original = ORIGINAL
    if getattr(Rule._compile_builder, "_shared", False):
        return

    def compile_builder(self: Rule, append_unknown: bool = True) -> Any:
        key = _key(self, append_unknown)
        builder = _cache.get(key)
        if builder is None:
            builder = _cache[key] = original(self, append_unknown)
        return builder

    compile_builder._shared = True  # type: ignore[attr-defined]
    Rule._compile_builder = compile_builder  # type: ignore[method-assign]
