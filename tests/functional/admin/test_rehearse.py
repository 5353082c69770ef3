"""Rehearsing a rule change at /admin/programmes/rehearse and with `lms-plugin programme
simulate`: counts by status move, names only when asked (audited), one organisation never
sees another's people, a broken draft is refused with its problem named and nothing
stored, and publishing a new version keeps certificates on the version they were earned
under."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import yaml
from sqlalchemy import func, select

from lms_plugin.audit import AuditEvent
from lms_plugin.certification.models import Certificate
from lms_plugin.certification.rules import CERTIFIED
from lms_plugin.certification.standing import get_standing
from lms_plugin.content.models import ContentVersion
from lms_plugin.content.services import sync_content
from lms_plugin.extensions import db
from lms_plugin.users.models import User
from tests.support import factories
from tests.support.admin import certified, events, signed_in
from tests.support.authorization import OTHER_ISSUER, csrf_token

SAMPLE = Path(__file__).parents[2] / "content" / "sample"


def draft(**changes) -> bytes:
    """The sample programme with `changes` (a stricter deadline, say) as a new version."""
    data = yaml.safe_load((SAMPLE / "certifications" / "listener.yaml").read_text())
    for key, value in changes.items():
        data[key] = {**data.get(key, {}), **value} if isinstance(value, dict) else value
    return yaml.safe_dump(data).encode()


STRICTER = draft(provisional={"deadline_days": 3})  # everyone enrolled 7 days ago: late


def setting(app):
    """Own organisation: Pat (provisional, enrolled 7 days ago), Sam (certified), an admin;
    the second organisation: Quinn (provisional) and its admin."""
    with app.app_context():
        pat = factories.user("Pat Kowalski")
        factories.completed(pat, "listening", 90)
        factories.enrolled(pat, "listener", days_ago=7)
        sam = factories.user("Sam Okafor")
        mentor = factories.user("Jordan Lee", roles="mentor")
        factories.mentor_of(mentor, sam)
        certified(sam, mentor)
        admin = factories.user("Riley Chen", roles="admin")
        quinn = factories.user("Quinn Other", issuer=OTHER_ISSUER)
        factories.completed(quinn, "listening", 90)
        factories.enrolled(quinn, "listener", days_ago=7)
        other_admin = factories.user("Oona Admin", roles="admin", issuer=OTHER_ISSUER)
        db.session.commit()
        return {"pat": pat.id, "sam": sam.id, "admin": admin.id, "quinn": quinn.id,
                "other_admin": other_admin.id}


def upload(app, client, body: bytes, name: str = "listener.yaml", **fields):
    return client.post("/admin/programmes/rehearse", data={
        "csrf_token": csrf_token(app), "draft": (io.BytesIO(body), name), **fields},
        content_type="multipart/form-data")


def stored(app) -> tuple[int, int]:
    with app.app_context():
        return (db.session.scalar(select(func.count()).select_from(ContentVersion)) or 0,
                db.session.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def test_counts_by_move_then_names_only_when_asked_and_audited(app, sample_content):
    ids = setting(app)
    admin = signed_in(app, ids["admin"], ["admin"])
    assert admin.get("/admin/programmes/rehearse").status_code == 200

    response = upload(app, admin, STRICTER)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "2 people enrolled" in html and "1 would change status" in html
    assert "<td>Provisional</td><td>Lapsed</td><td>1</td>" in html
    assert "Pat Kowalski" not in html and "Quinn" not in html  # counts only
    assert events(app, "programme.rehearsal.names") == []

    text = STRICTER.decode()
    names = admin.post("/admin/programmes/rehearse", data={
        "csrf_token": csrf_token(app), "text": text, "names": "y"})
    assert names.status_code == 200
    html = names.get_data(as_text=True)
    assert "Pat Kowalski" in html
    assert "Sam Okafor" not in html  # certified under either version: not moved
    assert "Quinn Other" not in html  # another organisation's person
    listed = events(app, "programme.rehearsal.names")
    assert len(listed) == 1 and listed[0].actor_id == ids["admin"]
    assert '"moved": 1' in listed[0].detail_json


def test_the_second_organisation_sees_only_its_own_people(app, sample_content):
    ids = setting(app)
    other = signed_in(app, ids["other_admin"], ["admin"])
    response = other.post("/admin/programmes/rehearse", data={
        "csrf_token": csrf_token(app), "text": STRICTER.decode(), "names": "y"})
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "1 person enrolled" in html and "Quinn Other" in html
    assert "Pat Kowalski" not in html and "Sam Okafor" not in html
    learner = signed_in(app, ids["pat"], ["learner"])
    assert learner.get("/admin/programmes/rehearse").status_code in (403, 404)


def test_a_broken_draft_is_refused_naming_the_problem_and_nothing_is_stored(
        app, sample_content):
    ids = setting(app)
    admin = signed_in(app, ids["admin"], ["admin"])
    before = stored(app)
    cases = [
        (b"id: listener\npractice: [\n  counts\n", 422, "not valid YAML"),
        (draft(validity_months=0), 422, "validity_months"),
        (draft(reenrolment={"hours_within_days": -5}), 422, "hours_within_days"),
        (draft(surprise=True), 422, "surprise"),
        (draft(id="nobody-uses-this"), 422, "not a programme in use"),
        (draft(required_modules=[{"module": "no-such-module"}]), 422, "no-such-module"),
        (b"\xff\xfe\x00not text", 422, "UTF-8"),
        (b"- just\n- a list\n", 422, "expected a mapping"),
    ]
    for body, status, message in cases:
        response = upload(app, admin, body)
        assert response.status_code == status, body
        assert message in response.get_data(as_text=True), body
    empty = admin.post("/admin/programmes/rehearse", data={"csrf_token": csrf_token(app)})
    assert empty.status_code == 400
    assert "Choose a draft programme file" in empty.get_data(as_text=True)
    assert stored(app) == before


def test_the_command_line_prints_counts_without_names(app, sample_content, runner, tmp_path):
    setting(app)
    path = tmp_path / "listener.yaml"
    path.write_bytes(STRICTER)
    result = runner.invoke(args=["programme", "simulate", str(path)])
    assert result.exit_code == 0, result.output
    assert "3 enrolled, 2 would change status" in result.output  # both organisations
    assert "Provisional -> Lapsed: 2" in result.output
    assert "Pat" not in result.output and "Quinn" not in result.output
    with app.app_context():
        own = factories.organisation_of(factories.ISSUER)
    result = runner.invoke(args=["programme", "simulate", str(path), "--organisation",
                                 str(own)])
    assert "2 enrolled, 1 would change status" in result.output

    path.write_bytes(b"id: listener\ntitle: [unclosed\n")
    broken = runner.invoke(args=["programme", "simulate", str(path)])
    assert broken.exit_code != 0
    assert "listener.yaml:3" in broken.output  # where the list runs out
    assert "not valid YAML" in broken.output


def test_publishing_a_new_version_keeps_earned_certificates_on_their_version(
        app, sample_content, tmp_path):
    ids = setting(app)
    root = tmp_path / "content"
    shutil.copytree(SAMPLE, root)
    (root / "certifications" / "listener.yaml").write_bytes(
        draft(practice={"supervised_hours": 30}))
    with app.app_context():
        earned = db.session.scalars(select(Certificate).where(
            Certificate.user_id == ids["sam"])).one()
        version = earned.programme_version
        report = sync_content(root)
        db.session.commit()
        assert not report.errors
        new_version = db.session.scalars(select(ContentVersion.version).where(
            ContentVersion.kind == "programme", ContentVersion.slug == "listener",
            ContentVersion.is_current.is_(True))).one()
        assert new_version != version
        db.session.refresh(earned)
        assert earned.programme_version == version
        sam = db.session.get(User, ids["sam"])
        assert sam is not None
        standing = get_standing(sam, "listener")
        assert standing is not None and standing.evaluation.status == CERTIFIED


def test_a_stored_draft_is_picked_by_name_and_nothing_outside_its_folder_is_read(
        app, sample_content, tmp_path):
    """Drafts kept with the content (certifications/drafts/) are listed and rehearsed by
    name; a path, a name not listed, or a link out of the folder is refused unread."""
    ids = setting(app)
    root = tmp_path / "content"
    shutil.copytree(SAMPLE, root)
    drafts = root / "certifications" / "drafts"
    drafts.mkdir()
    (drafts / "stricter.yaml").write_bytes(STRICTER)
    (drafts / "broken.yaml").write_bytes(b"id: listener\ntitle: [unclosed\n")
    (drafts / "notes.txt").write_text("not a draft")
    outside = tmp_path / "outside.yaml"
    outside.write_bytes(STRICTER)  # would rehearse, if it were ever read
    (drafts / "escape.yaml").symlink_to(outside)
    app.config["LMS_PLUGIN_CONTENT_DIR"] = str(root)
    admin = signed_in(app, ids["admin"], ["admin"])

    page = admin.get("/admin/programmes/rehearse").get_data(as_text=True)
    assert 'value="stricter.yaml"' in page and 'value="broken.yaml"' in page
    assert "escape.yaml" not in page and "notes.txt" not in page

    def pick(client, name: str, **fields: str):
        return client.post("/admin/programmes/rehearse", data={
            "csrf_token": csrf_token(app), "stored": name, **fields})

    picked = pick(admin, "stricter.yaml")
    assert picked.status_code == 200
    html = picked.get_data(as_text=True)
    assert "2 people enrolled" in html and "1 would change status" in html
    assert "Pat Kowalski" not in html  # counts only, until names are asked for

    broken = pick(admin, "broken.yaml")
    assert broken.status_code == 422
    assert "certifications/drafts/broken.yaml:3" in broken.get_data(as_text=True)

    for name in ("../listener.yaml", "../../certifications/listener.yaml", str(outside),
                 "escape.yaml", "notes.txt", "stricter", "drafts/stricter.yaml",
                 "stricter.yaml\x00"):
        refused = pick(admin, name)
        assert refused.status_code == 400, name
        assert "would change status" not in refused.get_data(as_text=True), name
    both = pick(admin, "stricter.yaml", text=STRICTER.decode())
    assert both.status_code == 400
    assert "one of them" in both.get_data(as_text=True)

    # The second organisation's admin rehearses the same draft over its own people only.
    other = signed_in(app, ids["other_admin"], ["admin"])
    theirs = pick(other, "stricter.yaml", names="y")
    assert theirs.status_code == 200
    html = theirs.get_data(as_text=True)
    assert "1 person enrolled" in html and "Quinn Other" in html
    assert "Pat Kowalski" not in html and "Sam Okafor" not in html


def test_no_stored_drafts_says_where_to_keep_them(app, sample_content, tmp_path):
    ids = setting(app)
    root = tmp_path / "content"
    shutil.copytree(SAMPLE, root)
    app.config["LMS_PLUGIN_CONTENT_DIR"] = str(root)
    admin = signed_in(app, ids["admin"], ["admin"])
    page = admin.get("/admin/programmes/rehearse").get_data(as_text=True)
    assert "No stored drafts" in page and 'name="stored"' not in page
    refused = admin.post("/admin/programmes/rehearse", data={
        "csrf_token": csrf_token(app), "stored": "anything.yaml"})
    assert refused.status_code == 400
