"""Sign-in for local admin accounts (L&D admins who do not come through the LMS)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, session, url_for
from flask_babel import gettext
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import EmailField, PasswordField, SelectField
from wtforms.validators import DataRequired, Length

from ..audit import audit
from ..extensions import db, limiter
from ..inputs import require_form_token
from .local import check_login
from .models import ADMIN, Organisation
from .sessions import end_this_session, start_session

bp = Blueprint("users", __name__)


class AdminLoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=320)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=500)])


@bp.route("/admin/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LMS_PLUGIN_RATE_LIMIT_ADMIN_LOGIN"],
               methods=["POST"])
def admin_login() -> Any:
    form = AdminLoginForm()
    if form.validate_on_submit():
        result = check_login(form.email.data or "", form.password.data or "")
        if result.user is None:
            db.session.commit()  # the failure count and any lockout
            form.password.errors = [result.message]
            return render_template("users/admin_login.html", form=form), 401
        operator = bool(result.credential and result.credential.is_operator)
        start_session(result.user, [ADMIN], local_admin=True, operator=operator)
        audit("admin.login", result.user, result.user, None)
        db.session.commit()
        if operator:
            return redirect(url_for("users.choose_organisation"))
        return redirect(url_for("reporting.dashboard"))
    status = 422 if form.is_submitted() else 200
    return render_template("users/admin_login.html", form=form), status


class SignOutForm(FlaskForm):
    pass


@bp.route("/logout", methods=["POST"])
def logout() -> Any:
    """End this browser's session (the LMS launch or the local admin sign-in)."""
    require_form_token()
    end_this_session()
    return render_template("users/signed_out.html")


class ChooseOrganisationForm(FlaskForm):
    organisation = SelectField("Organisation", coerce=int, validators=[DataRequired()])


@bp.route("/admin/organisation", methods=["GET", "POST"])
@login_required
def choose_organisation() -> Any:
    """Operators of the tool choose the organisation they act in; nobody else may."""
    if not session.get("operator"):
        abort(403, description=gettext("Only an operator of the tool chooses an organisation."))
    organisations = list(db.session.scalars(select(Organisation).order_by(Organisation.name)))
    form = ChooseOrganisationForm()
    form.organisation.choices = [(o.id, o.name) for o in organisations]
    if form.validate_on_submit():
        session["acting_organisation_id"] = form.organisation.data
        audit("operator.organisation", current_user, None, None,
              organisation_id=form.organisation.data)
        db.session.commit()
        return redirect(url_for("reporting.dashboard"))
    status = 422 if form.is_submitted() else 200
    return render_template("users/choose_organisation.html", form=form,
                           acting=session.get("acting_organisation_id")), status
