"""The demo LMS: pick a persona and a course, and launch into the tool through the real
OIDC + id_token flow, the way Moodle or Canvas would."""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlparse

from flask import (
    Blueprint,
    abort,
    current_app,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from itsdangerous import BadSignature, URLSafeSerializer
from lti1p3platform.registration import Registration

from ..extensions import csrf
from .mailbox import mailbox_of
from .platform import DemoMessageLaunch, DemoOIDCLogin, DemoPlatformConf, platform_request
from .state import COURSES, LOCALES, PERSONAS, DemoState

bp = Blueprint("demo", __name__, url_prefix="/demo")
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"


def demo_state() -> DemoState:
    ext = current_app.extensions
    if "demo_state" not in ext:
        path = current_app.config.get("DEMO_LMS_STATE") or str(
            Path(current_app.instance_path) / "demo_lms.json"
        )
        ext["demo_state"] = DemoState(Path(path))
    return ext["demo_state"]


def issuer() -> str:
    return str(current_app.config.get("DEMO_LMS_ISSUER") or "http://demo-lms.local")


def platform_base() -> str:
    return request.host_url.rstrip("/") + url_for("demo.index").rstrip("/")


def platform_conf() -> DemoPlatformConf:
    return DemoPlatformConf(state=demo_state(), issuer=issuer())


def _hints() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="demo-lms-message-hint")


def _storage_enabled() -> bool:
    return bool(current_app.config.get("DEMO_LMS_PLATFORM_STORAGE", True))


@bp.before_request
def keep_tool_registration_current() -> None:
    # Mounted in the tool (demo mode): the tool is on this very host, whatever name the
    # browser used for it, so the URLs the platform knows follow the request.
    hook = current_app.config.get("DEMO_LMS_ON_REQUEST")
    if callable(hook):
        hook()


@bp.route("/")
def index() -> Any:
    return render_template(
        "demo/index.html", personas=PERSONAS, courses=COURSES, locales=LOCALES,
        tool=demo_state().tool(),
    )


@bp.route("/mailbox")
def mailbox() -> Any:
    """Every e-mail the tool sent, as the demo's SMTP sink caught it (newest first)."""
    sink = mailbox_of(current_app)
    messages = list(reversed(sink.messages())) if sink is not None else []
    return render_template("demo/mailbox.html", running=sink is not None, messages=messages)


@bp.route("/course/<course>")
def course(course: str) -> Any:
    if course not in COURSES:
        abort(404, description="There is no such course in the demo LMS.")
    persona = request.args.get("persona", "learner")
    if persona not in PERSONAS:
        abort(400, description="Pick one of the demo personas.")
    link_id = request.args.get("link", "")
    message = "deep_link" if request.args.get("add") else "resource"
    locale = _locale()
    start = url_for(
        "demo.start", persona=persona, course=course, link=link_id, message=message,
        module=request.args.get("module", ""), locale=locale,
    )
    tool = demo_state().tool() or {}
    return render_template(
        "demo/course.html",
        course_id=course,
        course=COURSES[course],
        persona_id=persona,
        persona=PERSONAS[persona],
        links=demo_state().links(course),
        locale=locale,
        frame_src=start,
        tool_origin=_origin(tool.get("launch_url", "")),
        is_teacher=persona == "admin",
        gradebook=_gradebook(course) if persona == "admin" else None,
    )


def _gradebook(course: str) -> list[dict[str, Any]]:
    names = {p["sub"]: p["name"] for p in PERSONAS.values()}
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for score in demo_state().scores(course):
        latest[(score["line_item"], score["userId"])] = score
    items = demo_state().line_items(course)
    rows = []
    for (item_id, user), score in sorted(latest.items()):
        rows.append({
            "item": items.get(item_id, {}).get("label", item_id),
            "person": names.get(user, user),
            "score": score.get("scoreGiven"),
            "maximum": score.get("scoreMaximum"),
            "progress": score.get("activityProgress"),
            "when": score.get("timestamp", "")[:16].replace("T", " "),
        })
    return rows


def _locale() -> str:
    """The course language the demo LMS sends as `launch_presentation.locale` (Moodle sends
    the course's or the person's language): one of `LOCALES`, else none."""
    locale = request.args.get("locale", "")
    return locale if locale in LOCALES else ""


def _origin(url: str) -> str:
    parsed = urlparse(url)
    return f"{parsed.scheme}://{parsed.netloc}" if parsed.netloc else ""


@bp.route("/start")
def start() -> Any:
    """Third-party initiated login: send the browser to the tool's login URL."""
    persona = request.args.get("persona", "")
    course = request.args.get("course", "")
    if persona not in PERSONAS or course not in COURSES:
        abort(400, description="Unknown persona or course.")
    hint = _hints().dumps(
        {
            "persona": persona,
            "course": course,
            "link": request.args.get("link", ""),
            "module": request.args.get("module", ""),
            "message": request.args.get("message", "resource"),
            "locale": _locale(),
        }
    )
    conf = platform_conf()
    try:
        conf.get_registration()
    except LookupError as exc:
        abort(409, description=str(exc))
    login = DemoOIDCLogin(platform_request(), conf)
    login.set_lti_message_hint(hint=hint)
    url = login.prepare_preflight_url(PERSONAS[persona]["sub"])
    if _storage_enabled():
        url += "&" + urlencode({"lti_storage_target": "_parent"})
    return redirect(url)


@bp.route("/auth", methods=["GET", "POST"])
@csrf.exempt
def auth() -> Any:
    """The platform's OIDC authorization endpoint: answer with a signed id_token."""
    params = request.values
    try:
        hint = _hints().loads(params.get("lti_message_hint", ""))
    except BadSignature:
        abort(400, description="The lti_message_hint was not made by this platform.")
    persona = PERSONAS[hint["persona"]]
    if params.get("login_hint") != persona["sub"]:
        abort(400, description="login_hint does not match the user of this launch.")
    conf = platform_conf()
    tool = demo_state().tool() or {}
    if params.get("redirect_uri") not in tool.get("redirect_uris", [tool.get("launch_url")]):
        abort(400, description="redirect_uri is not registered for this tool.")

    launch = DemoMessageLaunch(platform_request(), conf)
    launch.storage_target = "_parent" if _storage_enabled() else None
    course_id = hint["course"]
    course = COURSES[course_id]
    launch.set_user_data(
        persona["sub"], persona["roles"], persona["name"], persona["email"],
    )
    presentation = {
        "document_target": "iframe",
        "return_url": request.host_url.rstrip("/") + url_for("demo.course", course=hint["course"]),
    }
    if hint.get("locale"):
        presentation["locale"] = hint["locale"]
    extra: dict[str, Any] = {
        "given_name": persona["given_name"],
        "family_name": persona["family_name"],
        CLAIM + "launch_presentation": presentation,
        CLAIM + "tool_platform": {
            "guid": "demo-lms", "name": "lms_plugin demo LMS", "product_family_code": "demo",
        },
    }
    if persona.get("mentees"):
        extra[CLAIM + "role_scope_mentor"] = persona["mentees"]
    launch.set_launch_context_claim(
        course_id,
        context_types=["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"],
        context_title=course["title"],
        context_label=course["label"],
    )
    base = platform_base()
    custom: dict[str, Any] = {"department": persona["department"]}
    if hint["message"] == "deep_link":
        launch.set_dl(
            base + f"/deep-link-return/{course_id}",
            title="Add peer support training",
            accept_types={"ltiResourceLink"},
            extra_data={"course": course_id},
        )
        extra[AGS] = _ags_claim(base, course_id, None)
    else:
        link = demo_state().find_link(course_id, hint["link"]) if hint["link"] else None
        if link:
            launch.set_resource_link_claim(link["id"], title=link["title"])
            custom.update(link.get("custom") or {})
        else:
            launch.set_resource_link_claim(f"{course_id}-programme", title="Peer support training")
            if hint.get("module"):
                custom["module"] = hint["module"]
        extra[AGS] = _ags_claim(base, course_id, link)
    extra[_nrps.NRPS_CLAIM] = _nrps.claim(base, course_id)
    launch.set_custom_parameters_claim(custom)
    launch.set_extra_claims(extra)
    return launch.lti_launch()


def _ags_claim(base: str, course_id: str, link: dict[str, Any] | None) -> dict[str, Any]:
    claim: dict[str, Any] = {
        "scope": [
            "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
            "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
            "https://purl.imsglobal.org/spec/lti-ags/scope/score",
        ],
        "lineitems": f"{base}/ags/{course_id}/lineitems",
    }
    if link and link.get("lineItem"):
        claim["lineitem"] = f"{base}/ags/{course_id}/lineitems/{link['id']}"
    return claim


@bp.route("/jwks")
def jwks() -> Any:
    keys = [Registration.get_jwk(k["public"]) for k in demo_state().published_keys()]
    return jsonify({"keys": keys})


@bp.route("/token", methods=["POST"])
@csrf.exempt
def token() -> Any:
    conf = platform_conf()
    conf.get_registration()
    try:
        return jsonify(conf.get_access_token(request.form.to_dict()))
    except Exception as exc:  # noqa: BLE001 - any refusal is the client's fault here
        return jsonify({"error": "invalid_request", "error_description": str(exc)}), 400


@bp.route("/deep-link-return/<course>", methods=["POST"])
@csrf.exempt
def deep_link_return(course: str) -> Any:
    if course not in COURSES:
        abort(404)
    conf = platform_conf()
    conf.get_registration()
    try:
        items = conf.validate_deeplinking_resp(request.form.to_dict())
    except Exception as exc:  # noqa: BLE001
        abort(400, description=f"The tool's deep linking response was refused: {exc}")
    added = demo_state().add_links(course, items)
    base = platform_base()
    for link in added:
        if link.get("lineItem"):
            demo_state().save_line_item(course, link["id"], {
                **link["lineItem"], "resourceLinkId": link["id"],
                "id": f"{base}/ags/{course}/lineitems/{link['id']}",
            })
    return render_template(
        "demo/deep_link_done.html", added=added, course_id=course, course=COURSES[course]
    )


from . import ags as _ags  # noqa: E402 - the gradebook routes hang off this blueprint
from . import nrps as _nrps  # noqa: E402 - and the rosters

_ags.register(bp, platform_conf, platform_base)
_nrps.register(bp, platform_conf, platform_base)


@bp.route("/keys/rotate", methods=["POST"])
@csrf.exempt
def rotate_key() -> Any:
    key = demo_state().rotate_key()
    return jsonify({"kid": key["kid"]})


# --- the platform side of LTI Dynamic Registration -------------------------------------


@bp.route("/.well-known/openid-configuration")
def openid_configuration() -> Any:
    # As Canvas does: during a registration, the configuration needs the registration token.
    pending = current_app.extensions.get("demo_registration_token")
    if pending and request.headers.get("Authorization") != f"Bearer {pending}":
        return jsonify({"error": "registration token required"}), 401
    base = platform_base()
    return jsonify(
        {
            "issuer": issuer(),
            "authorization_endpoint": base + "/auth",
            "token_endpoint": base + "/token",
            "token_endpoint_auth_methods_supported": ["private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
            "jwks_uri": base + "/jwks",
            "registration_endpoint": base + "/registrations",
            "scopes_supported": ["openid"],
            "response_types_supported": ["id_token"],
            "subject_types_supported": ["public", "pairwise"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "claims_supported": ["iss", "sub", "name", "given_name", "family_name", "email"],
            "https://purl.imsglobal.org/spec/lti-platform-configuration": {
                "product_family_code": "lms_plugin-demo",
                "version": "1.0",
                "messages_supported": [
                    {"type": "LtiResourceLinkRequest"},
                    {"type": "LtiDeepLinkingRequest"},
                ],
            },
        }
    )


@bp.route("/registrations", methods=["POST"])
@csrf.exempt
def registrations() -> Any:
    expected = current_app.extensions.get("demo_registration_token")
    auth = request.headers.get("Authorization", "")
    if not expected or auth != f"Bearer {expected}":
        return jsonify({"error": "invalid registration token"}), 401
    body = request.get_json(silent=True) or {}
    tool_conf = body.get("https://purl.imsglobal.org/spec/lti-tool-configuration") or {}
    if "id_token" not in body.get("response_types", []) or not body.get("initiate_login_uri"):
        return jsonify({"error": "invalid_client_metadata"}), 400
    client_id = "demo-client-" + secrets.token_hex(4)
    deployment_id = "demo-deployment-" + secrets.token_hex(3)
    demo_state().set_tool(
        {
            "client_id": client_id,
            "deployment_id": deployment_id,
            "login_url": body["initiate_login_uri"],
            "launch_url": tool_conf.get("target_link_uri") or body["redirect_uris"][0],
            "redirect_uris": body.get("redirect_uris", []),
            "jwks_url": body["jwks_uri"],
        }
    )
    current_app.extensions.pop("demo_registration_token", None)  # single use
    response = dict(body)
    response["client_id"] = client_id
    response["https://purl.imsglobal.org/spec/lti-tool-configuration"] = {
        **tool_conf,
        "deployment_id": deployment_id,
    }
    return jsonify(response)


@bp.route("/register-tool")
def register_tool() -> Any:
    """What an LMS admin sees: paste the tool's registration URL, the tool opens in a frame."""
    tool_url = request.args.get("url", "")
    frame = None
    if tool_url:
        token_ = secrets.token_urlsafe(16)
        current_app.extensions["demo_registration_token"] = token_
        sep = "&" if "?" in tool_url else "?"
        frame = tool_url + sep + urlencode(
            {
                "openid_configuration": platform_base() + "/.well-known/openid-configuration",
                "registration_token": token_,
            }
        )
    return render_template("demo/register_tool.html", tool_url=tool_url, frame=frame)
