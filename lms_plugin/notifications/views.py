"""/notifications: a person turns the non-essential kinds of e-mail off or on."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user, login_required

from ..extensions import db
from ..inputs import require_form_token
from .services import enabled, set_preferences, turned_off
from .topics import TOPICS, optional

bp = Blueprint("notifications", __name__)


@bp.route("/notifications", methods=["GET", "POST"])
@login_required
def preferences() -> Any:
    if request.method == "POST":
        require_form_token()
        wanted = set(request.form.getlist("on"))
        if not wanted <= set(optional()):
            abort(400, description=gettext("There is no such kind of e-mail to turn on."))
        set_preferences(current_user, wanted)
        db.session.commit()
        flash(gettext("Your e-mail settings are saved."), "success")
        return redirect(url_for("notifications.preferences"))
    off = turned_off(current_user)
    return render_template(
        "notifications/preferences.html", enabled=enabled(), email=current_user.email,
        optional=[(TOPICS[key], key not in off) for key in optional()],
        essential=[topic for topic in TOPICS.values() if topic.essential])
