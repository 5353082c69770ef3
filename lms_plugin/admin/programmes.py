"""Programme administration (L&D admins): who is where in the programme, supervisors,
prior-learning waivers, deadline extensions and renewal reminders. Admins see status,
dates and numbers, never reflections or answers; each view of a person is audited."""

from __future__ import annotations

from typing import Any

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage
from wtforms.fields.choices import SelectChoice

from ..audit import audit
from ..certification.certificates import issue_certificate_if_due
from ..certification.drafts import (
    DraftError,
    read_draft,
    read_stored_draft,
    rehearse_draft,
    stored_drafts,
)
from ..certification.enrolments import (
    CertificationError,
    extend_deadline,
    get_enrolment,
    get_programme,
    grant_waiver,
)
from ..certification.forms import AssignSupervisorForm, ReasonForm, WaiverForm
from ..certification.models import (
    PENDING,
    LoggedHours,
    ProgrammeEnrolment,
    SupervisorAssignment,
)
from ..certification.reminders import reminders_for_admins
from ..certification.rules import STATUS_LABELS
from ..certification.standing import get_standing
from ..certification.supervisors import assign_supervisor, unassign_supervisor
from ..extensions import db
from ..inputs import require_form_token
from ..users.access import require_admin
from ..users.models import User
from ..users.sessions import current_organisation_id
from .forms import RehearseForm
from .views import bp, person_page, supervisor_choices


def _person(slug: str, user_id: int) -> tuple[User, ProgrammeEnrolment]:
    get_programme(slug)
    person = db.session.get(User, user_id)
    if person is None or person.organisation_id != current_organisation_id():
        abort(404, description=gettext("There is no such person in this programme."))
    enrolment = get_enrolment(person, slug)
    if enrolment is None:
        abort(404, description=gettext("This person is not enrolled in the programme."))
    return person, enrolment


@bp.route("/programmes/<slug>/people")
@login_required
def programme_people(slug: str) -> Any:
    require_admin()
    programme = get_programme(slug)
    pending: dict[int, int] = dict(db.session.execute(
        select(LoggedHours.user_id, func.count()).where(
            LoggedHours.programme_slug == slug, LoggedHours.status == PENDING)
        .group_by(LoggedHours.user_id)).all())
    rows = []
    for enrolment in db.session.scalars(
            select(ProgrammeEnrolment).join(User, User.id == ProgrammeEnrolment.user_id)
            .where(ProgrammeEnrolment.programme_slug == slug,
                   User.organisation_id == current_organisation_id())
            .order_by(User.name).limit(1000)):
        standing = get_standing(enrolment.user, slug)
        assert standing is not None
        rows.append((enrolment.user, standing.evaluation, pending.get(enrolment.user_id, 0)))
    audit("programme.people.view", current_user, None, None,
          organisation_id=current_organisation_id(), programme=slug)
    db.session.commit()
    return render_template("certification/admin_people.html", programme=programme, rows=rows,
                           labels=STATUS_LABELS, reminders=reminders_for_admins(slug))


def _person_page(slug: str, user_id: int, **given: FlaskForm) -> str:
    """The admin person page (lms_plugin/admin), with this programme's refused form."""
    person_, _ = _person(slug, user_id)
    return person_page(person_, forms={slug: given})


def _back(slug: str, user_id: int) -> Any:
    return redirect(url_for("admin.person", user_id=user_id, _anchor=f"programme-{slug}"))


@bp.route("/programmes/<slug>/people/<int:user_id>/supervisors", methods=["POST"])
@login_required
def assign(slug: str, user_id: int) -> Any:
    require_admin()
    trainee, _ = _person(slug, user_id)
    form = AssignSupervisorForm()
    form.supervisor.choices = supervisor_choices(trainee, slug)
    if not form.validate_on_submit():
        return _person_page(slug, user_id, assign=form), 422
    supervisor = db.session.get(User, form.supervisor.data)
    assert supervisor is not None  # the choices hold only existing people
    try:
        assign_supervisor(trainee, supervisor, slug, current_user)
    except CertificationError as exc:
        form.supervisor.errors = [str(exc)]
        db.session.rollback()
        return _person_page(slug, user_id, assign=form), 422
    db.session.commit()
    flash(gettext("%(supervisor)s now supervises %(trainee)s.",
                  supervisor=supervisor.display_name, trainee=trainee.display_name), "success")
    return _back(slug, user_id)


@bp.route("/programmes/<slug>/people/<int:user_id>/supervisors/<int:assignment_id>/remove",
          methods=["POST"])
@login_required
def unassign(slug: str, user_id: int, assignment_id: int) -> Any:
    require_admin()
    trainee, _ = _person(slug, user_id)
    assignment = db.session.get(SupervisorAssignment, assignment_id)
    if assignment is None or assignment.trainee_id != trainee.id:
        abort(404, description=gettext("There is no such assignment."))
    require_form_token()
    unassign_supervisor(assignment, current_user)
    db.session.commit()
    flash(gettext("The supervisor was removed. Hours already approved stay approved."), "success")
    return _back(slug, user_id)


@bp.route("/programmes/<slug>/people/<int:user_id>/waivers", methods=["POST"])
@login_required
def waive(slug: str, user_id: int) -> Any:
    require_admin()
    trainee, _ = _person(slug, user_id)
    standing = get_standing(trainee, slug)
    assert standing is not None
    form = WaiverForm()
    form.requirement.choices = [SelectChoice(r.id, r.text)
                                for r in standing.evaluation.requirements]
    if not form.validate_on_submit():
        return _person_page(slug, user_id, waiver=form), 422
    try:
        grant_waiver(trainee, slug, form.requirement.data or "", current_user,
                     form.evidence.data or "", form.reason.data or "")
    except CertificationError as exc:
        form.requirement.errors = [str(exc)]
        db.session.rollback()
        return _person_page(slug, user_id, waiver=form), 422
    certificate = issue_certificate_if_due(trainee, slug)
    db.session.commit()
    flash(gettext("Waiver recorded with its evidence and reason."), "success")
    if certificate:
        flash(gettext("%(name)s is now certified.", name=trainee.display_name), "success")
    return _back(slug, user_id)


@bp.route("/programmes/<slug>/people/<int:user_id>/extension", methods=["POST"])
@login_required
def extend(slug: str, user_id: int) -> Any:
    require_admin()
    _, enrolment = _person(slug, user_id)
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400, description=gettext("Give a reason for the extension."))
    try:
        extend_deadline(enrolment, current_user, form.reason.data or "")
    except CertificationError as exc:
        abort(409, description=str(exc))
    db.session.commit()
    flash(gettext("The deadline is extended."), "success")
    return _back(slug, user_id)


def _rehearse_form(**data: Any) -> RehearseForm:
    form = RehearseForm(**data)
    form.stored.choices = [SelectChoice("", gettext("None: upload or paste one below")),
                           *[SelectChoice(name, name) for name in stored_drafts()]]
    return form


def _draft_of(form: RehearseForm) -> tuple[bytes, str] | None:
    """The one draft given (a stored one, a file or pasted text); None when there is not
    exactly one."""
    upload = form.draft.data
    given: list[tuple[bytes, str] | str] = []
    if form.stored.data:
        given.append(form.stored.data)
    if isinstance(upload, FileStorage) and upload.filename:
        given.append((upload.read(), upload.filename))
    if form.text.data and form.text.data.strip():
        given.append((form.text.data.encode(), "the pasted draft"))
    if len(given) != 1:
        return None
    found = given[0]
    return read_stored_draft(found) if isinstance(found, str) else found


@bp.route("/admin/programmes/rehearse", methods=["GET", "POST"])
@login_required
def rehearse() -> Any:
    """Rehearse a rule change: a draft programme's rules over this organisation's people,
    counts by status move, names only when asked (audited). Nothing is stored."""
    require_admin()
    form = _rehearse_form()
    if request.method == "GET":
        return render_template("admin/rehearse.html", form=form)
    if not form.validate_on_submit():
        return render_template("admin/rehearse.html", form=form), 400
    try:
        given = _draft_of(form)
    except LookupError:  # listed a moment ago, gone now
        form.stored.errors = [gettext("That stored draft is no longer there: choose another.")]
        return render_template("admin/rehearse.html", form=form), 404
    except DraftError as exc:
        return render_template("admin/rehearse.html", form=form, problems=exc.problems), 422
    if given is None:
        form.draft.errors = [gettext("Choose a draft programme file (YAML), paste its text, "
                                     "or choose a stored draft: one of them.")]
        return render_template("admin/rehearse.html", form=form), 400
    data, name = given
    try:
        draft = read_draft(data, name)
        result = rehearse_draft(draft, current_organisation_id())
    except DraftError as exc:
        return render_template("admin/rehearse.html", form=form, problems=exc.problems), 422
    names = bool(form.names.data)
    if names:
        audit("programme.rehearsal.names", current_user, None, None,
              organisation_id=current_organisation_id(), programme=draft.slug,
              draft_version=draft.version, moved=result.moved)
        db.session.commit()
    again = _rehearse_form(formdata=None, text=data.decode(), names=True)
    return render_template("admin/rehearse.html", form=again, draft=draft, result=result,
                           names=names, labels=STATUS_LABELS,
                           current=get_programme(draft.slug))
