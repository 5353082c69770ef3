"""The privacy page (public) and "download my data" (the signed-in person's own)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    url_for,
)
from flask_babel import gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import StringField
from wtforms.validators import DataRequired

from ..audit import AuditEvent, audit
from ..certification.training_certificate import TRAINING_SLUG, TRAINING_TITLE
from ..content.services import get_catalog
from ..extensions import db
from ..i18n import N_
from ..inputs import require_form_token
from ..notifications.services import erasure_requested
from ..users.access import require_admin
from ..users.models import User
from ..users.services import end_sessions
from ..users.sessions import current_organisation_id
from . import registry
from .readable import person_ids, readable
from .services import erase_person

bp = Blueprint("privacy", __name__)


@bp.route("/privacy")
def privacy() -> str:
    return render_template("privacy/privacy.html", form=FlaskForm())


ABOUT = N_("Everything this tool holds about you. Survey answers are stored without any "
           "link to you and cannot be found by anyone, so they are not here.")


@bp.route("/privacy/my-data")
@login_required
def my_data_page() -> str:
    """Everything the tool holds about you (privacy.registry), item by item: what it is,
    what erasure would do to it, and the rows."""
    data = _export("page")
    rows = {item.key: (([data[item.key]] if data[item.key] else []) if item.single
                       else data[item.key]) for item in registry.items()}
    ids = set().union(*(person_ids(r) for r in rows.values()))
    people = {u.id: u.display_name for u in db.session.scalars(
        select(User).where(User.id.in_(ids)))} if ids else {}
    names = content_names()
    return render_template(
        "privacy/my_data.html", exported_at=datetime.now(UTC), about=gettext(ABOUT),
        items=[(item, readable(rows[item.key], me=current_user.id, people=people,
                               names=names)) for item in registry.items()])


def content_names() -> dict[str, str]:
    """Modules, lessons, quizzes, programmes and agreements by their title."""
    catalog = get_catalog()
    names = {TRAINING_SLUG: TRAINING_TITLE}
    for module in catalog.modules.values():
        names[module.slug] = module.meta.title
        names.update({lesson.meta.id: lesson.meta.title for lesson in module.lessons})
    names.update({q.slug: q.document.title for q in catalog.quizzes.values()})
    for p in catalog.programmes.values():
        names[p.slug] = p.document.title
        names.update({a.id: a.title for a in p.document.attestations})
    return names


@bp.route("/privacy/my-data.json")
@login_required
def my_data() -> Response:
    """The same as JSON, with what each item is."""
    data = _export("json")
    body = {
        "exported_at": datetime.now(UTC).isoformat(),
        "about": ABOUT,
        "what_each_item_is": {item.key: {"title": item.title, "what": item.description,
                                         "if_erased": item.on_erasure}
                              for item in registry.items()},
        **data,
    }
    response = Response(json.dumps(body, default=str, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


def _export(form: str) -> dict[str, Any]:
    me = current_user
    data = registry.export(me)
    audit("privacy.export", me, me, None, format=form)
    db.session.commit()
    return data


class EraseForm(FlaskForm):
    confirm = StringField("Type ERASE to confirm", validators=[DataRequired()])


@bp.route("/privacy/erasure-request", methods=["POST"])
@login_required
def erasure_request() -> Response:
    """A person asks for their records to be erased: recorded for the L&D admins (in the
    audit log they read), who carry it out."""
    require_form_token()
    audit("privacy.erasure_request", current_user, current_user, None)
    erasure_requested(current_user)  # an e-mail that it was received, if mail is on
    db.session.commit()
    flash(gettext("Your request is recorded. Your L&D team will erase your records and tell "
                  "you when it is done."), "success")
    return redirect(url_for("privacy.privacy"))  # type: ignore[return-value]


@bp.route("/admin/people/<int:user_id>/erase", methods=["POST"])
@login_required
def erase(user_id: int) -> Response:
    require_admin()
    person = db.session.get(User, user_id)
    if person is None or person.organisation_id != current_organisation_id():
        abort(404, description=gettext("There is no such person."))
    if person.id == current_user.id:
        abort(400, description=gettext("Ask another admin to erase your own records."))
    form = EraseForm()
    if not form.validate_on_submit() or (form.confirm.data or "").strip() != "ERASE":
        abort(400, description=gettext("Type ERASE to confirm: erasing cannot be undone."))
    requested = db.session.scalar(select(AuditEvent.id).where(
        AuditEvent.action == "privacy.erasure_request", AuditEvent.subject_id == person.id)
        .limit(1))
    erase_person(person, current_user)
    end_sessions(person)  # their signed-in browsers lose access now, not when they expire
    db.session.commit()
    flash(gettext("Erased. Certificates already issued remain as a minimal record (name, "
                  "programme, dates) so they can still be verified or revoked."), "success")
    # Back to the queue when the person had asked, so the request shows as done.
    return redirect(url_for("admin.erasure_requests" if requested  # type: ignore[return-value]
                            else "admin.people"))
