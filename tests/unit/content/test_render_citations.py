"""[@id] citations render as numbered footnote links to the lesson's Sources list, in the
order first cited; nothing in a citation or a source can inject markup."""

from __future__ import annotations

import re

from lms_plugin.content.render import cited_ids, render_lesson
from lms_plugin.content.schema import Source


def source(sid: str, title: str = "A guide") -> Source:
    return Source(id=sid, title=title, publisher="WHO", year=2022, url="https://example.org")


SOURCES = [source("first-listed"), source("who-guide"), source("nice-ng225")]


def numbers(html: str) -> list[str]:
    return re.findall(r'<a href="#source-(\d+)"', html)


def test_sources_are_numbered_in_order_of_first_citation_and_reused():
    text = "One [@nice-ng225]. Two [@who-guide]. One again [@nice-ng225].\n\n- a list [@who-guide]"
    html, ordered = render_lesson(text, SOURCES, listed=["first-listed"])
    assert numbers(html) == ["1", "2", "1", "2"]
    # Cited sources first, then the other sources the front matter lists.
    assert [s.id for s in ordered] == ["nice-ng225", "who-guide", "first-listed"]
    assert '<sup class="citation"><a href="#source-1"' in html
    assert '[<span class="visually-hidden">source </span>1]</a></sup>' in html
    assert "[@" not in html


def test_an_unknown_id_stays_plain_text_and_is_not_numbered():
    html, ordered = render_lesson("A claim [@made-up].", SOURCES)
    assert "[@made-up]" in html and not numbers(html) and ordered == []


def test_citation_digits_are_not_phone_numbers():
    html, _ = render_lesson("Call 999 now [@who-guide].", [source("who-guide")])
    assert 'href="tel:999"' in html and html.count("tel:") == 1


def test_markup_around_citations_is_escaped_or_stripped():
    text = ('<script>alert(1)</script> [@who-guide] [@<img src=x onerror=alert(1)>] '
            '[x](javascript:alert(1)) [@who-guide"onclick="alert(1)]')
    html, _ = render_lesson(text, [source("who-guide")])
    # Only the one real citation became markup; the rest is text, escaped.
    assert re.findall(r"<(\w+)", html) == ["p", "sup", "a", "span"]
    assert "&lt;script&gt;" in html and "&lt;img" in html
    assert 'href="javascript' not in html
    assert numbers(html) == ["1"]


def test_a_source_title_is_escaped_on_the_lesson_page(app):
    with app.test_request_context():
        from flask import render_template_string
        page = render_template_string(
            '{% for s in sources %}<li id="source-{{ loop.index }}">{{ s.title }}</li>'
            "{% endfor %}", sources=[source("x", "<b>Bold</b> & co")])
    assert "&lt;b&gt;Bold&lt;/b&gt; &amp; co" in page


def test_cited_ids_in_order_once():
    assert cited_ids("[@b] [@a] [@b] [@A] [@ c]") == ["b", "a"]
