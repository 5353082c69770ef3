"""Markdown to safe HTML: markdown-it with raw HTML off, then nh3 (Ammonia) on the result,
so no script from content or users ever runs.

Two touches for a page shown inside an LMS iframe: a link that leaves the tool (an https
address) opens in a new tab, with rel="noopener noreferrer" and a visually hidden "(opens in
a new tab)" that screen readers announce as part of the link; a link inside the tool stays
in the frame. Phone numbers in the text become tel: (or sms:) links, found as on the Get
help now page (`phones.find_phone_numbers`).

Citations: `[@source-id]` in a lesson becomes a numbered footnote link, `[1]`, to the
lesson's "Sources" list (`#source-1`); sources are numbered in the order they are first
cited, and a source cited twice keeps its number. `render_lesson` returns the numbered
sources with the HTML. An id the lesson's module does not list stays as plain text
(`content validate` fails on it)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup

from ..phones import find_phone_numbers
from .schema import Source

ALLOWED_TAGS = {
    "h2", "h3", "h4", "p", "br", "hr", "strong", "em", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "span", "table", "thead", "tbody", "tr", "th", "td", "sup",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"style"}, "td": {"style"}, "ol": {"start"}}
# Only these values survive: a content author cannot open a link in a named frame, nor
# style a span.
ALLOWED_VALUES = {"a": {"target": {"_blank"}}, "span": {"class": {"visually-hidden"}},
                  "sup": {"class": {"citation"}}}
NEW_TAB_HINT = '<span class="visually-hidden"> (opens in a new tab)</span>'
CITATION = re.compile(r"\[@([a-z0-9-]+)\]")


def cited_ids(text: str) -> list[str]:
    """The source ids cited in `text` as [@id], each once, in order of first citation."""
    return list(dict.fromkeys(CITATION.findall(text)))


def _citations(state: StateCore) -> None:
    """[@id] in text becomes <sup><a href="#source-N">[N]</a></sup>, N the source's place
    in state.env["sources"] (ids in citation order); an unknown id is left as text. Runs
    before _tool_links, so an id's digits are never read as a phone number."""
    numbers = {sid: n for n, sid in enumerate(state.env.get("sources", ()), start=1)}
    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        for token in block.children:
            if token.type != "text" or "[@" not in token.content:
                children.append(token)
                continue
            pos = 0
            for match in CITATION.finditer(token.content):
                number = numbers.get(match.group(1))
                if number is None:
                    continue
                if match.start() > pos:
                    children.append(_text_token(token.content[pos:match.start()]))
                link = Token("html_inline", "", 0)
                link.content = (
                    f'<sup class="citation"><a href="#source-{number}">[<span '
                    f'class="visually-hidden">source </span>{number}]</a></sup>')
                children.append(link)
                pos = match.end()
            if pos < len(token.content):
                children.append(_text_token(token.content[pos:]))
        block.children = children


def _text_token(content: str) -> Token:
    token = Token("text", "", 0)
    token.content = content
    return token


def is_external(href: str) -> bool:
    """A link that leaves the tool: an absolute https (or scheme-relative) address;
    relative paths, fragments, mailto: and tel: stay. (Plain http addresses lose their
    href in nh3 below, so they are not links at all.)"""
    lowered = href.strip().lower()
    return lowered.startswith(("https://", "//"))


def _link_tokens(href: str, text: str) -> list[Token]:
    opening = Token("link_open", "a", 1)
    opening.attrSet("href", href)
    label = Token("text", "", 0)
    label.content = text
    return [opening, label, Token("link_close", "a", -1)]


def _tool_links(state: StateCore) -> None:
    """External links get target="_blank" and the hint; phone numbers outside links
    become links. The text already read in the same paragraph is kept as context, so
    "call ... 988" is recognised across emphasis and line breaks."""
    # Imported here: the training package imports this module for its views.

    for block in state.tokens:
        if block.type != "inline" or not block.children:
            continue
        children: list[Token] = []
        context = ""
        open_links: list[bool] = []
        for token in block.children:
            if token.type == "link_open":
                external = is_external(str(token.attrGet("href") or ""))
                if external:
                    token.attrSet("target", "_blank")
                open_links.append(external)
            elif token.type == "link_close":
                if open_links and open_links.pop():
                    hint = Token("html_inline", "", 0)
                    hint.content = NEW_TAB_HINT
                    children.append(hint)
            elif token.type == "text" and not open_links:
                pos = 0
                for match in find_phone_numbers(token.content, context):
                    if match.start > pos:
                        piece = Token("text", "", 0)
                        piece.content = token.content[pos:match.start]
                        children.append(piece)
                    children.extend(_link_tokens(match.uri,
                                                 token.content[match.start:match.end]))
                    pos = match.end
                if pos:
                    context += token.content
                    if pos < len(token.content):
                        rest = Token("text", "", 0)
                        rest.content = token.content[pos:]
                        children.append(rest)
                    continue
            if token.type in ("text", "code_inline"):
                context += token.content
            elif token.type in ("softbreak", "hardbreak"):
                context += " "
            children.append(token)
        block.children = children


@lru_cache(maxsize=1)
def _md() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": False, "typographer": True}).enable("table")
    md.core.ruler.push("citations", _citations)
    md.core.ruler.push("tool_links", _tool_links)
    return md


def render_lesson(text: str, sources: Sequence[Source],
                  listed: Sequence[str] = ()) -> tuple[Markup, list[Source]]:
    """A lesson's HTML with its [@id] citations numbered, and its sources in that order:
    first those cited, in order of first citation, then any other `listed` ids (the
    front matter's `sources`). Ids not among `sources` are left out."""
    known = {s.id: s for s in sources}
    order = [sid for sid in dict.fromkeys([*cited_ids(text), *listed]) if sid in known]
    html = _render(text, tuple(order))
    return Markup(html), [known[sid] for sid in order]  # noqa: S704 - sanitised by nh3


@lru_cache(maxsize=256)
def _render(text: str, sources: tuple[str, ...] = ()) -> str:
    """Lessons are read far more often than they change: each text is rendered once per
    process (the cache is keyed by the text itself and its sources' order, so an edit is a
    new entry)."""
    env: dict[str, Any] = {"sources": sources}
    html = _md().render(text, env)
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=ALLOWED_VALUES,
        url_schemes={"https", "mailto", "tel", "sms"},
        link_rel="noopener noreferrer",
        filter_style_properties={"text-align"},
    )
    return str(clean)
