"""Browser journeys' helpers: axe-core checks, opening the tool in the demo LMS, and the
shipped quizzes' right answers."""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).parents[2]


def serious(page) -> list[str]:
    """axe-core's serious and critical violations on the page. Only violations come back
    (`resultTypes`): the passing and inapplicable checks' node lists, which no test
    reads, doubled the cost of a check (0.53 s to 0.34 s a page)."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={
        "runOnly": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"],
        "resultTypes": ["violations"]})
    return [
        f"{v['id']} ({v['impact']}): {v['help']} at {[n['target'] for n in v['nodes']][:3]}"
        for v in results.response["violations"] if v["impact"] in ("serious", "critical")
    ]


def axe_check(page, urls: list[str]) -> None:
    """axe-core on every page a journey visited, opened at the top level with the same
    session (the demo serves the LMS and the tool from one origin): no serious or critical
    violation."""
    found = {}
    for url in dict.fromkeys(urls):
        page.goto(url)
        found[url] = serious(page)
    assert not any(found.values()), found


def correct_answers(slug: str) -> dict[str, set[str]]:
    quiz = yaml.safe_load((ROOT / "quizzes" / f"{slug}.yaml").read_text())
    answers: dict[str, set[str]] = {}
    for question in quiz["questions"]:
        for part in question.get("parts") or [question]:
            name = f"q-{question['id']}" + (f"-{part['id']}" if part is not question else "")
            answers[name] = {o["id"] for o in part["options"] if o["correct"]}
    return answers


def answer(tool, right: bool, key: dict[str, set[str]]) -> None:
    inputs = tool.eval_on_selector_all(
        "form input[type=radio][name^='q-'], form input[type=checkbox][name^='q-']",
        "els => els.map(e => [e.name, e.value, e.type])")
    groups: dict[str, list[tuple[str, str]]] = {}
    for name, value, kind in inputs:
        groups.setdefault(name, []).append((value, kind))
    assert groups, "the quiz page shows no questions"
    for name, options in groups.items():
        wanted = key[name] if right else {next(v for v, _ in options if v not in key[name])}
        for value, _kind in options:
            if value in wanted:
                tool.check(f'input[name="{name}"][value="{value}"]')


def open_tool(context, base: str, persona: str, course: str = "peer-support"):
    page = context.new_page()
    page.goto(f"{base}/demo/course/{course}?persona={persona}")
    # A supervisor's launch lands on their queue; everyone else's on their programme.
    heading = "Supervision" if persona == "supervisor" else "Your peer support programme"
    page.frame_locator("iframe.lti-frame").get_by_role(
        "heading", name=heading, exact=persona == "supervisor").wait_for(timeout=15000)
    tool = next(f for f in page.frames if f.url.startswith(base + "/") and
                "/demo" not in f.url)
    return page, tool
