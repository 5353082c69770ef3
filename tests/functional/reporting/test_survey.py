"""The pre/post survey: optional, answered once, stored without a link to the person, and
shown to admins only as suppressed totals with a before/after comparison."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, inspect, select

from lms_plugin.extensions import db
from lms_plugin.reporting.models import SurveyCompletion, SurveyTally
from lms_plugin.reporting.survey import record_answers
from lms_plugin.users.models import User
from tests.support import factories
from tests.support.browser import ClientBrowser, parse_form


def test_a_learner_answers_once_and_the_answers_carry_no_link(app, registered, sample_content):
    learner = ClientBrowser(app.test_client(), registered.url)
    overview = learner.launch(persona="learner").get_data(as_text=True)
    assert "/survey/pre" in overview  # invited before starting
    page = learner.client.get("/survey/pre").get_data(as_text=True)
    assert "Prefer not to say" in page
    form = parse_form(page)
    garbage = learner.client.post("/survey/pre", data={
        "csrf_token": form.fields["csrf_token"], "item_comfort-talking": "9"})
    assert garbage.status_code == 422
    with app.app_context():
        assert not db.session.scalar(select(func.sum(SurveyTally.people)))
    sent = learner.client.post("/survey/pre", data={
        "csrf_token": form.fields["csrf_token"], "item_comfort-talking": "2",
        "item_know-where-help": "skip", "item_need-to-hide": "4"})
    assert sent.status_code == 302
    again = learner.client.post("/survey/pre", data={
        "csrf_token": form.fields["csrf_token"], "item_comfort-talking": "5"})
    assert again.status_code == 302  # already answered: nothing more stored
    with app.app_context():
        counted = db.session.scalars(select(SurveyTally).where(SurveyTally.people > 0)).all()
        assert sorted((r.item_id, r.value, r.people) for r in counted) == [
            ("comfort-talking", 2, 1), ("need-to-hide", 4, 1)]
        columns = {c.name for c in inspect(SurveyTally).columns}
        assert not columns & {"user_id", "user", "created_at", "sub", "email"}
        assert db.session.scalar(select(func.count()).select_from(SurveyCompletion)) == 1
    assert "/survey/pre" not in learner.client.get("/").get_data(as_text=True)


def test_admins_see_before_and_after_only_for_big_enough_groups(app, registered,
                                                                sample_content):
    with app.app_context():
        for i in range(8):
            person = factories.user(f"P{i}", issuer=registered.issuer)
            record_answers(person, "pre", {"comfort-talking": 2 if i < 6 else 3})
            if i < 6:
                record_answers(person, "post", {"comfort-talking": 4})
        db.session.commit()
    admin = ClientBrowser(app.test_client(), registered.url)
    admin.launch(persona="admin")
    def row(phase: str) -> list[str]:
        text = admin.client.get(f"/admin/reports/survey-{phase}.csv").get_data(as_text=True)
        return next(r for r in csv.reader(io.StringIO(text))
                    if r[0].startswith("I feel comfortable"))

    pre_row, post_row = row("pre"), row("post")
    # Before: 6 disagree, 2 neither (hidden, and so one more with it); after: 6 agree.
    assert pre_row[3] == "hidden" and "2" not in pre_row[1:6]
    assert post_row[4] == "6" and post_row[-1] == "6"
    page = admin.client.get("/admin/reports").get_data(as_text=True)
    assert "100%" in page  # after: everyone who answered agrees
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(User)) >= 8


def test_the_post_survey_is_offered_once_every_module_is_complete(app, registered,
                                                                  sample_content):
    """Read with the person's progress (training's progress facts): offered when every
    module of their path is complete, and no longer once answered."""
    from lms_plugin.reporting.models import POST

    learner = ClientBrowser(app.test_client(), registered.url)
    learner.launch(persona="learner")
    with app.app_context():
        me = db.session.scalars(select(User).where(User.sub == "demo-learner-1")).one()
        factories.completed(me, "listening")
        me_id = me.id
        db.session.commit()
    overview = learner.client.get("/").get_data(as_text=True)
    assert "/survey/post" in overview and "/survey/pre" not in overview
    with app.app_context():
        db.session.add(SurveyCompletion(user_id=me_id, phase=POST))
        db.session.commit()
    assert "/survey/" not in learner.client.get("/").get_data(as_text=True)
