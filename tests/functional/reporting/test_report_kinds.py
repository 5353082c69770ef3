"""Programme administration vs evaluation, on the seeded demo organisation: every count
of an administration report equals the length of its named list, for every cell and every
filter, and is never "hidden"; evaluation stays suppressed and has no lists; another
organisation sees none of it."""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

import pytest
from flask import url_for
from sqlalchemy import select

from lms_plugin.audit import AuditEvent
from lms_plugin.demo.state import LIS
from lms_plugin.extensions import db
from lms_plugin.reporting.queries import Filters
from lms_plugin.reporting.services import (
    ADMINISTRATION,
    EVALUATION,
    KINDS,
    Sources,
    build_report,
    kind_of,
    members,
    report_keys,
)
from lms_plugin.reporting.suppression import TOTAL
from lms_plugin.users.models import User
from tests.support.browser import signed_launch
from tests.support.platform import CLAIM
from tests.support.reports import admin_of, every_filter

GROUPED = ("readiness", "readiness-trend")


def test_every_report_says_what_kind_it_is():
    assert set(KINDS.values()) == {ADMINISTRATION, EVALUATION}
    assert kind_of("pipeline-peer-supporter") == ADMINISTRATION
    assert kind_of("survey-pre") == kind_of("quiz-results") == EVALUATION
    with pytest.raises(LookupError):
        kind_of("nothing")


def test_every_administration_count_is_its_named_list(app, seeded):
    """Every cell, for the whole organisation and for the narrowest filter (one course
    and one department); for each other filter, every row's and column's total: a filter
    narrows the lists by the same condition in every cell (`where_of`), and checking each
    of its cells as well took 3,800 lists and a tenth of the reporting tests' time."""
    with app.app_context(), app.test_request_context():
        checked = 0
        sources = Sources(seeded)  # the one pass every report is cut from, as the dashboard
        filters_list = every_filter(seeded)
        every_cell = (filters_list[0], filters_list[-1])
        for filters in filters_list:
            for key in report_keys():
                report = build_report(key, filters, sources)
                view = report.view
                if report.kind == EVALUATION:
                    with pytest.raises(LookupError):
                        members(report, filters, TOTAL, TOTAL)
                    continue
                # Never "hidden", except readiness's groups too small for a figure of
                # their own (a course's department, say): then every cell of the group.
                if key not in GROUPED:
                    assert not view.hidden, (key, filters)
                for row in (*view.rows, TOTAL):
                    for column in (*view.columns, TOTAL):
                        if filters not in every_cell and TOTAL not in (row, column):
                            continue
                        if view.values[(row, column)] is None:  # a whole group
                            assert {v for (r, _), v in view.values.items() if r == row} \
                                == {None}, (key, filters, row)
                            with pytest.raises(LookupError):
                                members(report, filters, row, column)
                            continue
                        listed = members(report, filters, row, column)
                        assert len(listed) == view.values[(row, column)], (
                            key, filters, row, column)
                        checked += 1
        assert checked > 500


def test_evaluation_stays_suppressed_on_the_seeded_organisation(app, seeded):
    with app.app_context(), app.test_request_context():
        org = seeded
        # One department's quiz results, in one course: a small group somewhere is hidden.
        hidden = [key for key in ("quiz-results", "survey-pre", "survey-post")
                  for filters in every_filter(org) if build_report(key, filters).view.hidden]
        assert hidden
        survey = build_report("survey-pre", Filters(org))
        assert survey.view.total is None or survey.view.total > 0


def test_the_dashboard_links_each_count_to_a_list_of_that_many(app, registered, seeded):
    admin = admin_of(app, registered)
    page = admin.client.get("/admin/reports").get_data(as_text=True)
    administration = page.split('id="h-administration"')[1].split('id="h-evaluation"')[0]
    evaluation = page.split('id="h-evaluation"')[1]
    assert "hidden" not in re.sub(r"<[^>]+>", " ", administration).split()
    assert "/admin/reports/list/" not in evaluation  # no names for how people answered
    links = re.findall(r'<a href="(/admin/reports/list/pipeline-peer-supporter[^"]*)">(\d+)<',
                       administration)
    assert len(links) >= 10
    for href, count in links:
        listing = admin.client.get(href.replace("&amp;", "&"))
        assert listing.status_code == 200
        html = listing.get_data(as_text=True)
        assert html.count('data-label="Name"') == int(count) > 0, href
        assert "Nobody" not in html
    with app.app_context():
        assert db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "report.list.view")).all()
    assert admin.client.get("/admin/reports/list/survey-pre").status_code == 404
    assert admin.client.get("/admin/reports/list/quiz-results?row=People").status_code == 404
    assert admin.client.get("/admin/reports/list/modules?row=nothing").status_code == 404


def test_every_list_link_is_the_address_url_for_builds(app, registered, seeded):
    """The dashboard adds each count's query to its report's address itself: the same
    address url_for gives, the query encoded alike and no "?" without one."""
    admin = admin_of(app, registered)
    for query in ("", "?department=Customer+Service"):
        page = admin.client.get("/admin/reports" + query).get_data(as_text=True)
        hrefs = [h.replace("&amp;", "&") for h in
                 re.findall(r'href="(/admin/reports/list/[^"]*)"', page)]
        assert len(hrefs) > 50
        with app.test_request_context():
            for href in hrefs:
                path, _, encoded = href.partition("?")
                assert url_for("reporting.report_people", key=path.rsplit("/", 1)[1],
                               **dict(parse_qsl(encoded))) == href
        assert any("?" not in href for href in hrefs) == (query == "")


LINK = re.compile(r'<a href="/admin/reports/list/([^"?]*)(?:\?([^"]*))?">(\d+)'
                  r'<span class="visually-hidden">: ([^<]*)</span></a>')


@pytest.mark.parametrize(("locale", "words", "everyone", "counted"), [
    ("en", "list of", "all", "everyone counted"),
    ("es-ES", "lista de", "todo", "todas las personas contadas")])
def test_a_linked_count_says_what_it_lists(app, registered, seeded, locale, words, everyone,
                                           counted):
    """To a screen reader each linked count is "list of <row>, <column>" in the page's
    language (the words translated once per page, not per count); a total says "all" for
    its row or column, the grand total "everyone counted"."""
    admin = admin_of(app, registered, locale=locale)
    page = admin.client.get("/admin/reports").get_data(as_text=True)
    links = LINK.findall(page)
    assert len(links) > 50
    for _key, query, _count, said in links:
        args = dict(parse_qsl(query.replace("&amp;", "&")))
        assert said.startswith(words + " "), said
        what = said.removeprefix(words + " ")
        if not args.keys() & {"row", "column"}:
            assert what == counted, said
            continue
        # "<row>, <column>" (a label may hold a comma too: the ends are what is known)
        assert ", " in what, said
        assert what.startswith(everyone + ", ") == ("row" not in args), said
        assert what.endswith(", " + everyone) == ("column" not in args), said
    assert any(said.endswith(", " + everyone) for *_, said in links)


def test_another_organisation_sees_none_of_it(app, registered, seeded, second_platform):
    theirs = app.test_client()
    assert signed_launch(theirs, second_platform, sub="admin-b", name="Bo Secondorg", **{
        CLAIM + "roles": [LIS + "institution/person#Administrator"]}).status_code == 302
    page = theirs.get("/admin/reports").get_data(as_text=True)
    assert "/admin/reports/list/" not in page  # nothing to count, nothing to list
    listing = theirs.get("/admin/reports/list/pipeline-peer-supporter?row=certified")
    assert listing.status_code == 200
    assert 'data-label="Name"' not in listing.get_data(as_text=True)
    with app.app_context():
        ours = db.session.scalars(select(User.id).where(User.organisation_id == seeded)).first()
    assert theirs.get(f"/admin/reports/people/{ours}").status_code == 404
