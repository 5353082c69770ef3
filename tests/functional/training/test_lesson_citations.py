"""A lesson page's citations: [@id] is a numbered footnote link to its Sources list, in
the order first cited, and the list names each source; a lesson without citations keeps
its front matter's sources."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from tests.conftest import SAMPLE_CONTENT, sync

SOURCES = """  - id: nice-ng225
    authors: "National Institute for Health and Care Excellence"
    title: "Self-harm <guideline> & more"
    edition: "NG225"
    publisher: "NICE"
    year: 2022
    url: "https://www.nice.org.uk/guidance/ng225"
"""


def test_citations_link_to_a_numbered_sources_list(app, lti, tmp_path: Path):
    root = tmp_path / "content"
    shutil.copytree(SAMPLE_CONTENT, root)
    module = root / "modules/listening/module.yaml"
    module.write_text(module.read_text() + SOURCES)
    lesson = root / "modules/listening/lessons/01-open-questions.md"
    lesson.write_text(lesson.read_text().replace(
        "Open questions invite people to say more.",
        "Open questions invite people to say more [@nice-ng225]. So does silence "
        "[@who-pfa-2011], and again [@nice-ng225]."))
    sync(app, root)
    lti.launch()

    page = lti.client.get("/modules/listening/lessons/1").get_data(as_text=True)
    body = page.split('class="lesson-body"', 1)[1]
    assert re.findall(r'<sup class="citation"><a href="#source-(\d)"', body) == ["1", "2", "1"]
    sources = page.split('id="sources-heading"', 1)[1]
    items = re.findall(r'<li id="source-(\d)">(.*?)</li>', sources, re.S)
    assert [n for n, _ in items] == ["1", "2"]
    assert "NICE (2022)" in items[0][1] and "Self-harm &lt;guideline&gt; &amp; more" in items[0][1]
    assert ", NG225." in items[0][1] and "World Health Organization (2011)" in items[1][1]

    second = lti.client.get("/modules/listening/lessons/2").get_data(as_text=True)
    assert "sources-heading" not in second and "source-1" not in second
