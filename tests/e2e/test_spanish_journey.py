"""The learner's journey in Spanish, in real headless Chromium with axe-core: the demo LMS
launches the course with `launch_presentation.locale` es-ES (the browser itself asks for
English), and every page of the journey is in Spanish, marked lang="es", the awareness
lessons included (content not yet translated would be marked lang="en"), with no serious
or critical WCAG violation."""

from __future__ import annotations

import pytest

from tests.support.chromium import chromium, requires_chromium, screenshot
from tests.support.e2e import serious

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.browser,
    requires_chromium,
]


def test_the_learner_journey_in_spanish_has_no_serious_violations(demo):
    base, _ = demo
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1100, "height": 900}, locale="en-US")
        page.goto(base + "/demo/course/wellbeing-101?persona=learner&locale=es-ES")
        page.frame_locator("iframe.lti-frame").get_by_role(
            "heading", name="Tu programa de apoyo entre pares").wait_for(timeout=15000)
        checked: dict[str, list[str]] = {}

        def check(name: str, url: str | None = None) -> None:
            if url:
                page.goto(base + url)
            assert page.locator("html").get_attribute("lang") == "es", name
            checked[name] = serious(page)
            screenshot(page, f"a11y-es-{name}")

        check("overview", "/")
        assert page.get_by_role("link", name="Obtener ayuda ahora").count()
        check("module", "/modules/awareness")
        check("lesson", "/modules/awareness/lessons/1")
        page.get_by_role("heading", name="Por qué importa la salud mental en el trabajo",
                         level=1).wait_for()  # the module's Spanish translation
        page.get_by_role("button", name="Marcar como completada y continuar").click()
        page.wait_for_url("**/lessons/2")
        check("help", "/help")
        assert "marca 2" in page.content()
        page.goto(base + "/quiz/awareness")
        check("quiz-start")
        page.get_by_role("button", name="Empezar el cuestionario").click()
        page.wait_for_url("**/quiz/attempts/*")
        check("quiz-attempt")
        while True:  # the first option everywhere, page by page
            for group in page.locator("fieldset").all():
                group.locator("input").first.check()
            following = page.get_by_role("button", name="Siguiente pregunta")
            if not following.count():
                break
            with page.expect_navigation():
                following.click()
        with page.expect_navigation():
            page.locator(".quiz-actions").get_by_role(
                "button", name="Revisar tus respuestas y enviar").click()
        check("quiz-summary")
        page.get_by_role("button", name="Enviar respuestas").click()
        page.wait_for_url("**/review")
        check("quiz-review")
        assert "Tu puntuación es" in page.content()
        check("privacy", "/privacy")
        assert checked and not any(checked.values()), checked
