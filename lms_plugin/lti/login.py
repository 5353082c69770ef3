"""OIDC login initiation (`/lti/login`): find the registration, refuse what is not ours,
and let pylti1p3 make the state (a cookie) and the nonce (the shared store, bound to the
state)."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

from flask import request
from pylti1p3.contrib.flask import FlaskOIDCLogin
from pylti1p3.exception import OIDCException

from ..i18n import N_
from ..urls import is_ours
from .errors import LaunchError
from .registrations import AmbiguousIssuer, PlatformRecord, find_platform, platforms_of
from .storage import pylti_services
from .tool_config import DatabaseToolConf


class ToolOIDCLogin(FlaskOIDCLogin):
    """pylti1p3's Flask login, with our session service (typed for any SessionService)."""

    def auth_login_url(self) -> str:
        """The platform's OIDC authorisation endpoint this login redirects to."""
        return (self._registration.get_auth_login_url() if self._registration else "") or ""

    def set_cookies(self, response: Any) -> None:
        """The login's state cookie, on a response the view made itself."""
        self._cookie_service.update_response(response)


def _param(name: str) -> str | None:
    value = request.values.get(name)
    return value if value else None


def begin_login(launch_url: str) -> tuple[str, ToolOIDCLogin, dict[str, str]]:
    """Validate a login initiation; return the platform's auth URL to send the browser to."""
    iss = _param("iss")
    if not iss:
        raise LaunchError(N_("The login request has no issuer (iss)."))
    if not _param("login_hint"):
        raise LaunchError(N_("The login request has no login_hint."))
    client_id = _param("client_id")
    try:
        platform = find_platform(iss, client_id)
    except AmbiguousIssuer:
        raise LaunchError(
            N_("The platform %(issuer)s is registered with several client ids, and this "
               "login request did not say which (client_id)."), issuer=iss
        ) from None
    if platform is None:
        raise unknown_registration(iss, client_id)
    require_approved(platform)
    target = _param("target_link_uri")
    if target and not is_ours(target):
        raise LaunchError(N_("The login request asks to open a page that is not this tool's."))

    req, session_service, storage = pylti_services()
    oidc = ToolOIDCLogin(
        req,
        DatabaseToolConf(),
        session_service=session_service,  # type: ignore[arg-type]
        launch_data_storage=storage,
    )
    try:
        redirect = oidc.get_redirect_object(launch_url)
    except OIDCException as exc:
        raise LaunchError(str(exc)) from exc
    url = redirect.get_redirect_url()
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    session_service.bind_nonce(query["state"], query["nonce"])
    return url, oidc, query


def require_approved(platform: PlatformRecord) -> None:
    if not platform.approved:
        raise LaunchError(
            N_("This LMS registered itself with the tool, and an operator of the tool has "
               "not approved the registration yet (number %(number)s: lms-plugin platform "
               "approve). Ask your LMS administrator to contact them."),
            status=403, title=N_("Waiting for approval"), number=str(platform.id))


def unknown_registration(iss: str, client_id: str | None) -> LaunchError:
    if not platforms_of(iss):
        return LaunchError(
            N_("This tool has no registration for the platform %(issuer)s. An LMS "
               "administrator must register it first."), status=403, issuer=iss)
    return LaunchError(N_("The client id %(client_id)s is not registered for the platform "
                          "%(issuer)s."), status=403, client_id=repr(client_id), issuer=iss)
