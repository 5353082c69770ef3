"""Personal data is never kept by a browser or proxy cache (issue 11, finding 12): every
response to a signed-in session, every export and the personal data download say
`Cache-Control: no-store`; public static files stay cacheable. And a page title never
carries markup (the person page's <title> held the erase form, CSRF token included)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import select

from lms_plugin.extensions import db
from lms_plugin.users.models import User
from tests.support import factories
from tests.support.authorization import ROLES, client_for, url_for_rule
from tests.support.browser import ClientBrowser

TEMPLATES = Path(__file__).parents[2] / "lms_plugin" / "templates"


def no_store(response) -> bool:
    response.close()  # static files are streamed from disk
    return "no-store" in response.headers.get("Cache-Control", "")


@pytest.mark.one_database
def test_every_page_a_signed_in_person_can_get_is_no_store(app, world):
    """Every GET endpoint in the URL map, as every signed-in role: whatever it answers
    (a page, a file, a redirect or a refusal) is not stored."""
    rules = [r for r in app.url_map.iter_rules()
             if r.endpoint != "static" and "GET" in r.methods]
    assert len(rules) > 30
    failures = []
    reached = 0
    for rule in rules:
        url = url_for_rule(rule, world.values, world.rejected_id)
        for role in ROLES:
            if role == "anonymous":
                continue
            response = client_for(app, world.own[role]).get(url)
            reached += response.status_code < 300
            if not no_store(response):
                failures.append(f"GET {url} as {role}: {response.status_code}, "
                                f"Cache-Control {response.headers.get('Cache-Control')!r}")
    assert reached > 100  # mostly real pages, not refusals
    assert not failures, "\n".join(failures)


def test_exports_and_the_personal_data_download_are_no_store(app, registered, sample_content):
    admin = ClientBrowser(app.test_client(), registered.url)
    admin.launch(persona="admin")
    for path in ("/admin/reports/people.csv", "/admin/reports/modules.csv",
                 "/privacy/my-data.json"):
        response = admin.client.get(path)
        assert response.status_code == 200, path
        assert response.get_data()  # streamed: read it all before the next request
        assert response.headers["Cache-Control"] == "no-store", path


def test_public_static_files_and_public_pages_without_a_session_stay_cacheable(client):
    assert not no_store(client.get("/static/style.css"))
    assert not no_store(client.get("/privacy"))
    assert not no_store(client.get("/verify/NOSUCHCODE"))


def test_static_files_stay_cacheable_for_a_signed_in_person(app, world):
    assert not no_store(client_for(app, world.own["admin"]).get("/static/style.css"))


def title_of(html: str) -> str:
    found = re.findall(r"<title>(.*?)</title>", html, flags=re.S)
    assert len(found) == 1, found
    return found[0]


def test_the_person_page_title_is_the_name_and_nothing_else(app, registered, sample_content):
    with app.app_context():
        person_id = factories.user("Sam Okafor", issuer=registered.issuer).id
        db.session.commit()
    admin = ClientBrowser(app.test_client(), registered.url)
    admin.launch(persona="admin")
    page = admin.client.get(f"/admin/people/{person_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    title = title_of(html)
    assert title.startswith("Sam Okafor · ")
    assert "<" not in title and "csrf" not in title.lower() and "Erase" not in title
    # The erase form is still on the page, once (besides the header's sign-out form).
    assert html.count(f'action="/admin/people/{person_id}/erase"') == 1
    assert html.count("Erase this person&#39;s records") + html.count(
        "Erase this person's records") == 1
    with app.app_context():
        assert db.session.scalars(select(User.name).where(User.id == person_id)).one()


def test_no_template_puts_markup_in_its_title():
    """A block placed inside {% block title %} by mistake shows up in the tab and in
    history: every title block holds text and expressions only."""
    offenders = []
    for path in TEMPLATES.rglob("*.html"):
        for block in re.findall(r"{% block title %}(.*?){% endblock %}", path.read_text(),
                                flags=re.S):
            if "<" in block or "csrf" in block or "\n" in block:
                offenders.append(f"{path.relative_to(TEMPLATES)}: {block[:60]!r}")
    assert not offenders
