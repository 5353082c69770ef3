"""A certified peer supporter who completed the refresher can log its time as continuing
education in one step: the hours form comes filled in (kind, estimated time, the day), and
still goes to their supervisor to approve."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from lms_plugin.certification.models import Certificate
from lms_plugin.extensions import db
from tests.support import factories
from tests.support.authorization import Person, client_for


def _certified_supporter(refresher_done: bool) -> tuple[int, int]:
    """A peer supporter certified 300 days ago (renewal is open), with a supervisor;
    returns their id and the supervisor's."""
    supporter = factories.user("Sam Okafor")
    supervisor = factories.user("Jordan Lee", roles="mentor")
    factories.mentor_of(supervisor, supporter)
    factories.enrolled(supporter, "peer-supporter", days_ago=400)
    issued = datetime.now(UTC) - timedelta(days=300)
    db.session.add(Certificate(
        user_id=supporter.id, programme_slug="peer-supporter", programme_version="v1",
        code="REFRESHER-TEST", holder_name=supporter.display_name, issued_at=issued,
        expires_at=issued + timedelta(days=730), current_key=f"{supporter.id}:peer-supporter",
        evidence_json="{}"))
    if refresher_done:
        factories.completed(supporter, "refresher", 100)
    db.session.commit()
    return supporter.id, supervisor.id


def _selected(page: str, name: str) -> str:
    """The value of the option selected in that select ("" when none is)."""
    block = page.split(f'name="{name}"', 1)[1].split("</select>", 1)[0]
    found = re.search(r'<option selected value="([^"]*)"', block)
    return found.group(1) if found else ""


def test_a_completed_refresher_fills_in_the_hours_form(app, shipped_content):
    with app.app_context():
        supporter, _ = _certified_supporter(refresher_done=True)
    client = client_for(app, Person(supporter, ["learner"]))
    page = client.get("/programmes/peer-supporter").get_data(as_text=True)
    assert "Refreshers you completed" in page
    assert "/programmes/peer-supporter?refresher=refresher#log-hours" in page
    plain = client.get("/programmes/peer-supporter").get_data(as_text=True)
    assert _selected(plain, "category") in ("", "practice")

    filled = client.get("/programmes/peer-supporter?refresher=refresher")
    assert filled.status_code == 200
    html = filled.get_data(as_text=True)
    assert _selected(html, "category") == "continuing"
    assert _selected(html, "kind") == "general"
    # 24 estimated minutes: half an hour, in whole quarters rounded up.
    assert 'name="hours"' in html and 'value="0.50"' in html
    today = datetime.now(UTC).date().isoformat()
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date().isoformat()
    assert f'value="{today}"' in html or f'value="{yesterday}"' in html


def test_a_refresher_not_completed_or_not_a_refresher_is_refused(app, shipped_content):
    with app.app_context():
        supporter, _ = _certified_supporter(refresher_done=False)
    client = client_for(app, Person(supporter, ["learner"]))
    page = client.get("/programmes/peer-supporter").get_data(as_text=True)
    assert "Refreshers you completed" not in page
    for slug in ("refresher", "awareness", "no-such-module"):
        refused = client.get(f"/programmes/peer-supporter?refresher={slug}")
        assert refused.status_code == 404, slug
        assert "You have not completed that refresher." in refused.get_data(as_text=True)


def test_another_persons_refresher_does_not_fill_in_mine(app, shipped_content):
    with app.app_context():
        factories.completed(factories.user("Other Org Person", issuer="https://other.example"),
                            "refresher", 100)
        supporter, _ = _certified_supporter(refresher_done=False)
    client = client_for(app, Person(supporter, ["learner"]))
    assert client.get("/programmes/peer-supporter?refresher=refresher").status_code == 404
