"""Readiness (issue 16): current peer supporters per employee on the rosters, against the
target, per organisation and department; its trend over 12 month-ends; who is due to
lapse within 90 days (named, audited); a department under the minimum group size has no
figure of its own; another organisation sees none of it. Every expected figure is worked
out here from the rows themselves, never by the code under test."""

from __future__ import annotations

import csv
import io
import math
import re
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from lms_plugin.audit import AuditEvent
from lms_plugin.certification.models import Certificate
from lms_plugin.content.services import get_catalog
from lms_plugin.demo.seed import STAGES
from lms_plugin.demo.state import LIS
from lms_plugin.extensions import db
from lms_plugin.reporting.queries import Filters
from lms_plugin.reporting.services import build_report
from lms_plugin.reporting.suppression import TOTAL
from lms_plugin.users.models import Enrollment, User
from tests.support import factories
from tests.support.browser import signed_launch
from tests.support.platform import CLAIM
from tests.support.reports import admin_of


def aware(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def text_of(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def verdict(supporters: int, employees: int, per: int = 20) -> str:
    """The sentence the brief asks for, worked out here."""
    needed = math.ceil(employees / per)
    who = "No supporters" if not supporters else (
        f"{supporters} supporter{'' if supporters == 1 else 's'}")
    ratio = f"1 per {round(employees / supporters)}; " if supporters else ""
    short = needed - supporters
    return (f"{who} for {employees} employees ({ratio}target 1 per {per}): "
            + ("met" if short <= 0 else f"short by {short}"))


def expected(organisation_id: int, now: datetime) -> dict[str, Counter[str]]:
    """Per department: employees (an active learner enrolment in the organisation) and,
    among them, current supporters (a programme certificate in force, not expired) and
    those whose last current one expires within 90 days. From the rows, in Python."""
    slugs = set(get_catalog().programmes)
    people = {e.user_id: e.user for e in db.session.scalars(select(Enrollment))
              if e.active and "learner" in e.role_set
              and e.user.organisation_id == organisation_id}
    until: dict[int, datetime] = {}
    for c in db.session.scalars(select(Certificate)):
        if (c.user_id in people and c.programme_slug in slugs and c.current_key is not None
                and c.revoked_at is None and aware(c.expires_at) > now):
            until[c.user_id] = max(until.get(c.user_id, aware(c.expires_at)),
                                   aware(c.expires_at))
    found: dict[str, Counter[str]] = {}
    for uid, person in people.items():
        for group in (person.department or "Not recorded", TOTAL):
            counts = found.setdefault(group, Counter())
            counts["employees"] += 1
            if uid in until:
                counts["supporters"] += 1
                counts["lapsing"] += until[uid] <= now + timedelta(days=90)
    return found


def test_readiness_on_the_demo_organisation(app, registered, seeded):
    with app.app_context(), app.test_request_context():
        want = expected(seeded, datetime.now(UTC))
        view = build_report("readiness", Filters(seeded)).view
    # The seed's plan: every certified or expiring trainee holds a current certificate.
    planned = sum(n for stage, n in STAGES if stage == "certified"
                  or stage.startswith("expiring"))
    assert want[TOTAL]["supporters"] == planned
    assert want[TOTAL]["lapsing"] == sum(n for s, n in STAGES if s.startswith("expiring"))
    assert set(view.rows) == set(want) - {TOTAL}
    for row in (*view.rows, TOTAL):
        counts = want[row]
        assert view.values[(row, TOTAL)] == counts["employees"], row
        assert view.values[(row, "lapsing")] == counts["lapsing"], row
        assert (view.values[(row, "lapsing")] + view.values[(row, "supporting")]
                == counts["supporters"]), row

    admin = admin_of(app, registered)
    page = text_of(admin.client.get("/admin/reports").get_data(as_text=True))
    assert "Readiness: peer supporters" in page and "Peer supporters by month" in page
    total = want[TOTAL]
    assert f"Everyone in scope: {verdict(total['supporters'], total['employees'])}" in page
    for department in view.rows:
        counts = want[department]
        assert (f"{department}: {verdict(counts['supporters'], counts['employees'])}"
                in page)
    summary = text_of(admin.client.get("/admin/reports/summary").get_data(as_text=True))
    assert verdict(total["supporters"], total["employees"]) in summary
    assert "Peer supporters by month" in summary

    # The department filter: that department's line only, the same figures.
    department = view.rows[0]
    filtered = text_of(admin.client.get(
        "/admin/reports", query_string={"department": department}).get_data(as_text=True))
    counts = want[department]
    assert (f"Everyone in scope: {verdict(counts['supporters'], counts['employees'])}"
            in filtered)


def certificate(person: User, issued: datetime, expires: datetime,
                revoked: datetime | None = None, slug: str = "listener",
                current: bool = True) -> Certificate:
    found = Certificate(
        user_id=person.id, programme_slug=slug, programme_version="v1",
        code=uuid.uuid4().hex[:16], holder_name=person.display_name, issued_at=issued,
        expires_at=expires, revoked_at=revoked,
        current_key=f"{person.id}:{slug}" if current else None, evidence_json="{}")
    db.session.add(found)
    db.session.flush()
    return found


def person(issuer: str, name: str, department: str) -> User:
    found = factories.user(name, issuer=issuer)
    found.department = department
    return found


def test_the_lapse_window_and_who_is_due(app, registered, second_platform, sample_content):
    now = datetime.now(UTC)
    with app.app_context():
        # Another organisation's supporter, in a department of the same name: never ours.
        otto = person(second_platform.issuer, "Otto Otherorg", "Finance")
        certificate(otto, now - timedelta(days=600), now + timedelta(days=30))
        issuer = registered.issuer
        due = person(issuer, "Dana Due", "Finance")
        certificate(due, now - timedelta(days=600), now + timedelta(days=89))
        later = person(issuer, "Lee Later", "Finance")
        certificate(later, now - timedelta(days=600), now + timedelta(days=91))
        # Renewed: the old certificate (no longer current) runs out soon, the new later.
        renewed = person(issuer, "Rae Renewed", "Finance")
        certificate(renewed, now - timedelta(days=700), now + timedelta(days=10),
                    current=False)
        certificate(renewed, now - timedelta(days=5), now + timedelta(days=700))
        expired = person(issuer, "Eli Expired", "Finance")
        certificate(expired, now - timedelta(days=800), now - timedelta(days=1))
        revoked = person(issuer, "Ray Revoked", "Finance")
        certificate(revoked, now - timedelta(days=100), now + timedelta(days=30),
                    revoked=now - timedelta(days=2))
        trained = person(issuer, "Tia Trained", "Finance")  # the training certificate
        certificate(trained, now - timedelta(days=10), now + timedelta(days=3650),
                    slug="training-complete")
        for i in range(4):
            person(issuer, f"Finance colleague {i}", "Finance")
        gone = person(issuer, "Gil Gone", "Finance")  # left the roster: not counted
        certificate(gone, now - timedelta(days=10), now + timedelta(days=30))
        db.session.scalars(select(Enrollment).where(
            Enrollment.user_id == gone.id)).one().active = False
        db.session.commit()
        organisation_id = factories.organisation_of(issuer)
    with app.app_context(), app.test_request_context():
        view = build_report("readiness", Filters(organisation_id)).view
        assert view.values[("Finance", "lapsing")] == 1
        assert view.values[("Finance", "supporting")] == 2  # Lee, Rae
        assert view.values[("Finance", TOTAL)] == 10

    admin = admin_of(app, registered)
    listing = admin.client.get("/admin/reports/list/readiness",
                               query_string={"row": "Finance", "column": "lapsing"})
    assert listing.status_code == 200
    html = listing.get_data(as_text=True)
    assert html.count('data-label="Name"') == 1
    assert "Dana Due" in html and "Certificate expires" in html
    for other in ("Lee Later", "Rae Renewed", "Eli Expired", "Ray Revoked", "Gil Gone",
                  "Otto Otherorg"):
        assert other not in html
    with app.app_context():
        seen = db.session.scalars(select(AuditEvent).where(
            AuditEvent.action == "report.list.view")).all()
        assert [e for e in seen if '"readiness"' in e.detail_json
                and '"lapsing"' in e.detail_json]
    page = text_of(admin.client.get("/admin/reports").get_data(as_text=True))
    assert f"Finance: {verdict(3, 10)}" in page


def test_a_department_under_the_minimum_group_size_has_no_figure(app, registered,
                                                                  sample_content):
    now = datetime.now(UTC)
    with app.app_context():
        issuer = registered.issuer
        for i in range(6):
            someone = person(issuer, f"Ops person {i}", "Operations")
            if i < 2:
                certificate(someone, now - timedelta(days=30), now + timedelta(days=500))
        for i in range(3):
            someone = person(issuer, f"Legal person {i}", "Legal")
            if i == 0:
                certificate(someone, now - timedelta(days=30), now + timedelta(days=500))
        db.session.commit()
        organisation_id = factories.organisation_of(issuer)
    with app.app_context(), app.test_request_context():
        for key in ("readiness", "readiness-trend"):  # Legal alone: nothing at all
            legal = build_report(key, Filters(organisation_id, None, "Legal")).view
            assert set(legal.values.values()) == {None}, key
        trend = build_report("readiness-trend", Filters(organisation_id)).view
        assert None not in trend.values.values()  # the organisation's is shown
        view = build_report("readiness", Filters(organisation_id)).view
        assert view.hidden == {("Legal", c) for c in (*view.columns, TOTAL)}
        assert view.values[("Operations", TOTAL)] == 6
        assert view.values[(TOTAL, TOTAL)] == 9

    admin = admin_of(app, registered)
    page = text_of(admin.client.get("/admin/reports").get_data(as_text=True))
    assert "Legal: too few people for a figure of its own (fewer than 5 employees)" in page
    assert f"Operations: {verdict(2, 6)}" in page
    assert f"Everyone in scope: {verdict(3, 9)}" in page
    app.config["LMS_PLUGIN_READINESS_TARGET_PER"] = 2  # the setting: a stricter target
    stricter = text_of(admin.client.get("/admin/reports").get_data(as_text=True))
    assert f"Operations: {verdict(2, 6, per=2)}" in stricter
    assert "short by 1" in verdict(2, 6, per=2)
    assert admin.client.get("/admin/reports/list/readiness", query_string={
        "row": "Legal", "column": "supporting"}).status_code == 404
    table = {row[0]: row[1:] for row in csv.reader(io.StringIO(admin.client.get(
        "/admin/reports/readiness.csv").get_data(as_text=True)))}
    assert table["Legal"] == ["hidden"] * 4
    assert table["Operations"] == ["0", "2", "4", "6"]


def month_end(now: datetime, back: int) -> tuple[str, datetime]:
    """The key and counting moment of the month `back` months before this one (0: this
    month, counted now), worked out here."""
    year, month = now.year, now.month - back
    while month < 1:
        year, month = year - 1, month + 12
    nxt = (year + (month == 12), month % 12 + 1)
    end = now if back == 0 else datetime(nxt[0], nxt[1], 1, tzinfo=UTC)
    return f"{year:04d}-{month:02d}", end


def test_the_trend_follows_expiry_and_revocation(app, registered, sample_content):
    now = datetime.now(UTC)
    with app.app_context():
        issuer = registered.issuer
        people = []
        for i in range(5):
            people.append(person(issuer, f"Team member {i}", "Operations"))
        # Expired mid-year; revoked mid-year; certified recently; lapsed, re-enrolled
        # and certified again (two certificates, a gap between them).
        spans = {0: [(now - timedelta(days=500), now - timedelta(days=170), None, False)],
                 1: [(now - timedelta(days=330), now + timedelta(days=400),
                      now - timedelta(days=140), True)],
                 2: [(now - timedelta(days=40), now + timedelta(days=700), None, True)],
                 3: [(now - timedelta(days=900), now - timedelta(days=250), None, False),
                     (now - timedelta(days=100), now + timedelta(days=600), None, True)]}
        for i, held in spans.items():
            for issued, expires, revoked, current in held:
                certificate(people[i], issued, expires, revoked, current=current)
        db.session.commit()
        organisation_id = factories.organisation_of(issuer)
    with app.app_context(), app.test_request_context():
        view = build_report("readiness-trend", Filters(organisation_id)).view
    months = [month_end(now, back) for back in range(11, -1, -1)]
    assert list(view.rows) == [key for key, _ in months]
    series = []
    for key, end in months:
        want = sum(any(issued <= end < expires and (revoked is None or revoked > end)
                       for issued, expires, revoked, _ in held) for held in spans.values())
        series.append(want)
        assert view.values[(key, "supporters")] == want, key
    assert len(set(series)) > 1  # the history moves: expiry and revocation show
    assert series[-1] == 2  # today: the recent one and the one certified again

    admin = admin_of(app, registered)
    key, end = months[0]
    listing = admin.client.get("/admin/reports/list/readiness-trend",
                               query_string={"row": key, "column": "supporters"})
    html = listing.get_data(as_text=True)
    assert html.count('data-label="Name"') == series[0]
    assert ("Team member 0" in html) == (end < now - timedelta(days=170))
    assert admin.client.get("/admin/reports/list/readiness-trend",
                            query_string={"row": "1999-01"}).status_code == 404


def test_another_organisation_sees_none_of_it(app, registered, seeded, second_platform):
    theirs = app.test_client()
    assert signed_launch(theirs, second_platform, sub="admin-b", name="Bo Secondorg", **{
        CLAIM + "roles": [LIS + "institution/person#Administrator"]}).status_code == 302
    page = text_of(theirs.get("/admin/reports").get_data(as_text=True))
    assert "Readiness: peer supporters" in page
    assert "Everyone in scope: nobody on the rosters yet" in page
    for key in ("readiness", "readiness-trend"):
        listing = theirs.get(f"/admin/reports/list/{key}")
        assert listing.status_code == 200
        assert 'data-label="Name"' not in listing.get_data(as_text=True)
        rows = list(csv.reader(io.StringIO(
            theirs.get(f"/admin/reports/{key}.csv").get_data(as_text=True))))
        assert {v for row in rows[1:] for v in row[1:]} == {"0"}, key  # every count is 0
    with app.app_context():
        ours = db.session.scalars(select(User.name).where(
            User.organisation_id == seeded, User.name.is_not(None))).all()
    summary = theirs.get("/admin/reports/summary").get_data(as_text=True)
    assert not any(name in summary for name in ours)
