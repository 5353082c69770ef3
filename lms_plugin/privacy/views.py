"""The privacy page (public) and "download my data" (the signed-in person's own)."""

from __future__ import annotations

import contextlib
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
    session,
    url_for,
)
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import inspect, or_, select
from wtforms import StringField
from wtforms.validators import DataRequired

from ..certification.models import (
    AttestationSignature,
    AuditEvent,
    Certificate,
    DirectoryListing,
    LoggedHours,
    ProgrammeEnrolment,
    SupervisorAssignment,
    Waiver,
)
from ..certification.services import audit
from ..extensions import db
from ..quiz.models import QuizAttempt
from ..reporting.models import SurveyCompletion
from ..training.models import LessonProgress, ModuleCompletion
from ..users.models import ADMIN, Course, Enrollment, MentorScope, User
from ..users.services import end_sessions
from ..users.sessions import current_organisation_id
from .services import erase_person

bp = Blueprint("privacy", __name__)


@bp.route("/privacy")
def privacy() -> str:
    return render_template("privacy/privacy.html", form=FlaskForm())


def _row(obj: Any) -> dict[str, Any]:
    out = {}
    for column in inspect(obj).mapper.column_attrs:
        value = getattr(obj, column.key)
        if column.key.endswith("_json") and value:
            with contextlib.suppress(ValueError):
                value = json.loads(value)
        out[column.key] = value
    return out


@bp.route("/privacy/my-data.json")
@login_required
def my_data() -> Response:
    """Everything the tool holds about you, as JSON. Survey answers are not in it: they
    are stored without any link to you, so nobody (you included) can find them."""
    me = current_user
    uid = me.id

    def rows(model: Any, *where: Any) -> list[dict[str, Any]]:
        return [_row(r) for r in db.session.scalars(select(model).where(*where))]

    data = {
        "exported_at": datetime.now(UTC).isoformat(),
        "about": "Everything this tool holds about you. Survey answers are stored without "
                 "any link to you and cannot be found by anyone, so they are not here.",
        "person": {k: v for k, v in _row(me).items()},
        "enrolments": [
            {**_row(e), "course": _row(c)} for e, c in db.session.execute(
                select(Enrollment, Course).join(Course, Course.id == Enrollment.course_id)
                .where(Enrollment.user_id == uid))],
        "lessons_completed": rows(LessonProgress, LessonProgress.user_id == uid),
        "modules_completed": rows(ModuleCompletion, ModuleCompletion.user_id == uid),
        "quiz_attempts": rows(QuizAttempt, QuizAttempt.user_id == uid),
        "surveys_answered": rows(SurveyCompletion, SurveyCompletion.user_id == uid),
        "programme_enrolments": rows(ProgrammeEnrolment, ProgrammeEnrolment.user_id == uid),
        "logged_hours": rows(LoggedHours, LoggedHours.user_id == uid),
        "attestations": rows(AttestationSignature, AttestationSignature.user_id == uid),
        "waivers": rows(Waiver, Waiver.user_id == uid),
        "certificates": rows(Certificate, Certificate.user_id == uid),
        "directory_listing": rows(DirectoryListing, DirectoryListing.user_id == uid),
        "supervisors_assigned": rows(SupervisorAssignment,
                                     SupervisorAssignment.trainee_id == uid),
        "mentees_from_the_lms": rows(MentorScope, MentorScope.mentor_id == uid),
        "audit_events_about_you": rows(AuditEvent, or_(AuditEvent.subject_id == uid,
                                                       AuditEvent.actor_id == uid)),
    }
    audit("privacy.export", me, me, None)
    db.session.commit()
    response = Response(json.dumps(data, default=str, indent=2), mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="my-data.json"'
    return response


class EraseForm(FlaskForm):
    confirm = StringField("Type ERASE to confirm", validators=[DataRequired()])


@bp.route("/privacy/erasure-request", methods=["POST"])
@login_required
def erasure_request() -> Response:
    """A person asks for their records to be erased: recorded for the L&D admins (in the
    audit log they read), who carry it out."""
    if not FlaskForm().validate_on_submit():
        abort(400, description="The form has expired; reload the page and try again.")
    audit("privacy.erasure_request", current_user, current_user, None)
    db.session.commit()
    flash("Your request is recorded. Your L&D team will erase your records and tell you "
          "when it is done.", "success")
    return redirect(url_for("privacy.privacy"))  # type: ignore[return-value]


@bp.route("/admin/people/<int:user_id>/erase", methods=["POST"])
@login_required
def erase(user_id: int) -> Response:
    if ADMIN not in session.get("roles", []):
        abort(403, description="Only an L&D admin can erase a person's records.")
    person = db.session.get(User, user_id)
    if person is None or person.organisation_id != current_organisation_id():
        abort(404, description="There is no such person.")
    if person.id == current_user.id:
        abort(400, description="Ask another admin to erase your own records.")
    form = EraseForm()
    if not form.validate_on_submit() or (form.confirm.data or "").strip() != "ERASE":
        abort(400, description="Type ERASE to confirm: erasing cannot be undone.")
    erase_person(person, current_user)
    end_sessions(person)  # their signed-in browsers lose access now, not when they expire
    db.session.commit()
    flash("Erased. Certificates already issued remain as a minimal record (name, "
          "programme, dates) so they can still be verified or revoked.", "success")
    return redirect(url_for("reporting.dashboard"))  # type: ignore[return-value]
