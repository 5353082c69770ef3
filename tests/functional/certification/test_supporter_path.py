"""Whether someone is on the peer-supporter path (enrolled in a programme) is read with
the signed-in person (a session fact, certification.path): the programme and module pages
ask no query of their own; a request that may change it asks the database."""

from __future__ import annotations

import pytest
from flask import g
from flask_login import login_user

from lms_plugin.certification.enrolments import enrol
from lms_plugin.certification.path import ENROLLED, on_supporter_path
from tests.support import factories
from tests.support.quiz import csrf
from tests.support.statements import Statements

# Counts statements (test_a_page_reads_the_path_with_the_person): real transactions.
pytestmark = pytest.mark.commits


def test_a_page_reads_the_path_with_the_person(app, lti, sample_content):
    lti.launch(persona="learner")
    assert "every employee" in lti.client.get("/").get_data(as_text=True)
    page = lti.client.get("/programmes/listener").get_data(as_text=True)
    lti.client.post("/programmes/listener/enrol", data={"csrf_token": csrf(page)})
    with Statements(app) as counted:
        overview = lti.client.get("/").get_data(as_text=True)
    assert "peer-supporter path" in overview
    assert "programme_enrolment" not in counted.tables()
    assert "programme_enrolment" in counted.sent[0]  # in the person's statement


def test_a_request_that_enrols_asks_the_database(app, sample_content):
    with app.app_context():
        person = factories.user("Enrolling Now")
        # The fact read at the request's start says "not enrolled"; the request enrols.
        for method, answer in (("GET", False), ("POST", True)):  # GETs change nothing
            with app.test_request_context("/", method=method):
                login_user(person)
                g.session_facts = {ENROLLED: False}
                enrol(person, "listener")
                assert on_supporter_path(person) is answer
        with app.test_request_context("/", method="GET"):
            login_user(factories.user("Someone Else"))
            g.session_facts = {ENROLLED: False}  # the signed-in person's, not theirs
            assert on_supporter_path(person) is True
