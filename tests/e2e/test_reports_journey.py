"""The L&D admin's reports on the seeded demo organisation, in real Chromium: the
pipeline shows numbers (not "hidden"), a count opens a list of exactly that many names;
then every page visited, at 1280 and at 375 px: chart labels never overlap their values,
nothing scrolls sideways, and axe finds nothing serious. (The seeding and the walk through
every count's list are done once: the widths change only how the pages are laid out.)"""

from __future__ import annotations

import re

import pytest

from tests.conftest import make_app
from tests.support.chromium import chromium, requires_chromium, screenshot
from tests.support.e2e import axe_check, open_tool
from tests.support.servers import ServerThread

pytestmark = [pytest.mark.e2e, pytest.mark.browser, requires_chromium]

OVERLAPS = """svg => {
  const boxes = sel => [...svg.querySelectorAll(sel)].map(e => e.getBoundingClientRect());
  const labels = boxes('.chart-label'), values = boxes('.chart-value');
  const meet = (a, b) => a.left < b.right && b.left < a.right
    && a.top < b.bottom && b.top < a.bottom;
  const found = [];
  labels.forEach((a, i) => {
    values.forEach(b => { if (meet(a, b)) found.push(['label-value', i]); });
    labels.forEach((b, j) => { if (j > i && meet(a, b)) found.push(['label-label', i, j]); });
  });
  return {labels: labels.length, values: values.length, found};
}"""


@pytest.fixture
def seeded_demo(app, migrated, tmp_path, shipped_content):
    demo_app = make_app(migrated, tmp_path / "demo", LMS_PLUGIN_DEMO=True,
                        LMS_PLUGIN_DEMO_SEED=True)
    server = ServerThread(demo_app).start()
    yield server.url.replace("127.0.0.1", "localhost"), demo_app
    server.stop()


def number(text: str) -> int:
    """A count's own digits (its link also names, for screen readers, what it lists)."""
    found = re.match(r"\d+", text.strip())
    assert found, text
    return int(found.group())


def no_sideways_scroll(page, width: int) -> None:
    scroll = page.evaluate("document.documentElement.scrollWidth")
    wide = page.evaluate(f"""[...document.querySelectorAll('body *')]
        .filter(e => e.getBoundingClientRect().right > {width} + 1).slice(0, 5)
        .map(e => e.tagName + '.' + e.className)""")  # what sticks out, if anything
    assert scroll <= width, f"{page.url} scrolls sideways at {width}px ({scroll}px): {wide}"


def charts_do_not_overlap(page) -> None:
    charts = page.locator("figure.chart svg[role=img]")
    assert charts.count() >= 5
    for i in range(charts.count()):
        result = charts.nth(i).evaluate(OVERLAPS)
        assert result["labels"] and result["values"], result
        assert not result["found"], (i, result)


def test_admin_reads_the_seeded_reports(seeded_demo):
    base, _ = seeded_demo
    visited = []
    with chromium() as browser:
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        # The launch registers the demo LMS, which seeds the demo organisation.
        page, tool = open_tool(context, base, "admin", course="wellbeing-101")
        tool.goto(base + "/admin/reports")
        pipeline = tool.locator("section.report", has=tool.locator(
            "#h-pipeline-peer-supporter"))
        cells = pipeline.locator("table.report-table tbody td").all_inner_texts()
        assert cells and "hidden" not in " ".join(cells)
        assert sum(number(c) for c in cells if re.match(r"\d", c)) > 20
        screenshot(page, "reports-in-lms")
        # In the frame too, a count opens its list.
        link = pipeline.locator("a[href*='row=certified']").first
        count = number(link.inner_text())
        with tool.expect_navigation():
            link.click()
        assert tool.locator("td[data-label=Name]").count() == count > 0

        top = context.new_page()
        top.goto(base + "/admin/reports")
        visited.append(top.url)
        administration = top.locator("section.report-section").first
        assert "hidden" not in administration.inner_text().split()
        # Readiness, in words, for everyone in scope (issue 16).
        assert re.search(r"Everyone in scope: \d+ supporters for \d+ employees \(1 per \d+; "
                         r"target 1 per 20\): (met|short by \d+)", administration.inner_text())
        headers = top.locator("table.report-table").first.locator("thead th").all_inner_texts()
        assert len(headers) == len(set(headers))  # no column heading twice
        # A count of the pipeline opens a list of exactly that many names (every count of
        # every filter is checked against its list in test_report_kinds.py; here the
        # first, the largest and the last link of the table, as a browser follows them).
        links = top.locator("#h-pipeline-peer-supporter ~ .table-scroll a[href*='/list/']")
        targets = [(links.nth(i).get_attribute("href"),
                    number(links.nth(i).inner_text()))
                   for i in range(links.count())]
        assert len(targets) >= 10
        for href, expected in dict.fromkeys([targets[0], max(targets, key=lambda t: t[1]),
                                             targets[-1]]):
            top.goto(base + href)
            assert top.locator("td[data-label=Name]").count() == expected, href
            assert "Nobody" not in top.inner_text("main")
        visited.append(top.url)
        # A completion count opens its list too, filtered the same way.
        top.goto(base + "/admin/reports?department=Finance")
        visited.append(top.url)
        completed = top.locator("#h-departments ~ .table-scroll a[href*='column=completed']")
        expected = number(completed.first.inner_text())
        with top.expect_navigation():
            completed.first.click()
        assert "department=Finance" in top.url
        assert top.locator("td[data-label=Name]").count() == expected > 0
        visited.append(top.url)
        top.goto(base + "/privacy")
        assert "Running the programme" in top.inner_text("main")
        visited.append(top.url)
        for width in (1280, 375):
            top.set_viewport_size({"width": width, "height": 900})
            for name, url in zip(("dashboard", "list", "department", "department-list",
                                  "privacy"), visited, strict=True):
                top.goto(url)
                no_sideways_scroll(top, width)
                if name == "dashboard":
                    charts_do_not_overlap(top)
                screenshot(top, f"reports-{name}-{width}")
            axe_check(top, visited)
