"""Sign-in for local admin accounts (L&D admins who do not come through the LMS)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, redirect, render_template, session, url_for
from flask_login import login_user
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, Length

from ..certification.services import audit
from ..extensions import db, limiter
from .local import check_login
from .models import ADMIN

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
        session.clear()  # a fresh session: nothing of whoever used this browser before
        login_user(result.user)
        session["roles"] = [ADMIN]
        audit("admin.login", result.user, result.user, None)
        db.session.commit()
        return redirect(url_for("reporting.dashboard"))
    status = 422 if form.is_submitted() else 200
    return render_template("users/admin_login.html", form=form), status
