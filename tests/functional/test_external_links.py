"""Inside an LMS iframe: links that leave the tool open in a new tab (rel=noopener, and a
hint a screen reader announces), links inside the tool stay in the frame, phone numbers
are tel: links, and every page asks the LMS to size its frame (frame-resize.js)."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.conftest import SAMPLE_CONTENT, sync

HINT = "(opens in a new tab)"


@dataclass
class Anchor:
    attrs: dict[str, str]
    text: str = ""
    hidden: str = ""  # the visually hidden part of its text
    _depth: list[bool] = field(default_factory=list)

    @property
    def href(self) -> str:
        return self.attrs.get("href", "")

    @property
    def new_tab(self) -> bool:
        return self.attrs.get("target") == "_blank"


class _Anchors(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.anchors: list[Anchor] = []
        self.scripts: list[dict[str, str]] = []
        self._open: Anchor | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a":
            self._open = Anchor(a)
            self.anchors.append(self._open)
        elif tag == "span" and self._open is not None:
            self._open._depth.append("visually-hidden" in a.get("class", "").split())
        elif tag == "script":
            self.scripts.append(a)

    def handle_endtag(self, tag: str) -> None:
        if tag == "a":
            self._open = None
        elif tag == "span" and self._open is not None and self._open._depth:
            self._open._depth.pop()

    def handle_data(self, data: str) -> None:
        if self._open is not None:
            self._open.text += data
            if any(self._open._depth):
                self._open.hidden += data


def parse(page: str) -> _Anchors:
    parser = _Anchors()
    parser.feed(page)
    return parser


def anchors(page: str) -> list[Anchor]:
    return parse(page).anchors


def main_part(page: str) -> str:
    return page.split('<main', 1)[1].split("</main>", 1)[0]


def assert_new_tab(link: Anchor) -> None:
    assert link.new_tab, link
    assert "noopener" in link.attrs.get("rel", "").split(), link
    assert HINT in link.hidden, link  # heard by a screen reader, not seen


@pytest.fixture
def linked_content(app, tmp_path: Path) -> Path:
    """The sample module, with a lesson that links out, links within the tool and gives a
    number to call."""
    root = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, root)
    lesson = root / "modules" / "listening" / "lessons" / "01-open-questions.md"
    lesson.write_text(lesson.read_text(encoding="utf-8") + (
        "\n\nRead [the WHO guide](https://www.who.int/publications/i/item/9789241548205)"
        " and see [Get help now](/help) or [the quiz](/quiz/listening).\n\n"
        "If they are in danger, call 999 or Samaritans on 116 123.\n"), encoding="utf-8")
    sync(app, root)
    return root


def test_lesson_links_out_in_a_new_tab_and_stays_in_the_frame_inside(lti, linked_content):
    lti.launch()
    response = lti.client.get("/modules/listening/lessons/1")
    assert response.status_code == 200
    found = anchors(main_part(response.get_data(as_text=True)))

    who = [a for a in found if a.href.startswith("https://www.who.int/")]
    # The link in the lesson text and the lesson's source.
    assert len(who) == 2, found
    for link in who:
        assert_new_tab(link)
    body_link = next(a for a in who if "the WHO guide" in a.text)
    assert body_link.text == f"the WHO guide {HINT}"

    for href in ("/help", "/quiz/listening"):
        internal = next(a for a in found if a.href == href)
        assert not internal.new_tab and not internal.hidden, internal
    # The tool's own navigation stays in the frame too.
    assert not any(a.new_tab for a in found if a.href.startswith("/") or not a.href)

    calls = {a.href: a.text for a in found if a.href.startswith("tel:")}
    assert calls == {"tel:999": "999", "tel:116123": "116 123"}
    assert not any(a.new_tab for a in found if a.href.startswith("tel:"))


def test_module_sources_open_in_a_new_tab(lti, sample_content):
    lti.launch()
    page = lti.client.get("/modules/listening").get_data(as_text=True)
    sources = [a for a in anchors(main_part(page)) if a.href.startswith("https://")]
    assert sources
    for link in sources:
        assert_new_tab(link)


def test_help_page_crisis_lines_are_tel_links_and_websites_open_in_a_new_tab(client):
    page = client.get("/help")
    assert page.status_code == 200
    found = anchors(main_part(page.get_data(as_text=True)))
    calls = {a.href for a in found if a.href.startswith("tel:")}
    # Samaritans, 988 (US and Canada), Lifeline, and the emergency numbers.
    assert {"tel:116123", "tel:988", "tel:131114", "tel:112", "tel:999", "tel:911",
            "tel:000"} <= calls
    assert next(a for a in found if a.href == "tel:116123").text == "116 123"
    # "over 130 countries" is not a number to call.
    assert "tel:130" not in calls
    websites = [a for a in found if a.href.startswith("https://")]
    assert {a.href for a in websites} >= {"https://www.samaritans.org/", "https://988lifeline.org/"}
    for link in websites:
        assert_new_tab(link)
    for link in found:
        if link.href.startswith("/"):
            assert not link.new_tab, link


def test_help_page_organisation_numbers_are_tel_links(app, client, tmp_path):
    help_file = tmp_path / "help.yaml"
    help_file.write_text(
        'eap: "Call 0800 123 456, 24 hours a day, or chat online"\n'
        'eap_url: "https://eap.example.org"\n'
        'hr_policy_url: "https://intranet.example.org/policies/mental-health"\n'
        "organisation_contacts:\n"
        '  - {name: "Wellbeing team", region: "London", contact: "+44 (0)20 7123 4567",'
        ' url: "https://wellbeing.example.org"}\n'
        '  - {name: "<b>HR</b>", region: "All sites", contact: "hr@example.org <i>x</i>"}\n',
        encoding="utf-8")
    app.config["LMS_PLUGIN_HELP_FILE"] = str(help_file)
    page = client.get("/help").get_data(as_text=True)
    found = anchors(main_part(page))
    calls = {a.href: a.text for a in found if a.href.startswith("tel:")}
    assert calls["tel:0800123456"] == "0800 123 456"
    assert calls["tel:+442071234567"] == "+44 (0)20 7123 4567"
    assert "tel:24" not in calls
    assert "24 hours a day, or chat online" in page
    for href in ("https://eap.example.org/", "https://intranet.example.org/policies/mental-health",
                 "https://wellbeing.example.org/"):
        assert_new_tab(next(a for a in found if a.href == href))
    website = next(a for a in found if a.href == "https://wellbeing.example.org/")
    assert website.text == f"website: Wellbeing team {HINT}"
    # The operator's file is text, never markup.
    assert "<b>HR</b>" not in page and "&lt;b&gt;HR&lt;/b&gt;" in page
    assert "<i>x</i>" not in page


def test_every_page_loads_the_frame_resize_script(client):
    for path in ("/help", "/privacy"):
        page = client.get(path).get_data(as_text=True)
        head = page.split("</head>", 1)[0]
        scripts = parse(head).scripts
        assert {"src": "/static/frame-resize.js", "defer": ""} in scripts, scripts
    script = client.get("/static/frame-resize.js")
    assert script.status_code == 200
    assert "javascript" in script.content_type
    source = script.get_data(as_text=True)
    assert '"lti.frameResize"' in source and "ResizeObserver" in source
    script.close()
