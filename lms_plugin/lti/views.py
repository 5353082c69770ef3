"""LTI endpoints of the integration contract. Views parse, call a service, commit once."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from flask import (
    Blueprint,
    Response,
    current_app,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_wtf.csrf import generate_csrf

from ..extensions import csrf, db, limiter
from ..i18n import N_, remember_launch
from ..observability import count_launch
from ..security import ANY, allow_framing, remember_frame_ancestors
from ..urls import base_url, launch_url
from ..users.sessions import start_session
from . import deep_linking, registration
from .claims import LaunchClaims
from .errors import LaunchError
from .framing import launch_frame_ancestors, learn_frame_origins
from .keys import get_jwks
from .landing import landing_facts, landing_url
from .login import begin_login
from .nrps import request_roster_sync_at_launch
from .registration import accept_first_deployment
from .services import LaunchIdentity, record_launch
from .storage_check import NeedsStorageCheck
from .validation import load_launch

bp = Blueprint("lti", __name__, url_prefix="/lti")


@bp.errorhandler(LaunchError)
def launch_error(exc: LaunchError) -> tuple[str, int]:
    if request.endpoint == "lti.launch":
        count_launch("refused")
    if request.endpoint in ("lti.login", "lti.launch"):
        # A refused login or launch has no trustworthy word on who frames it, and the
        # message is for whoever sees the frame (the first Canvas launch from a school's
        # domain included): it holds nothing to click or read that could be misused.
        allow_framing([ANY])
    title, message = exc.shown()
    return render_template("lti/error.html", title=title, message=message), exc.status


@bp.errorhandler(429)
def too_many(_exc: Exception) -> tuple[str, int]:
    # The per-address limit on login and launch: shown in the LMS's frame like any refusal.
    return launch_error(LaunchError(
        N_("Too many people on your network opened this tool in the last minute. Wait a "
           "minute, then open it again from your course."), status=429,
        title=N_("Too many launches at once")))


@bp.route("/login", methods=["GET", "POST"])
@csrf.exempt
@limiter.limit(lambda: current_app.config["LMS_PLUGIN_RATE_LIMIT_LOGIN"])  # per address
def login() -> Response:
    url, oidc, query = begin_login(launch_url())
    target = request.values.get("lti_storage_target")
    if target:
        # Platform storage: keep state and nonce in the platform's frame, not in a cookie
        # a browser may block; then continue to the platform's auth endpoint. Nothing
        # signed says yet which page frames us (Canvas: the school's domain), and this
        # page only hands state and nonce to the platform's own origin, then moves on.
        allow_framing([ANY])
        auth = oidc.auth_login_url()
        response = make_response(
            render_template(
                "lti/storage_login.html",
                auth_url=url,
                state=query["state"],
                nonce=query["nonce"],
                target=target,
                platform_origin=_origin(auth),
            )
        )
        oidc.set_cookies(response)
        return response
    return oidc.get_redirect(url).do_redirect()


def _origin(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}"


@bp.route("/launch", methods=["POST"])
@csrf.exempt
@limiter.limit(lambda: current_app.config["LMS_PLUGIN_RATE_LIMIT_LAUNCH"])  # per address
def launch() -> Any:
    try:
        message = load_launch()
    except NeedsStorageCheck as check:
        allow_framing(launch_frame_ancestors(check.platform, LaunchClaims.parse(check.claims),
                                             base_url()))
        return render_template(
            "lti/storage_launch.html",
            check=check,
            id_token=request.form.get("id_token"),
            action=url_for("lti.launch"),
        )
    claims = message.claims()
    platform = message.platform  # as validated: no query (see lti.registrations)
    if message.new_deployment_id:
        accept_first_deployment(platform, message.new_deployment_id)
    identity = record_launch(claims, platform.organisation_id, landing_facts(), platform.id)
    count_launch("deep_linking" if claims.is_deep_linking else "resource_link")
    learn_frame_origins(platform, claims)
    ancestors = launch_frame_ancestors(platform, claims, base_url())
    course = identity.course
    if course is not None:
        request_roster_sync_at_launch(course.id, course.memberships_url,
                                      course.roster_synced_at, platform.id)
    launch_id = message.get_launch_id()
    # The course's name as stored now, for the landing page's "You came from" (no query).
    start_session(identity.user, identity.roles, launch_id=launch_id,
                  course_id=course.id if course else None,
                  course_title=course.shown_as if course else None)
    remember_launch(claims.locale, claims.custom_text("timezone", 64))
    # The new session's form token, made now and saved with the launch's cookie: else the
    # landing page, whose header has a form, would make it and send the cookie again.
    generate_csrf()
    # Chosen before the commit, from what the launch wrote: nothing is read again after it.
    destination = _destination(claims, launch_id, identity)
    db.session.commit()
    remember_frame_ancestors(ancestors)
    allow_framing(ancestors)
    return redirect(destination)


def _destination(claims: LaunchClaims, launch_id: str, identity: LaunchIdentity) -> str:
    if claims.is_deep_linking:
        return url_for("lti.deep_link", launch_id=launch_id)
    module = claims.custom.get("module")
    if module:
        if claims.custom.get("open") == "quiz":
            return url_for("quiz.start_page", slug=module)
        return url_for("training.module", slug=module)
    return landing_url(identity.user, identity.roles, identity.facts)


@bp.route("/jwks")
def jwks() -> Response:
    keys = get_jwks()
    db.session.commit()  # the first request may have made the first key
    response = jsonify(keys)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


bp.add_url_rule(
    "/deep-link/<launch_id>", view_func=deep_linking.picker, methods=["GET", "POST"],
    endpoint="deep_link",
)
bp.add_url_rule("/register", view_func=registration.register, methods=["GET", "POST"])
bp.add_url_rule("/canvas.json", view_func=registration.canvas_json)
csrf.exempt("lms_plugin.lti.registration.register")
