"""The id_token launch (`/lti/launch`), on pylti1p3, with stricter validation than its
defaults.

Validation order matters: everything that reads only (format, algorithm, registration,
signature, times, deployment, claims, state) runs before the one thing that writes
(taking the state's nonce, if it is the id_token's, and saving the launch data, in one
call to the store), so a refused launch stores nothing.
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from flask import current_app
from pylti1p3.contrib.flask import FlaskMessageLaunch
from pylti1p3.exception import LtiException

from ..extensions import PersonRateLimited, limit_person
from ..i18n import N_
from .claims import (
    CLAIM,
    DEEP_LINKING,
    DL_CLAIM,
    RESOURCE_LINK,
    LaunchClaims,
    check_claim_bounds,
)
from .errors import LaunchError
from .keysets import public_key_pem
from .login import require_approved, unknown_registration
from .registrations import PlatformRecord, cached, find_platform, platforms_of
from .storage import ToolSessionService, pylti_services
from .storage_check import NeedsStorageCheck, issue_check_token, verify_storage_check
from .tool_config import DatabaseToolConf, ToolRegistration, registration_for

SUPPORTED_MESSAGES = {RESOURCE_LINK, DEEP_LINKING}
USED_OR_EXPIRED = N_("This launch has already been used or has timed out. Launch again from "
                   "your course.")
OTHER_SIGN_IN = N_("This launch's id_token was issued for a different sign-in than its state. "
                 "Launch again from your course.")


def _b64json(part: str) -> Any:
    return json.loads(FlaskMessageLaunch.urlsafe_b64decode(part))


class ToolMessageLaunch(FlaskMessageLaunch):
    """pylti1p3's launch validation, stricter (see the methods) and read through
    `claims()`, `platform` and `platform_id`: nothing outside lti/ touches pylti1p3's
    internals."""

    _resolved_client_id: str | None = None
    _platform: PlatformRecord | None = None
    _session_service: ToolSessionService
    # A deployment this launch names for the first time, on a platform that accepts new
    # ones (Canvas after dynamic registration); recorded by the view with the launch.
    new_deployment_id: str | None = None

    def claims(self) -> LaunchClaims:
        return LaunchClaims.parse(self.get_launch_data())

    @property
    def platform(self) -> PlatformRecord:
        """The registration that signed this launch (as read for it: see registrations)."""
        assert self._platform is not None
        return self._platform

    @property
    def platform_id(self) -> int:
        registration = self._registration
        assert isinstance(registration, ToolRegistration)
        return registration.platform_id

    # pylti1p3 takes aud[0]; we take the authorised party, checked in validate_audience.
    def get_client_id(self) -> str:
        if self._resolved_client_id is None:
            body: dict[str, Any] = dict(self._jwt.get("body", {}))
            aud = body.get("aud")
            # A restored launch was checked when it arrived; take its authorised party.
            self._resolved_client_id = body.get("azp") or (
                aud[0] if isinstance(aud, list) else aud
            )
        return str(self._resolved_client_id)

    def validate(self) -> ToolMessageLaunch:
        self._validated = True
        try:
            self.validate_jwt_format()
            self.validate_header()
            self.validate_audience()
            self.validate_registration()
            self.validate_jwt_signature()
            self.validate_deployment()
            self.validate_claims()
            self.validate_person_rate()
            self.validate_state()
            self.validate_nonce()  # and saves the launch data, in the same call
        except LtiException as exc:
            self._validated = False
            raise LaunchError(str(exc)) from exc
        except Exception:
            self._validated = False
            raise
        return self

    def validate_jwt_format(self) -> ToolMessageLaunch:
        token = self._get_request_param("id_token")
        if not token:
            raise LaunchError(N_("The launch has no id_token."))
        parts = token.split(".")
        if len(parts) != 3:
            raise LaunchError(N_("The id_token is not a signed JWT (it must have three parts)."))
        try:
            header, body = _b64json(parts[0]), _b64json(parts[1])
        except (ValueError, TypeError):  # bad base64, bad UTF-8, bad JSON
            raise LaunchError(N_("The id_token cannot be decoded.")) from None
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise LaunchError(N_("The id_token cannot be decoded."))
        # First, before any claim reaches a query (the issuer is looked up next).
        check_claim_bounds(body)
        self._jwt = {"header": header, "body": body}  # type: ignore[typeddict-item]
        return self

    def validate_header(self) -> None:
        alg = self._jwt["header"].get("alg")
        if alg != "RS256":
            raise LaunchError(
                N_("The id_token is signed with %(alg)s; LTI 1.3 requires RS256."),
                status=401, alg=repr(alg)
            )
        if not self._jwt["header"].get("kid"):
            raise LaunchError(N_("The id_token header names no key (kid)."), status=401)

    def validate_audience(self) -> None:
        body = self._jwt["body"]
        iss = body.get("iss")
        if not iss or not isinstance(iss, str):
            raise LaunchError(N_("The id_token has no issuer (iss)."))
        aud = body.get("aud")
        auds = [aud] if isinstance(aud, str) else aud
        if not auds or not isinstance(auds, list) or not all(isinstance(a, str) for a in auds):
            raise LaunchError(N_("The id_token has no audience (aud)."))
        azp = body.get("azp")
        if azp is not None:
            if not isinstance(azp, str) or azp not in auds:
                raise LaunchError(
                    N_("The id_token's authorised party (azp) is not one of its audiences."),
                    status=401,
                )
            client_id = azp
        elif len(auds) > 1:
            raise LaunchError(
                N_("The id_token has several audiences but no authorised party (azp)."), status=401
            )
        else:
            client_id = auds[0]
        trusted = {p.client_id for p in platforms_of(iss)}
        if client_id not in trusted or not set(auds) <= trusted:
            # never refused on what this process kept alone (see registrations)
            trusted = {p.client_id for p in platforms_of(iss, fresh=True)}
        if not trusted:
            raise unknown_registration(iss, client_id)
        if client_id not in trusted:
            raise unknown_registration(iss, client_id)
        untrusted = [a for a in auds if a not in trusted]
        if untrusted:
            raise LaunchError(
                N_("The id_token is also addressed to an audience this tool does not "
                   "trust: %(audiences)s"),
                status=401, audiences=", ".join(repr(a) for a in untrusted),
            )
        self._resolved_client_id = client_id

    def validate_registration(self) -> ToolMessageLaunch:
        body = self._jwt["body"]
        platform = find_platform(body["iss"], self.get_client_id())
        if platform is None:  # checked in validate_audience; kept for safety
            raise unknown_registration(body["iss"], self.get_client_id())
        require_approved(platform)
        self._platform = platform
        self._registration = registration_for(platform)
        return self

    def get_public_key(self) -> tuple[str, str]:
        reg = self._registration
        assert isinstance(reg, ToolRegistration)
        if reg.static_public_key:
            return reg.static_public_key, "RS256"
        url = reg.get_key_set_url()
        if not url or not url.startswith(("http://", "https://")):
            raise LaunchError(N_("The platform registration has no usable key set URL."), 500)
        return public_key_pem(url, self._jwt["header"]["kid"]), "RS256"

    def validate_jwt_signature(self) -> ToolMessageLaunch:
        token = self._get_id_token()
        public_key, alg = self.get_public_key()
        skew = current_app.config["LMS_PLUGIN_CLOCK_SKEW"]
        try:
            jwt.decode(
                token,
                _verifying_key(public_key),
                algorithms=[alg],
                options={"verify_aud": False, "require": ["exp", "iat"]},
                leeway=skew,
            )
        except jwt.ExpiredSignatureError:
            raise LaunchError(
                N_("The id_token has expired. Launch again from your course."), 401
            ) from None
        except jwt.ImmatureSignatureError:
            raise LaunchError(
                N_("The id_token is dated in the future; check the LMS server's clock."), 401
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            raise LaunchError(N_("The id_token has no %(claim)s claim."), 401,
                              claim=repr(exc.claim)) from None
        except jwt.InvalidSignatureError:
            raise LaunchError(N_("The id_token's signature does not verify."), 401) from None
        except jwt.InvalidTokenError as exc:
            raise LaunchError(N_("The id_token is not valid: %(reason)s"), 401,
                              reason=str(exc)) from None
        except (jwt.PyJWTError, ValueError):
            # e.g. a registered key that is not a usable RSA key
            raise LaunchError(N_("The platform's key could not be used to check the id_token; "
                              "an LMS administrator must fix the registration."), 401) from None
        iat = self._jwt["body"]["iat"]  # type: ignore[typeddict-item]
        if time.time() - iat > current_app.config["LMS_PLUGIN_IAT_MAX_AGE"] + skew:
            raise LaunchError(
                N_("The id_token was issued too long ago. Launch again from your course."), 401
            )
        return self

    def validate_deployment(self) -> ToolMessageLaunch:
        deployment_id = self._jwt["body"].get(CLAIM + "deployment_id")
        if not deployment_id or not isinstance(deployment_id, str):
            raise LaunchError(N_("The id_token has no deployment_id claim."))
        if len(deployment_id) > 255 or not deployment_id.isprintable():
            raise LaunchError(N_("The id_token's deployment_id is not a usable identifier."))
        platform = self.platform
        if deployment_id in platform.deployment_ids:
            return self
        # never refused on what this process kept alone (see registrations)
        platform = find_platform(platform.issuer, platform.client_id, fresh=True) or platform
        self._platform = platform
        if deployment_id in platform.deployment_ids:
            return self
        if platform.accept_new_deployments:
            self.new_deployment_id = deployment_id
            return self
        raise LaunchError(
            N_("The deployment %(quoted)s is not registered for this platform (%(issuer)s, "
               "client id %(client_id)s). An operator of this tool must add it: lms-plugin "
               "platform add ... --deployment-id %(deployment_id)s"),
            status=403, quoted=repr(deployment_id), issuer=self._jwt["body"]["iss"],
            client_id=self.get_client_id(), deployment_id=deployment_id,
        )

    def validate_claims(self) -> None:
        body = self._jwt["body"]
        version = body.get(CLAIM + "version")
        if version is None:
            raise LaunchError(N_("The id_token has no LTI version claim."))
        if version != "1.3.0":
            raise LaunchError(
                N_("The LTI version %(version)s is not supported; expected 1.3.0."),
                version=repr(version))
        message_type = body.get(CLAIM + "message_type")
        if not message_type:
            raise LaunchError(N_("The id_token has no message_type claim."))
        if message_type not in SUPPORTED_MESSAGES:
            raise LaunchError(N_("This tool does not handle %(type)s messages."),
                              type=repr(message_type))
        if not body.get("sub"):
            raise LaunchError(
                N_("This launch is anonymous (it carries no user id). Your progress and any "
                "certificate must belong to you, so this tool needs a stable identity from "
                "the LMS. Ask your LMS administrator to send the user id (sub)."),
                status=403,
                title=N_("We need to know who you are"),
            )
        roles = body.get(CLAIM + "roles")
        if not isinstance(roles, list):
            raise LaunchError(N_("The id_token has no roles claim."))
        if message_type == RESOURCE_LINK:
            link = body.get(CLAIM + "resource_link")
            if not isinstance(link, dict) or not link.get("id"):
                raise LaunchError(N_("The id_token has no resource_link id."))
        if message_type == DEEP_LINKING:
            settings = body.get(DL_CLAIM + "deep_linking_settings")
            if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
                raise LaunchError(N_("The deep linking request has no return URL."))
        if not body.get("nonce"):
            raise LaunchError(N_("The id_token has no nonce."))
        self.validate_message()

    def validate_person_rate(self) -> None:
        """The per-person launch limit, keyed by whom the platform signed the launch for
        (never by anything the browser sends); before the nonce is consumed."""
        body = self._jwt["body"]
        try:
            limit_person(body["iss"], self.get_client_id(), str(body["sub"]))
        except PersonRateLimited:
            raise LaunchError(
                N_("You have opened the tool many times in the last minute. Wait a minute, "
                "then open it again from your course."), status=429,
                title=N_("Too many launches")) from None

    def validate_state(self) -> ToolMessageLaunch:
        """The state cookie matches, or a platform storage check passes. That the nonce
        is the state's is checked where it is taken (`validate_nonce`)."""
        state = self._get_request_param("state")
        if not state:
            raise LaunchError(N_("The launch has no state."))
        if self._cookie_service.get_cookie(state) == state:
            return self
        check = self._get_request_param("lti_storage_check")
        if check:
            verify_storage_check(state, self._get_id_token(), check)
            return self
        target = self._get_request_param("lti_storage_target")
        if target:
            self._check_nonce_is_the_states(state)  # before the check token is stored
            token = issue_check_token(state, self._get_id_token())
            origin = self.platform.auth_login_url
            raise NeedsStorageCheck(state, self._jwt["body"]["nonce"], target, token,
                                    _origin(origin), dict(self._jwt["body"]),
                                    self.platform)
        raise LaunchError(
            N_("Your browser did not send back the login cookie, so we cannot be sure this "
            "launch started here. Launch again; if it keeps happening, allow cookies for "
            "this site or open the tool in a new window."),
            status=401,
        )

    def _check_nonce_is_the_states(self, state: str) -> None:
        """The id_token's nonce must be the one issued with this state at login: a state
        from one login and a token made for another are refused. Reads only."""
        _refuse_unless_same(self._session_service.nonce_for(state), self._jwt["body"]["nonce"])

    def validate_nonce(self) -> ToolMessageLaunch:
        """The one write of validation: the state's nonce is taken, only if it is the
        id_token's, and the launch data saved, in one call to the store; of two posts of
        the same launch only one gets through."""
        state = self._get_request_param("state")
        nonce = self._jwt["body"]["nonce"]
        found = self._session_service.consume_nonce_and_save(
            state, nonce, self._launch_id, dict(self._jwt["body"]))
        _refuse_unless_same(found, nonce)
        return self

    def save_launch_data(self) -> ToolMessageLaunch:
        raise NotImplementedError("validate_nonce saves the launch data with the nonce")


def _parsed_rsa_key(pem: str) -> RSAPublicKey | None:
    try:
        key = load_pem_public_key(pem.encode())
    except (ValueError, TypeError):
        return None
    return key if isinstance(key, RSAPublicKey) else None


def _verifying_key(pem: str) -> RSAPublicKey | str:
    """The platform's RSA key parsed once and kept like the registrations (PyJWT would
    parse the PEM on every launch); anything else is passed on as it is, for PyJWT to
    refuse as before."""
    return cached(("verifying-key", pem), lambda: _parsed_rsa_key(pem)) or pem


def _refuse_unless_same(issued: str | None, nonce: str) -> None:
    if issued is None:
        raise LaunchError(USED_OR_EXPIRED, status=401)
    if issued != nonce:
        raise LaunchError(OTHER_SIGN_IN, status=401)


def _origin(url: str) -> str:
    parsed = urlparse(url or "")
    return f"{parsed.scheme}://{parsed.netloc}"


def load_launch() -> ToolMessageLaunch:
    """Validate the id_token POST of this request (LaunchError or NeedsStorageCheck)."""
    req, session_service, storage = pylti_services()
    launch = ToolMessageLaunch(
        req, DatabaseToolConf(), session_service=session_service, launch_data_storage=storage
    )
    launch.validate()
    return launch


def restore_launch(launch_id: str) -> ToolMessageLaunch:
    """A launch saved by `load_launch`, by its launch id (deep linking, AGS claims)."""
    req, session_service, storage = pylti_services()
    try:
        launch = ToolMessageLaunch.from_cache(
            launch_id,
            req,
            DatabaseToolConf(),
            session_service=session_service,
            launch_data_storage=storage,
        )
    except LtiException as exc:
        raise LaunchError(N_("Your launch has expired; launch again from your course."),
                          401) from exc
    return launch  # type: ignore[return-value]
