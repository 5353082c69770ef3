"""The admin area's pages (L&D admins only, each through `require_admin`): people search,
the person page and its actions, programmes, the erasure requests queue, the audit log.
Every read of a person is audited; everything is scoped to the current organisation, and
a person of another organisation is a 404."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from flask import Blueprint, Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..audit import EVENT_LABELS, audit, detail_lines, event_kinds, event_label
from ..certification.certificates import revoke_certificate
from ..certification.documents import describe, expires
from ..certification.forms import AssignSupervisorForm, EmptyForm, ReasonForm, WaiverForm
from ..certification.models import Certificate, LoggedHours, SupervisorAssignment
from ..certification.rules import STATUS_LABELS
from ..certification.standing import Standing, get_standing
from ..certification.supervisors import supervisor_candidates, supervisors_of
from ..content.services import get_catalog
from ..extensions import db
from ..inputs import FORM_EXPIRED, parse_id
from ..privacy.views import EraseForm, content_names
from ..quiz.services import EXTRA_ATTEMPT, LIFT_COOLDOWN, get_eligibility, grant_allowance
from ..users.access import require_admin
from ..users.models import Course, Enrollment, User
from ..users.sessions import current_organisation_id
from .forms import AllowanceForm, RevokeForm
from .services import (
    PER_PAGE,
    SORTS,
    AuditFilters,
    audit_events,
    erasure_requests,
    names_of,
    roles_of,
    search_people,
    training_record,
)

bp = Blueprint("admin", __name__)
MAX_QUERY = 200


def _person_or_404(user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None or person.organisation_id != current_organisation_id():
        abort(404, description=gettext("There is no such person."))
    return person


def _page() -> int:
    page = parse_id(request.args.get("page", "1"))
    if page is None:
        abort(400, description=gettext("The page must be a positive number."))
    return page


def _text_arg(name: str, what: str) -> str:
    text = request.args.get(name, "").strip()
    if len(text) > MAX_QUERY:
        abort(400, description=gettext("The %(what)s can be at most %(limit)s characters.",
                                       what=what, limit=MAX_QUERY))
    return text


@bp.route("/admin")
@login_required
def home() -> Any:
    require_admin()
    return redirect(url_for("reporting.dashboard"))


@bp.route("/admin/people")
@login_required
def people() -> Any:
    require_admin()
    text = _text_arg("q", gettext("search"))
    sort = request.args.get("sort", "name")
    if sort not in SORTS:
        abort(400, description=gettext("Sort by name, department or last opened."))
    page = _page()
    rows, total = search_people(current_organisation_id(), text, sort, page)
    audit("people.search", current_user, None, None, organisation_id=current_organisation_id(),
          query=text, sort=sort, page=page)
    db.session.commit()
    return render_template("admin/people.html", rows=rows, total=total, q=text, sort=sort,
                           sorts=SORTS, page=page, per_page=PER_PAGE,
                           modules_total=len(get_catalog().modules))


# --- the person page ------------------------------------------------------------------------


def _unique_ids(form: FlaskForm, prefix: str) -> FlaskForm:
    """Several copies of a form on one page: ids made unique, names (what is posted) kept."""
    for field in form:
        field.id = f"{prefix}-{field.id}"
        field.label.field_id = field.id
    return form


def supervisor_choices(trainee: User, slug: str) -> list[SelectChoice]:
    return [SelectChoice(u.id, u.display_name) for u in supervisor_candidates(trainee, slug)]


def programme_forms(person: User, standing: Standing,
                    given: dict[str, FlaskForm] | None = None) -> dict[str, FlaskForm]:
    """The forms of one programme's section (supervisors, waiver, extension); `given`
    carries a refused one back with its errors."""
    slug = standing.programme.slug
    forms = dict(given or {})
    assign = forms.get("assign") or AssignSupervisorForm(formdata=None)
    if isinstance(assign, AssignSupervisorForm):
        assign.supervisor.choices = supervisor_choices(person, slug)
    waiver = forms.get("waiver") or WaiverForm(formdata=None)
    if isinstance(waiver, WaiverForm):
        waivable = standing.programme.document.waivable
        waiver.requirement.choices = [
            SelectChoice(r.id, r.text) for r in standing.evaluation.requirements
            if not r.met and (r.id in waivable or r.id.split(":", 1)[0] in waivable)]
    forms.update(assign=assign, waiver=waiver,
                 extend=forms.get("extend") or ReasonForm(formdata=None))
    for key, form in forms.items():
        _unique_ids(form, f"{slug}-{key}")
    return forms


def person_page(person: User, *, forms: dict[str, dict[str, FlaskForm]] | None = None,
                allowance: tuple[str, AllowanceForm] | None = None) -> str:
    """The one record of a person for admins: training numbers, programmes, certificates,
    courses, erasure. Never quiz answers, reflections or survey answers. Audited."""
    forms = forms or {}
    standings = [s for s in (get_standing(person, slug) for slug in get_catalog().programmes)
                 if s is not None]
    programmes = []
    for s in standings:
        entries = list(db.session.scalars(select(LoggedHours).where(
            LoggedHours.user_id == person.id, LoggedHours.programme_slug == s.programme.slug)
            .order_by(LoggedHours.activity_date.desc()).limit(200)))
        programmes.append((s, entries, programme_forms(person, s,
                                                       forms.get(s.programme.slug))))
    certificates = list(db.session.scalars(select(Certificate).where(
        Certificate.user_id == person.id).order_by(Certificate.issued_at.desc())))
    enrolments = list(db.session.scalars(select(Enrollment).join(Course).where(
        Enrollment.user_id == person.id).order_by(Course.title)))
    assignments = list(db.session.scalars(select(SupervisorAssignment).where(
        SupervisorAssignment.trainee_id == person.id)))
    audit("person.view", current_user, person, None, page="admin")
    db.session.commit()
    return render_template(
        "admin/person.html", person=person, roles=roles_of(enrolments),
        training=training_record(person), programmes=programmes, labels=STATUS_LABELS,
        supervisors=supervisors_of(person), assignments=assignments,
        certificates=[(c, describe(c)[0], expires(c), c.state_at(datetime.now(UTC)))
                      for c in certificates],
        enrolments=enrolments, erase_form=EraseForm(formdata=None),
        erasure=next(iter(erasure_requests(person.organisation_id, person.id)), None),
        allowance=allowance, now=datetime.now(UTC), remove_form=EmptyForm(formdata=None),
        EXTRA_ATTEMPT=EXTRA_ATTEMPT, LIFT_COOLDOWN=LIFT_COOLDOWN)


@bp.route("/admin/people/<int:user_id>")
@login_required
def person(user_id: int) -> Any:
    require_admin()
    return person_page(_person_or_404(user_id))


def _back(person: User, anchor: str | None = None) -> Any:
    return redirect(url_for("admin.person", user_id=person.id, _anchor=anchor))


@bp.route("/admin/people/<int:user_id>/quiz-allowance", methods=["POST"])
@login_required
def quiz_allowance(user_id: int) -> Any:
    """One more try beyond the quiz's limit, or the cool-down lifted, with a reason."""
    require_admin()
    person = _person_or_404(user_id)
    quizzes = get_catalog().quizzes
    form = AllowanceForm()
    form.quiz.choices = [SelectChoice(slug, q.document.title) for slug, q in quizzes.items()]
    if form.quiz.data not in quizzes:
        abort(400, description=gettext("Choose one of the quizzes listed on the person's page."))
    if form.action.data not in (EXTRA_ATTEMPT, LIFT_COOLDOWN):
        abort(400, description=gettext("Choose one more try or lifting the wait."))
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400, description=FORM_EXPIRED)
        return person_page(person, allowance=(form.quiz.data, form)), 422
    content = quizzes[form.quiz.data]

    eligibility = get_eligibility(person, content.document)
    if form.action.data == EXTRA_ATTEMPT and not content.document.attempts_allowed:
        abort(409, description=gettext(
            "This quiz has no limit on tries: there is nothing to give."))
    if form.action.data == LIFT_COOLDOWN and eligibility.next_allowed_at is None:
        abort(409, description=gettext(
            "There is no wait to lift: they may already take this quiz (or have used all "
            "their tries: give one more instead)."))
    grant_allowance(person, content.document, form.action.data, current_user,
                    (form.reason.data or "").strip())
    db.session.commit()
    flash(gettext("%(name)s may take the quiz “%(quiz)s” again now.",
                  name=person.display_name, quiz=content.document.title)
          if form.action.data == LIFT_COOLDOWN else
          gettext("%(name)s has one more try at the quiz “%(quiz)s”.",
                  name=person.display_name, quiz=content.document.title),
          "success")
    return _back(person, "training")


@bp.route("/admin/people/<int:user_id>/certificates/<int:certificate_id>/revoke",
          methods=["GET", "POST"])
@login_required
def revoke(user_id: int, certificate_id: int) -> Any:
    """A confirmation page that says what revoking does, with a required reason."""
    require_admin()
    person = _person_or_404(user_id)
    certificate = db.session.get(Certificate, certificate_id)
    if certificate is None or certificate.user_id != person.id:
        abort(404, description=gettext("There is no such certificate."))
    if certificate.revoked_at is not None and request.method == "POST":
        abort(409, description=gettext("This certificate is already revoked."))
    form = RevokeForm()
    context = {"person": person, "certificate": certificate, "form": form,
               "title": describe(certificate)[0], "expires_at": expires(certificate)}
    if request.method == "GET" or certificate.revoked_at is not None:
        return render_template("admin/revoke.html", **context)
    if not form.validate_on_submit():
        if form.csrf_token.errors:
            abort(400, description=FORM_EXPIRED)
        return render_template("admin/revoke.html", **context), 422
    revoke_certificate(certificate, current_user, form.reason.data or "")
    db.session.commit()
    flash(gettext("%(name)s's certificate (%(title)s) is revoked. Its verification page says "
                  "so now, and they see your reason.",
                  name=person.display_name, title=context["title"]), "success")
    return _back(person, "certificates")


# --- programmes, erasure requests, audit log -----------------------------------------------


@bp.route("/admin/programmes")
@login_required
def programmes() -> Any:
    require_admin()
    return render_template("admin/programmes.html",
                           programmes=list(get_catalog().programmes.values()))


@bp.route("/admin/erasure-requests", endpoint="erasure_requests")
@login_required
def erasure_requests_page() -> Any:
    require_admin()
    return render_template("admin/erasure.html",
                           requests=erasure_requests(current_organisation_id()),
                           now=datetime.now(UTC), erase_form=EraseForm(formdata=None))


def _date_arg(name: str, what: str) -> date | None:
    text = request.args.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400, description=gettext("The %(what)s date must be a date, as 2026-03-05.",
                                       what=what))


@bp.route("/admin/audit")
@login_required
def audit_log() -> Any:
    require_admin()
    kind = request.args.get("kind", "").strip()
    if kind and kind not in EVENT_LABELS:
        abort(400, description=gettext("The kind of event must be one of the listed ones."))
    filters = AuditFilters(kind, _text_arg("who", gettext("person's name")),
                           _date_arg("from", gettext("from")),
                           _date_arg("to", gettext("to")))
    if filters.since and filters.until and filters.since > filters.until:
        abort(400, description=gettext("The from date must be on or before the to date."))
    page = _page()
    events, more = audit_events(current_organisation_id(), filters, page)
    names = names_of({e.actor_id for e in events} | {e.subject_id for e in events})
    content = content_names()
    rows = [(e, event_label(e.action), detail_lines(e.detail_json, content)) for e in events]
    query = {k: v for k, v in (("kind", kind), ("who", filters.who),
                               ("from", request.args.get("from", "").strip()),
                               ("to", request.args.get("to", "").strip())) if v}
    return render_template("admin/audit.html", rows=rows, names=names, page=page, more=more,
                           filters=filters, query=query,
                           kinds=event_kinds())


# --- the old addresses ----------------------------------------------------------------------


def legacy(app: Flask) -> None:
    """The pages' old addresses, kept working (links in the LMS, bookmarks) as redirects;
    the endpoint names stay so links to them keep resolving."""

    @login_required
    def reports_person(user_id: int) -> Any:
        require_admin()
        return redirect(url_for("admin.person", user_id=_person_or_404(user_id).id), 301)

    @login_required
    def reports_audit() -> Any:
        require_admin()
        query: dict[str, Any] = request.args.to_dict()
        return redirect(url_for("admin.audit_log", **query), 301)

    @login_required
    def programme_person(slug: str, user_id: int) -> Any:
        require_admin()
        if slug not in get_catalog().programmes:
            abort(404, description=gettext("There is no such programme."))
        return redirect(url_for("admin.person", user_id=_person_or_404(user_id).id,
                                _anchor=f"programme-{slug}"), 301)

    app.add_url_rule("/admin/reports/people/<int:user_id>", "reporting.person",
                     reports_person)
    app.add_url_rule("/admin/reports/audit", "reporting.audit_log", reports_audit)
    app.add_url_rule("/programmes/<slug>/people/<int:user_id>", "certification.person",
                     programme_person)
