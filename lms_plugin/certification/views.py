"""Trainee, supervisor and admin pages, and the public verification of certificates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, tzinfo
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext, ngettext
from flask_login import current_user, login_required
from sqlalchemy import select
from wtforms.fields.choices import SelectChoice

from ..content.loader import Module
from ..content.services import get_catalog
from ..dates import calendar_day
from ..extensions import csrf, db, limiter
from ..i18n import N_
from ..inputs import require_form_token
from ..lti.errors import LaunchError
from ..lti.validation import restore_launch
from ..reads import reads_only
from ..training.models import ModuleCompletion
from ..training.services import has_completed_training
from ..urls import base_url
from ..users.access import is_admin
from ..users.models import User
from ..users.sessions import current_organisation_id
from .attestations import sign_attestation
from .certificates import get_certificate_by_code, reenrol, revoke_certificate
from .directory import get_listing, listed_supporters, may_list, remove_listing, save_listing
from .documents import (
    BadgeRejected,
    badge_image,
    bake_png,
    certificate_pdf,
    describe,
    expires,
    issuer_for,
    linkedin_add_url,
    open_badge,
    read_badge,
)
from .enrolments import (
    CertificationError,
    continuing_domains,
    enrol,
    get_programme,
    training_domains,
)
from .entries import refresher_hours, zone_from_launch, zone_named
from .forms import DecisionForm, EmptyForm, ListingForm, LogHoursForm, ReasonForm
from .hours import (
    decide_hours,
    delete_reflection,
    hours_awaiting,
    log_hours,
    resubmit_hours,
    withdraw_hours,
)
from .models import (
    CONTINUING,
    PENDING,
    PRACTICE,
    REJECTED,
    TRAINING,
    Certificate,
    LoggedHours,
)
from .reminders import reminder_for
from .rules import describe_requirements
from .standing import get_standing
from .supervisors import is_qualified_supervisor, may_supervise, supervisors_of, trainees_of
from .training_certificate import get_training_certificate, issue_training_certificate_if_due

bp = Blueprint("certification", __name__)


def _kind_choices(slug: str) -> dict[str, list[SelectChoice]]:
    """The activities a programme takes, by category."""
    programme = get_programme(slug).document
    kinds = [*programme.practice.counts, *programme.practice.supervision_kinds]
    return {
        PRACTICE: [SelectChoice(k, k.replace("-", " ").capitalize()) for k in kinds],
        TRAINING: [SelectChoice(k, gettext("Training: %(domain)s", domain=k.replace("-", " ")))
                   for k in training_domains(slug)],
        CONTINUING: [SelectChoice(k, gettext("Continuing education: %(domain)s",
                                             domain=k.replace("-", " ")))
                     for k in continuing_domains(slug)],
    }


def _log_form(slug: str, blank: bool = False) -> LogHoursForm:
    form = LogHoursForm(formdata=None) if blank else LogHoursForm()
    choices = _kind_choices(slug)
    form.kind.choices = [*choices[PRACTICE], *choices[TRAINING], *choices[CONTINUING]]
    if choices[TRAINING]:
        form.category.choices = [*form.category.choices,
                                 SelectChoice(TRAINING, gettext(
                                     "Structured training (for the programme's training "
                                     "hours)"))]
    form.supervisor.choices = [SelectChoice(u.id, u.display_name)
                               for u in supervisors_of(current_user)
                               if is_qualified_supervisor(u, slug)]
    return form


@bp.route("/programmes/<slug>", methods=["GET"])
@login_required
def programme(slug: str) -> Any:
    if slug not in get_catalog().programmes:
        abort(404, description=gettext("There is no such programme."))
    form = _log_form(slug)
    if "refresher" in request.args:
        _fill_in_refresher(form, request.args["refresher"])
    return _programme_page(slug, form), 200


def _completed_refreshers(user: User) -> list[tuple[Module, ModuleCompletion]]:
    """The refresher modules the person has completed, with when: their time may be logged
    as continuing education for renewal."""
    modules = get_catalog().modules
    done = db.session.scalars(select(ModuleCompletion).where(
        ModuleCompletion.user_id == user.id,
        ModuleCompletion.module_slug.in_([m for m, mod in modules.items()
                                         if mod.meta.refresher])))
    return [(modules[c.module_slug], c) for c in done]


def _fill_in_refresher(form: LogHoursForm, module_slug: str) -> None:
    """The hours form filled in for a completed refresher: continuing education, its
    estimated time, the day it was completed. The person still chooses the supervisor
    who approves it, and may change anything."""
    found = [(m, c) for m, c in _completed_refreshers(current_user) if m.slug == module_slug]
    if not found:
        abort(404, description=gettext("You have not completed that refresher."))
    [(module, completion)] = found
    form.category.data = CONTINUING
    form.kind.data = "general"
    form.hours.data = refresher_hours(module.meta.estimated_minutes)
    form.activity_date.data = calendar_day(completion.completed_at)


def _programme_page(slug: str, form: LogHoursForm, listing_form: ListingForm | None = None,
                    correction: tuple[int, LogHoursForm] | None = None) -> str:
    standing = get_standing(current_user, slug)
    entries = list(db.session.scalars(select(LoggedHours).where(
        LoggedHours.user_id == current_user.id, LoggedHours.programme_slug == slug)
        .order_by(LoggedHours.activity_date.desc(), LoggedHours.id.desc())))
    listing = get_listing(current_user)
    if listing_form is None and standing and standing.certificate and may_list(current_user):
        listing_form = ListingForm(obj=listing) if listing else ListingForm()
    return render_template(
        "certification/programme.html", programme=get_programme(slug), standing=standing,
        entries=entries, form=form, button=EmptyForm(),
        reminder=reminder_for(current_user, slug) if standing else None,
        listing_form=listing_form, listed=listing is not None,
        correction=correction, kinds=_kind_choices(slug),
        refreshers=_completed_refreshers(current_user) if standing else [],
        plain_requirements=None if standing else describe_requirements(
            get_programme(slug).document,
            {m: module.meta.title for m, module in get_catalog().modules.items()}),
    )


@bp.route("/programmes/<slug>/enrol", methods=["POST"])
@login_required
def enrol_view(slug: str) -> Any:
    return _enrol(slug, enrol, 404, gettext("You are enrolled."))


@bp.route("/programmes/<slug>/reenrol", methods=["POST"])
@login_required
def reenrol_view(slug: str) -> Any:
    """A lapsed supporter starts again; the old certificate stays as history."""
    return _enrol(slug, reenrol, 409, gettext("You are enrolled again."))


def _enrol(slug: str, action: Callable[[User, str], object], refused: int, done: str) -> Any:
    """Enrol (or enrol again): `refused` is the status when the programme says no."""
    require_form_token()
    try:
        action(current_user, slug)
    except CertificationError as exc:
        abort(refused, description=str(exc))
    db.session.commit()
    flash(gettext("%(done)s The checklist below shows what is left to do.", done=done), "success")
    return redirect(url_for("certification.programme", slug=slug))


@bp.route("/programmes/<slug>/hours", methods=["POST"])
@login_required
def log_hours_view(slug: str) -> Any:
    form = _log_form(slug)
    if not form.validate_on_submit():
        return _programme_with_errors(slug, form)
    category = form.category.data or PRACTICE
    supervisor = db.session.get(User, form.supervisor.data)
    try:
        log_hours(current_user, slug, category=category, kind=form.kind.data,
                  hours=form.hours.data, activity_date=form.activity_date.data,
                  supervisor=supervisor, reflection=form.reflection.data, zone=_zone(form))
    except CertificationError as exc:
        _add_error(form, exc)
        return _programme_with_errors(slug, form)
    db.session.commit()
    flash(gettext("Logged. Your supervisor will see it for approval."), "success")
    return redirect(url_for("certification.programme", slug=slug))


def _zone(form: LogHoursForm) -> tzinfo | None:
    """The person's time zone: their browser's (static/timezone.js fills the form's hidden
    field), else the one their LMS sent at launch, else None (see `entries`)."""
    return zone_named(form.timezone.data) or _lms_zone()


def _lms_zone() -> tzinfo | None:
    launch_id = session.get("launch_id")
    if not launch_id:
        return None
    try:
        claims = restore_launch(launch_id).claims()
    except LaunchError:  # the launch data has expired
        return None
    return zone_from_launch(claims)


def _add_error(form: LogHoursForm, exc: CertificationError) -> None:
    field = form.reflection  # where an error about no one field is read
    if exc.field and exc.field in form:
        field = form[exc.field]
    field.errors = [*field.errors, str(exc)]


def _programme_with_errors(slug: str, form: LogHoursForm,
                           correcting: int | None = None) -> tuple[str, int]:
    db.session.rollback()
    if correcting is not None:  # the errors belong to that entry's form, not to "Log hours"
        return _programme_page(slug, _log_form(slug, blank=True),
                               correction=(correcting, form)), 422
    return _programme_page(slug, form), 422


@bp.route("/programmes/<slug>/attestations/<attestation_id>", methods=["POST"])
@login_required
def sign(slug: str, attestation_id: str) -> Any:
    require_form_token()
    try:
        certificate = sign_attestation(current_user, slug, attestation_id)
    except CertificationError as exc:
        abort(400, description=str(exc))
    db.session.commit()
    title = next(a.title for a in get_programme(slug).document.attestations
                 if a.id == attestation_id)
    flash(gettext("Signed: %(title)s. Thank you.", title=title), "success")
    if certificate:
        flash(gettext("Congratulations: you are certified."), "success")
    return redirect(url_for("certification.programme", slug=slug))


# --- supervisors --------------------------------------------------------------------------


@bp.route("/supervision")
@login_required
def supervision() -> Any:
    return _supervision_page(), 200


def _supervision_page(failed: tuple[int, DecisionForm] | None = None,
                      confirm: list[LoggedHours] | None = None) -> str:
    """The queue. `failed`: the entry whose decision was refused, with its form (errors
    and choices shown with that entry only); `confirm`: entries chosen for bulk approval."""
    trainees = trainees_of(current_user)
    names = {u.id: u.display_name for u in trainees}
    decided = list(db.session.scalars(select(LoggedHours).where(
        LoggedHours.supervisor_id == current_user.id, LoggedHours.status != PENDING)
        .order_by(LoggedHours.decided_at.desc()).limit(50)))
    return render_template("certification/supervision.html", trainees=trainees, names=names,
                           pending=hours_awaiting(current_user), decided=decided,
                           form=DecisionForm(formdata=None), failed=failed, confirm=confirm,
                           bulk=EmptyForm())


@bp.route("/supervision/hours/<int:entry_id>", methods=["POST"])
@login_required
def decide(entry_id: int) -> Any:
    entry = db.session.get(LoggedHours, entry_id)
    if entry is None or entry.supervisor_id != current_user.id:
        abort(404, description=gettext("There is no such entry for you to decide."))
    form = DecisionForm()
    if not form.validate_on_submit():
        db.session.rollback()
        return _supervision_page(failed=(entry_id, form)), 422
    try:
        certificate = decide_hours(entry, current_user, form.decision.data == "approve",
                                   form.reason.data or "")
    except CertificationError as exc:
        db.session.rollback()
        field = form[exc.field] if exc.field and exc.field in form else form.decision
        field.errors = [*field.errors, str(exc)]
        return _supervision_page(failed=(entry_id, form)), 422
    db.session.commit()
    flash(gettext("Approved.") if form.decision.data == "approve" else
          gettext("Rejected, with your reason."), "success")
    if certificate:
        flash(gettext("%(name)s is now certified.", name=certificate.holder_name), "success")
    return redirect(url_for("certification.supervision"))


@bp.route("/supervision/approve", methods=["POST"])
@login_required
def bulk_approve() -> Any:
    """Approve several entries at once, after one confirmation step: the first post shows
    what was chosen; the second (confirm=yes) approves them."""
    require_form_token()
    wanted = {int(v) for v in request.form.getlist("entry") if v.isdigit()}
    chosen = [e for e in hours_awaiting(current_user) if e.id in wanted]
    if not chosen:
        flash(gettext("Choose at least one entry to approve."), "error")
        return _supervision_page(), 422
    if request.form.get("confirm") != "yes":
        return _supervision_page(confirm=chosen), 200
    certified = []
    for entry in chosen:
        try:
            certificate = decide_hours(entry, current_user, True, "")
        except CertificationError as exc:
            db.session.rollback()
            flash(str(exc), "error")
            return _supervision_page(), 422
        if certificate:
            certified.append(certificate.holder_name)
    db.session.commit()
    flash(ngettext("Approved %(num)d entry.", "Approved %(num)d entries.", len(chosen)),
          "success")
    for name in certified:
        flash(gettext("%(name)s is now certified.", name=name), "success")
    return redirect(url_for("certification.supervision"))


@bp.route("/supervision/trainees/<int:user_id>")
@login_required
def trainee_progress(user_id: int) -> Any:
    """Where a trainee stands, for their supervisor: requirements as numbers, nothing of
    their reflections beyond the entries the supervisor decides."""
    trainee = db.session.get(User, user_id)
    if trainee is None or not may_supervise(current_user, trainee):
        abort(404, description=gettext("There is no such trainee of yours."))
    standings = [s for slug in get_catalog().programmes
                 if (s := get_standing(trainee, slug)) is not None]
    return render_template("certification/trainee_progress.html", trainee=trainee,
                           standings=standings, roleplay_titles={
                               slug: c.document.title
                               for slug, c in get_catalog().roleplays.items()})


@bp.route("/programmes/<slug>/hours/<int:entry_id>/resubmit", methods=["POST"])
@login_required
def resubmit(slug: str, entry_id: int) -> Any:
    entry = db.session.get(LoggedHours, entry_id)
    if entry is None or entry.user_id != current_user.id or entry.programme_slug != slug:
        abort(404, description=gettext("There is no such entry."))
    form = _log_form(slug)
    if not form.validate_on_submit():
        return _programme_with_errors(slug, form, correcting=entry_id)
    was_rejected = entry.status == REJECTED
    try:
        resubmit_hours(entry, current_user, hours=form.hours.data, kind=form.kind.data,
                       activity_date=form.activity_date.data, reflection=form.reflection.data,
                       category=form.category.data or entry.category,
                       supervisor=db.session.get(User, form.supervisor.data), zone=_zone(form))
    except CertificationError as exc:
        _add_error(form, exc)
        return _programme_with_errors(slug, form, correcting=entry_id)
    db.session.commit()
    flash(gettext("Corrected and sent back to your supervisor.") if was_rejected else
          gettext("Changed. Your supervisor will see the new details."), "success")
    return redirect(url_for("certification.programme", slug=slug))


def _own_entry(slug: str, entry_id: int) -> LoggedHours:
    entry = db.session.get(LoggedHours, entry_id)
    if entry is None or entry.user_id != current_user.id or entry.programme_slug != slug:
        abort(404, description=gettext("There is no such entry."))
    return entry


def _change_own_entry(slug: str, entry_id: int, change: Callable[[LoggedHours, User], Any],
                      done: str) -> Any:
    """A trainee's one-button change to their own entry: checked form, the service's
    refusal as a 409, one commit, back to the programme page."""
    entry = _own_entry(slug, entry_id)
    require_form_token()
    try:
        change(entry, current_user)
    except CertificationError as exc:
        abort(409, description=str(exc))
    db.session.commit()
    flash(done, "success")
    return redirect(url_for("certification.programme", slug=slug))


@bp.route("/programmes/<slug>/hours/<int:entry_id>/withdraw", methods=["POST"])
@login_required
def withdraw(slug: str, entry_id: int) -> Any:
    return _change_own_entry(slug, entry_id, withdraw_hours,
                             gettext("Withdrawn. Your supervisor will no longer see it."))


@bp.route("/programmes/<slug>/hours/<int:entry_id>/reflection/delete", methods=["POST"])
@login_required
def remove_reflection(slug: str, entry_id: int) -> Any:
    return _change_own_entry(slug, entry_id, delete_reflection,
                             gettext("The text of that entry is deleted."))


# --- find a peer supporter ------------------------------------------------------------------


@bp.route("/peer-supporters")
@login_required
def directory() -> Any:
    return render_template("certification/directory.html",
                           supporters=listed_supporters(current_user))


@bp.route("/programmes/<slug>/listing", methods=["POST"])
@login_required
def listing(slug: str) -> Any:
    get_programme(slug)
    form = ListingForm()
    if not form.validate_on_submit():
        db.session.rollback()
        return _programme_page(slug, _log_form(slug), listing_form=form), 422
    try:
        save_listing(current_user, contact=form.contact.data or "",
                     languages=form.languages.data or "",
                     availability=form.availability.data or "")
    except PermissionError as exc:
        abort(403, description=str(exc))
    db.session.commit()
    flash(gettext("You are listed in Find a peer supporter."), "success")
    return redirect(url_for("certification.programme", slug=slug))


@bp.route("/programmes/<slug>/listing/remove", methods=["POST"])
@login_required
def unlist(slug: str) -> Any:
    require_form_token()
    remove_listing(current_user)
    db.session.commit()
    flash(gettext("You are no longer listed. Colleagues cannot find you in the directory."),
          "success")
    return redirect(url_for("certification.programme", slug=slug))


# --- certificates -----------------------------------------------------------------------------


def _in_my_organisation(certificate: Certificate) -> bool:
    holder = db.session.get(User, certificate.user_id)
    return (current_user.is_authenticated and holder is not None
            and holder.organisation_id == current_organisation_id())


def _own_certificate(code: str) -> Certificate:
    """By its unguessable code, and only the holder's (anyone else: not found)."""
    certificate = get_certificate_by_code(code)
    if certificate is None or certificate.user_id != current_user.id:
        abort(404, description=gettext("There is no such certificate."))
    return certificate


@bp.route("/certificates/<code>.pdf")
@login_required
def pdf(code: str) -> Response:
    certificate = _own_certificate(code)
    body = certificate_pdf(certificate, _verify_url(certificate))
    response = make_response(body)
    response.headers["Content-Type"] = "application/pdf"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="certificate-{certificate.code}.pdf"')
    return response


def _badge_token(certificate: Certificate) -> str:
    title, description = describe(certificate)
    return open_badge(certificate, base_url=base_url(), programme_title=title,
                      programme_description=description,
                      issuer_name=current_app.config["LMS_PLUGIN_TOOL_NAME"],
                      verify_url=_verify_url(certificate))


@bp.route("/certificates/<code>/badge")
@login_required
def badge(code: str) -> Response:
    """The Open Badge as a VC-JWT, for machines (wallets, verifiers)."""
    certificate = _own_certificate(code)
    token = _badge_token(certificate)
    db.session.commit()
    response = make_response(token)
    response.headers["Content-Type"] = "application/vc+jwt"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="badge-{certificate.code}.jwt"')
    return response


@bp.route("/certificates/<code>/badge.png")
@login_required
def badge_png(code: str) -> Response:
    """The Open Badge as an image people can open and share, with the signed credential
    baked into it (Open Badges 3.0)."""
    certificate = _own_certificate(code)
    token = _badge_token(certificate)
    db.session.commit()
    response = make_response(bake_png(badge_image(describe(certificate)[0]), token))
    response.headers["Content-Type"] = "image/png"
    response.headers["Content-Disposition"] = (
        f'attachment; filename="badge-{certificate.code}.png"')
    return response


@bp.app_template_global()
def credential_links(certificate: Certificate) -> dict[str, str]:
    """Where the holder gets their certificate: PDF, badge image, badge for machines,
    verification page and LinkedIn's "Add to profile"."""
    verify_url = _verify_url(certificate)
    name, organisation = describe(certificate)[0], issuer_for(certificate).organisation
    return {
        "name": name, "organisation": organisation,
        "pdf": url_for("certification.pdf", code=certificate.code),
        "png": url_for("certification.badge_png", code=certificate.code),
        "jwt": url_for("certification.badge", code=certificate.code),
        "verify": verify_url,
        "linkedin": linkedin_add_url(
            name=name, organisation=organisation,
            issued=certificate.issued_at, expires_at=expires(certificate),
            cert_url=verify_url, cert_id=certificate.code),
    }


@bp.route("/certificates/<code>/revoke", methods=["POST"])
@login_required
def revoke(code: str) -> Any:
    """By the certificate's unguessable code; only an admin of the holder's organisation
    (anyone else is told there is no such certificate)."""
    if not is_admin():
        abort(403, description=gettext("Only an L&D admin can revoke a certificate."))
    certificate = get_certificate_by_code(code)
    if certificate is None or not _in_my_organisation(certificate):
        abort(404, description=gettext("There is no such certificate."))
    form = ReasonForm()
    if not form.validate_on_submit():
        abort(400, description=form.first_error(
            gettext("Give a reason for revoking the certificate.")))
    revoke_certificate(certificate, current_user, form.reason.data or "")
    db.session.commit()
    flash(gettext("The certificate is revoked; its verification page says so now."), "success")
    return redirect(url_for("certification.verify", code=certificate.code))


# --- public verification ------------------------------------------------------------------


def _verify_url(certificate: Certificate) -> str:
    return base_url() + url_for("certification.verify", code=certificate.code)


def _public(certificate: Certificate) -> dict[str, Any]:
    state = certificate.state_at(datetime.now(UTC))
    until = expires(certificate)
    return {
        "code": certificate.code,
        "holder": certificate.holder_name,
        "programme": describe(certificate)[0],
        "issued": certificate.issued_at.date().isoformat(),
        "expires": until.date().isoformat() if until else None,
        "status": state,
        "revoked": certificate.revoked_at.date().isoformat() if certificate.revoked_at else None,
    }


NOT_FOUND = N_("No certificate has this code. Check that it was copied exactly (20 letters "
             "and digits); a code that was altered will not be found.")


@bp.route("/verify/<code>")
@limiter.limit(lambda: current_app.config["LMS_PLUGIN_RATE_LIMIT_VERIFY"])
@reads_only
def verify(code: str) -> Any:
    as_json = code.endswith(".json") or request.accept_mimetypes.best == "application/json"
    code = code.removesuffix(".json")
    certificate = get_certificate_by_code(code, public=True)
    if certificate is None:
        if as_json:
            return jsonify(error="not_found", message=NOT_FOUND), 404
        return render_template("certification/verify.html", certificate=None,
                               message=gettext(NOT_FOUND)), 404
    data = _public(certificate)
    if as_json:
        return jsonify(data)
    return render_template("certification/verify.html", certificate=data,
                           revoke_form=ReasonForm() if is_admin()
                           and _in_my_organisation(certificate) else None)


@bp.route("/verify/badge", methods=["GET", "POST"])
@csrf.exempt  # anyone may paste a badge to check it; nothing is changed
@limiter.limit(lambda: current_app.config["LMS_PLUGIN_RATE_LIMIT_VERIFY"])
def verify_badge() -> Any:
    if request.method == "GET":
        return render_template("certification/verify_badge.html", result=None, error=None)
    token = (request.form.get("badge") or request.get_data(as_text=True) or "").strip()
    try:
        payload = read_badge(token, base_url())
    except BadgeRejected as exc:
        return render_template("certification/verify_badge.html", result=None,
                               error=str(exc)), 422
    code = str(payload["vc"].get("id", "")).rsplit("/", 1)[-1]
    certificate = get_certificate_by_code(code)
    if certificate is None:
        return render_template("certification/verify_badge.html", result=None,
                               error=gettext("The badge is signed by us but names no "
                                             "certificate.")), 422
    return render_template("certification/verify_badge.html", result=_public(certificate),
                           error=None)


@bp.route("/training/completed")
@login_required
def training_completed() -> Any:
    """The acknowledgement of the whole training, with its certificate."""
    if not has_completed_training(current_user):
        return redirect(url_for("training.overview"))
    certificate = get_training_certificate(current_user)
    if certificate is None:  # finished before these certificates existed: issue it now
        certificate = issue_training_certificate_if_due(current_user)
        db.session.commit()
    return render_template(
        "training/training_completed.html", certificate=certificate,
        modules=get_catalog().ordered_modules(),
        programmes=sorted(get_catalog().programmes.values(), key=lambda p: p.slug))
