"""The observed skills check: a supervisor opens a role-play's script and rubric for one
of their trainees and records the marking (competent or not yet on each criterion)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from ..content.loader import RolePlayContent
from ..content.services import get_catalog
from ..extensions import db
from ..inputs import require_form_token
from ..users.models import User
from .certificates import issue_certificate_if_due
from .enrolments import get_enrolment
from .observations import MARKS, ObservationError, history, parse_marks, record_observation
from .supervisors import may_supervise

bp = Blueprint("observations", __name__)


def _target(user_id: int, slug: str, roleplay: str) -> tuple[User, RolePlayContent]:
    """The trainee and script, or a 404: only a supervisor of this trainee in this
    programme, for a role-play the programme's observed skills check lists."""
    trainee = db.session.get(User, user_id)
    catalog = get_catalog()
    programme = catalog.programmes.get(slug)
    observed = programme.document.observed_practice if programme else None
    content = catalog.roleplays.get(roleplay)
    if (trainee is None or observed is None or content is None
            or roleplay not in observed.roleplays or get_enrolment(trainee, slug) is None
            or not may_supervise(current_user, trainee, slug)):
        abort(404, description=gettext("There is no such role-play for a trainee of yours."))
    return trainee, content


@bp.route("/supervision/trainees/<int:user_id>/programmes/<slug>/roleplays/<roleplay>",
          methods=["GET", "POST"])
@login_required
def observe(user_id: int, slug: str, roleplay: str) -> Any:
    trainee, content = _target(user_id, slug, roleplay)
    error = None
    if request.method == "POST":
        require_form_token()
        try:
            marks = parse_marks(content, request.form)
        except ObservationError as exc:
            db.session.rollback()
            error = str(exc)
        else:
            observation = record_observation(trainee, current_user, slug, content, marks)
            certificate = issue_certificate_if_due(trainee, slug)
            db.session.commit()
            flash(gettext("Recorded: %(title)s, competent.", title=content.document.title)
                  if observation.competent else
                  gettext("Recorded: %(title)s, not yet competent.", title=content.document.title),
                  "success")
            if certificate is not None:
                flash(gettext("%(name)s is now certified.", name=certificate.holder_name),
                      "success")
            return redirect(url_for("certification.trainee_progress", user_id=trainee.id))
    past = [o for o in history(trainee, slug) if o.roleplay_id == content.slug]
    page = render_template("certification/observe.html", trainee=trainee, slug=slug,
                           content=content, roleplay=content.document, past=past,
                           marks=MARKS, chosen=request.form if error else {}, error=error)
    return (page, 422) if error else page
