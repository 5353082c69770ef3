"""Markdown to safe HTML: markdown-it with raw HTML off, then nh3 (Ammonia) on the result,
so no script from content or users ever runs."""

from __future__ import annotations

from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

ALLOWED_TAGS = {
    "h2", "h3", "h4", "p", "br", "hr", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "table", "thead", "tbody", "tr", "th", "td",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"style"}, "td": {"style"}, "ol": {"start"}}


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    return MarkdownIt("commonmark", {"html": False, "typographer": True}).enable("table")


def render_markdown(text: str) -> Markup:
    return Markup(_render(text))  # noqa: S704 - sanitised by nh3 in _render


@lru_cache(maxsize=256)
def _render(text: str) -> str:
    """Lessons are read far more often than they change: each text is rendered once per
    process (the cache is keyed by the text itself, so an edit is a new entry)."""
    html = _md().render(text)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"https", "mailto"},
        link_rel="noopener noreferrer",
        filter_style_properties={"text-align"},
    )
    return str(clean)
