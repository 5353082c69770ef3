"""LTI Dynamic Registration (Moodle's "Add LTI Advantage", Canvas) and Canvas's JSON."""

from __future__ import annotations

import hmac
from typing import Any
from urllib.parse import urlparse

import requests
from flask import Response, current_app, jsonify, render_template, request, url_for
from pylti1p3.dynamic_registration import DynamicRegistration
from pylti1p3.exception import LtiException
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import csrf, db
from ..i18n import N_
from ..security import ANY, allow_framing, origin_of
from ..urls import base_url
from ..users.models import Organisation
from .errors import LaunchError
from .models import Deployment, Platform
from .outbound import OutboundSession
from .registrations import PlatformRecord, find_platform, platforms_of

SCOPES = [
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
    "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly",
    "https://purl.imsglobal.org/spec/lti-ags/scope/score",
    "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly",
]
PLATFORM_CONF = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONF = "https://purl.imsglobal.org/spec/lti-tool-configuration"
COULD_NOT_FETCH = N_(
    "The tool could not fetch the LMS configuration from the address the LMS gave. Start "
    "the registration again from the LMS; if it keeps failing, the tool's operators can "
    "see why in its log."
)
DESCRIPTION = (
    "Workplace mental-health awareness training and peer-supporter certification: "
    "modules, quizzes, supervised practice and verifiable certificates."
)


def _urls() -> dict[str, str]:
    base = base_url()
    return {
        "base": base,
        "login": base + url_for("lti.login"),
        "launch": base + url_for("lti.launch"),
        "jwks": base + url_for("lti.jwks"),
        "logo": base + url_for("static", filename="logo.svg"),
        "domain": urlparse(base).netloc,
    }


class ToolDynamicRegistration(DynamicRegistration):
    def __init__(self, openid_configuration: str, registration_token: str | None,
                 approved: bool):
        self.openid_configuration = openid_configuration
        # With the operators' registration key the platform may launch at once; without
        # it, it waits for `lms-plugin platform approve`.
        self.approved = approved
        self.registration_token = registration_token
        self.urls = _urls()
        self.client_name = current_app.config["LMS_PLUGIN_TOOL_NAME"]
        self.description = DESCRIPTION
        self.platform: Platform | None = None

    def get_request_session(self) -> requests.Session:
        return OutboundSession()

    def get_openid_configuration_endpoint(self) -> str:
        return self.openid_configuration

    def get_registration_token(self) -> str | None:  # type: ignore[override]
        return self.registration_token

    def get_initiate_login_uri(self) -> str:
        return self.urls["login"]

    def get_jwks_uri(self) -> str:
        return self.urls["jwks"]

    def get_redirect_uris(self) -> list[str]:
        return [self.urls["launch"]]

    def get_scopes(self) -> list[str]:
        return SCOPES

    def get_domain(self) -> str:
        return self.urls["domain"]

    def get_target_link_uri(self) -> str:
        return self.urls["launch"]

    def get_logo_uri(self) -> str:
        return self.urls["logo"]

    def get_claims(self) -> list[str]:
        return ["iss", "sub", "name", "given_name", "family_name", "email"]

    def get_messages(self) -> list[dict[str, Any]]:
        return [
            {
                "type": "LtiDeepLinkingRequest",
                "target_link_uri": self.urls["launch"],
                "label": f"Add {self.client_name}",
                "placements": ["ContentArea"],
            },
            {
                "type": "LtiResourceLinkRequest",
                "target_link_uri": self.urls["launch"],
                "label": self.client_name,
            },
        ]

    def lti_registration_data(self) -> dict[str, Any]:
        data = super().lti_registration_data()
        tool_conf = data[TOOL_CONF]
        # Canvas defaults to anonymous launches; names are needed on certificates.
        tool_conf["https://canvas.instructure.com/lti/privacy_level"] = "public"
        tool_conf["https://canvas.instructure.com/lti/tool_id"] = "lms-plugin"
        return data

    def get_openid_configuration(self) -> dict[str, Any]:
        # Canvas wants the registration token on this request too (pylti1p3 omits it).
        headers = {"Accept": "application/json"}
        if self.registration_token:
            headers["Authorization"] = "Bearer " + self.registration_token
        with self.get_request_session() as session:
            resp = session.get(self.openid_configuration, headers=headers)
        try:
            conf = resp.json() if resp.ok else None
        except ValueError:
            conf = None
        if not isinstance(conf, dict):
            current_app.logger.warning("registration: %s answered %s, not a configuration",
                                       self.openid_configuration, resp.status_code)
            raise LaunchError(COULD_NOT_FETCH, 502, title=N_("Registration failed"))
        issuer = conf.get("issuer")
        if not isinstance(issuer, str) or origin_of(issuer) is None:
            raise LaunchError(N_("The platform's OpenID configuration names no issuer URL."))
        for field in ("authorization_endpoint", "token_endpoint", "jwks_uri",
                      "registration_endpoint"):
            if origin_of(conf.get(field)) is None:
                raise LaunchError(
                    N_("The platform's OpenID configuration has no %(field)s URL."),
                    field=field)
        _check_key_set_binding(issuer, conf["jwks_uri"])
        return conf

    def complete_registration(
        self, openid_configuration: dict[str, Any], openid_registration: dict[str, Any]
    ) -> Platform:
        client_id = openid_registration.get("client_id")
        tool_conf = openid_registration.get(TOOL_CONF) or {}
        deployment_id = tool_conf.get("deployment_id")
        if not isinstance(client_id, str) or not client_id:
            raise LaunchError(N_("The platform's registration response has no client_id."))
        platform_conf = openid_configuration.get(PLATFORM_CONF) or {}
        if find_platform(openid_configuration["issuer"], client_id, fresh=True) is not None:
            # A registration never rewrites another: the LMS names its issuer and the
            # client id itself, and could otherwise redirect someone else's logins.
            raise LaunchError(
                N_("%(issuer)s (client id %(client_id)s) is already registered with this "
                   "tool; an operator can change it with lms-plugin platform add."), 409,
                title=N_("Registration refused"), issuer=openid_configuration["issuer"],
                client_id=client_id)
        # Token requests are addressed to the token URL: Canvas publishes a bare host as
        # `authorization_server`, which its own token endpoint refuses as an audience.
        platform = save_platform(
            issuer=openid_configuration["issuer"],
            client_id=client_id,
            auth_login_url=openid_configuration["authorization_endpoint"],
            auth_token_url=openid_configuration["token_endpoint"],
            keyset_url=openid_configuration["jwks_uri"],
            name=str(platform_conf.get("product_family_code") or ""),
            deployment_id=deployment_id if isinstance(deployment_id, str) else None,
            deployment_added_by="registration",
            approved=self.approved,
        )
        # Canvas names no deployment here: it makes one when the tool is installed in an
        # account or course, and the first signed launch is where we learn it.
        platform.registered_dynamically = True
        platform.accept_new_deployments = True
        self.platform = platform
        return platform


def _check_key_set_binding(issuer: str, jwks_uri: str) -> None:
    """An issuer is one key set. Canvas serves every school's configuration from the
    school's own domain under the shared issuer https://canvas.instructure.com, so the
    configuration's host cannot vouch for the issuer; a second registration of an issuer
    may not bring a key set of its own, or it could sign launches as that issuer's people."""
    known = {p.keyset_url for p in platforms_of(issuer, fresh=True)}
    if known and jwks_uri not in known:
        raise LaunchError(
            N_("The platform %(issuer)s is already registered with another key set; this "
               "registration names %(jwks_uri)s. If the LMS really moved its keys, an "
               "operator must update the registration (lms-plugin platform add)."),
            403,
            title=N_("Registration refused"),
            issuer=issuer, jwks_uri=jwks_uri,
        )


def save_platform(
    *,
    issuer: str,
    client_id: str,
    auth_login_url: str,
    auth_token_url: str,
    keyset_url: str | None = None,
    public_key_pem: str | None = None,
    auth_audience: str | None = None,
    name: str = "",
    deployment_id: str | None = None,
    deployment_added_by: str = "operator",
    organisation_id: int | None = None,
    approved: bool = True,
) -> Platform:
    """Create or update a platform registration (and a deployment); flush, no commit.

    A new registration belongs to the organisation given, or to a new one named after
    it; an existing one keeps its organisation unless another is given."""
    platform = db.session.scalars(
        select(Platform).where(Platform.issuer == issuer, Platform.client_id == client_id)
    ).first()
    name = name or (platform.name if platform else "") or urlparse(issuer).netloc
    if organisation_id is None and platform is None:
        organisation = Organisation(name=name[:200])
        db.session.add(organisation)
        db.session.flush()
        organisation_id = organisation.id
    if platform is None:
        platform = Platform(issuer=issuer, client_id=client_id, approved=approved)
        db.session.add(platform)
    if organisation_id is not None:
        platform.organisation_id = organisation_id
    platform.name = name
    platform.auth_login_url = auth_login_url
    platform.auth_token_url = auth_token_url
    platform.keyset_url = keyset_url
    platform.public_key_pem = public_key_pem
    platform.auth_audience = auth_audience
    db.session.flush()
    if deployment_id:
        add_deployment(platform, deployment_id, added_by=deployment_added_by)
    return platform


def add_deployment(platform: Platform | PlatformRecord, deployment_id: str,
                   added_by: str = "operator"
                   ) -> Deployment:
    found = db.session.scalars(
        select(Deployment).where(
            Deployment.platform_id == platform.id, Deployment.deployment_id == deployment_id
        )
    ).first()
    if found is None:
        found = Deployment(platform_id=platform.id, deployment_id=deployment_id,
                           added_by=added_by)
        db.session.add(found)
        db.session.flush()
    return found


def accept_first_deployment(platform: Platform | PlatformRecord, deployment_id: str) -> None:
    """Record a deployment a signed launch named first (see Platform.accept_new_deployments);
    two first launches at once record it once."""
    try:
        with db.session.begin_nested():
            add_deployment(platform, deployment_id, added_by="first launch")
    except IntegrityError:
        pass  # another launch recorded it a moment ago


@csrf.exempt
def register() -> Any:
    """GET shows what will be registered; POST registers. The registration token the
    platform gave us is the authority here, not a session (the page runs in the LMS)."""
    openid_configuration = request.values.get("openid_configuration", "")
    registration_token = request.values.get("registration_token") or None
    # Moodle and Canvas open this page (and its result) in a frame of their admin page.
    # Moodle's page is on the origin of its OpenID configuration; Canvas's is on the
    # school's own domain while its configuration is served from the shared issuer's host
    # (canvas.instructure.com), and nothing trustworthy names the school's domain yet.
    # Being framed gives a page nothing it could not do by posting here itself: the
    # registration key (when one is set) is in the URL only the LMS was given.
    if origin_of(openid_configuration):
        allow_framing([ANY])
    key = current_app.config["LMS_PLUGIN_REGISTRATION_KEY"]
    if key and not hmac.compare_digest(request.values.get("key", ""), key):
        raise LaunchError(
            N_("This registration link needs the registration key the tool's operators gave "
            "you (…/lti/register?key=…)."),
            403,
            title=N_("Registration refused"),
        )
    if origin_of(openid_configuration) is None:  # http(s) with a host; "a://[" too is refused
        raise LaunchError(
            N_("Open this page from your LMS's dynamic registration screen: it must pass an "
            "openid_configuration URL."),
            title=N_("Registration refused"),
        )
    if request.method == "GET":
        return render_template(
            "lti/register.html",
            openid_configuration=openid_configuration,
            registration_token=registration_token,
            key=request.values.get("key", ""),
            urls=_urls(),
        )
    dr = ToolDynamicRegistration(openid_configuration, registration_token, approved=bool(key))
    try:
        dr.register()
    except requests.RequestException:
        # One message for every network failure: what answered where is for the log, not
        # for whoever can post here (a registration names any URL it likes).
        db.session.rollback()
        current_app.logger.warning("registration with %s failed", openid_configuration,
                                   exc_info=True)
        raise LaunchError(COULD_NOT_FETCH, 502, title=N_("Registration failed")) from None
    except (LtiException, AssertionError, ValueError):
        db.session.rollback()
        current_app.logger.warning("registration with %s refused", openid_configuration,
                                   exc_info=True)
        raise LaunchError(
            N_("The LMS did not accept the registration. Start it again from the LMS; if it "
            "keeps failing, the tool's operators can see why in its log."), 502,
            title=N_("Registration failed"),
        ) from None
    db.session.commit()
    return render_template("lti/register_done.html", platform=dr.platform)


def canvas_json() -> Response:
    urls = _urls()
    name = current_app.config["LMS_PLUGIN_TOOL_NAME"]
    placement = {
        "text": name,
        "icon_url": urls["logo"],
        "target_link_uri": urls["launch"],
    }
    return jsonify(
        {
            "title": name,
            "description": DESCRIPTION,
            "oidc_initiation_url": urls["login"],
            "target_link_uri": urls["launch"],
            "public_jwk_url": urls["jwks"],
            "scopes": SCOPES,
            "extensions": [
                {
                    "domain": urls["domain"],
                    "tool_id": "lms-plugin",
                    "platform": "canvas.instructure.com",
                    "privacy_level": "public",
                    "settings": {
                        "text": name,
                        "icon_url": urls["logo"],
                        "placements": [
                            {**placement, "placement": "course_navigation",
                             "message_type": "LtiResourceLinkRequest"},
                            {**placement, "placement": "link_selection",
                             "message_type": "LtiDeepLinkingRequest"},
                            {**placement, "placement": "assignment_selection",
                             "message_type": "LtiDeepLinkingRequest"},
                        ],
                    },
                }
            ],
        }
    )
