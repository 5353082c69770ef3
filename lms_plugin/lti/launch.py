"""OIDC login and id_token launch, on pylti1p3, with stricter validation than its defaults.

Validation order matters: everything that reads only (format, algorithm, registration,
signature, times, deployment, claims, state, and that the nonce is the one issued with
that state) runs before the one thing that writes (consuming the nonce and saving the
launch data), so a refused launch stores nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from typing import Any
from urllib.parse import parse_qs, urlparse

import jwt
import requests
from flask import current_app, request
from flask_limiter import RateLimitExceeded
from jwcrypto.common import JWException
from jwcrypto.jwk import JWK
from pylti1p3.contrib.flask import FlaskMessageLaunch, FlaskOIDCLogin, FlaskRequest
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.launch_data_storage.base import LaunchDataStorage
from pylti1p3.session import SessionService

from ..extensions import limit_person
from ..store import get_store
from ..urls import is_ours, own_origins
from .claims import (
    CLAIM,
    DEEP_LINKING,
    DL_CLAIM,
    RESOURCE_LINK,
    LaunchClaims,
    check_claim_bounds,
)
from .errors import LaunchError
from .outbound import OutboundSession
from .tool_config import (
    AmbiguousIssuer,
    DatabaseToolConf,
    ToolRegistration,
    get_platform,
    query_platforms,
    registration_for,
)

SUPPORTED_MESSAGES = {RESOURCE_LINK, DEEP_LINKING}


class NeedsStorageCheck(Exception):
    """No state cookie reached us, but the platform offers LTI platform storage:
    the browser must confirm the state from there (see templates/lti/storage_launch.html)."""

    def __init__(self, state: str, nonce: str, target: str, check_token: str, origin: str,
                 claims: dict[str, Any], platform_id: int):
        super().__init__("platform storage check")
        self.state, self.nonce, self.target = state, nonce, target
        self.check_token, self.origin = check_token, origin
        # Signature checked: who may frame the check page is learned from these.
        self.claims, self.platform_id = claims, platform_id


class StoreDataStorage(LaunchDataStorage):
    """pylti1p3 launch data storage on the shared store. Keys are unguessable values
    (state, nonce, launch id), so no per-browser session id is needed, and a browser that
    blocks third-party cookies can still launch."""

    def get_session_cookie_name(self) -> None:
        return None

    def get_value(self, key: str) -> Any:
        return get_store().get(self._prepare_key(key))

    def set_value(self, key: str, value: Any, exp: int | None = None) -> None:
        get_store().set(self._prepare_key(key), value, exp)

    def check_value(self, key: str) -> bool:
        return get_store().get(self._prepare_key(key)) is not None

    def pop_value(self, key: str) -> Any:
        return get_store().pop(self._prepare_key(key))

    def can_set_keys_expiration(self) -> bool:
        return True


class ToolSessionService(SessionService):
    """A nonce is kept under the state of the login that issued it, so a launch must bring
    back a state and a nonce from the same login; using it consumes it, atomically across
    processes."""

    data_storage: StoreDataStorage

    def _bound_key(self, state: str) -> str:
        return self._get_key("state-nonce", state)

    def save_nonce(self, nonce: str) -> None:
        """pylti1p3 saves the nonce without its state; `bind_nonce` stores it with it. A
        nonce stored alone would let any login's state go with it."""

    def bind_nonce(self, state: str, nonce: str) -> None:
        self.data_storage.set_value(
            self._bound_key(state), nonce, current_app.config["LMS_PLUGIN_STATE_TTL"])

    def nonce_for(self, state: str) -> str | None:
        """The nonce issued with this state, if it is still unused (reads only)."""
        value = self.data_storage.get_value(self._bound_key(state))
        return value if isinstance(value, str) else None

    def consume_nonce(self, state: str, nonce: str) -> bool:
        """Take the state's nonce; true only if it was this one and nobody took it first."""
        return self.data_storage.pop_value(self._bound_key(state)) == nonce

    def check_nonce(self, nonce: str) -> bool:
        return False  # a nonce means something only with its state: see consume_nonce


def _services() -> tuple[FlaskRequest, ToolSessionService, StoreDataStorage]:
    req = FlaskRequest()
    storage = StoreDataStorage()
    storage.set_request(req)
    session_service = ToolSessionService(req)
    session_service.set_data_storage(storage)
    session_service.set_launch_data_lifetime(current_app.config["LMS_PLUGIN_LAUNCH_DATA_TTL"])
    return req, session_service, storage


# --- OIDC login initiation -------------------------------------------------------------


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
        raise LaunchError("The login request has no issuer (iss).")
    if not _param("login_hint"):
        raise LaunchError("The login request has no login_hint.")
    client_id = _param("client_id")
    try:
        platform = get_platform(iss, client_id)
    except AmbiguousIssuer:
        raise LaunchError(
            f"The platform {iss} is registered with several client ids, and this login "
            "request did not say which (client_id)."
        ) from None
    if platform is None:
        raise LaunchError(_unknown_registration(iss, client_id), status=403)
    _require_approved(platform)
    target = _param("target_link_uri")
    if target and not is_ours(target):
        raise LaunchError("The login request asks to open a page that is not this tool's.")

    req, session_service, storage = _services()
    oidc = ToolOIDCLogin(
        req,
        DatabaseToolConf(),
        session_service=session_service,  # type: ignore[arg-type]
        launch_data_storage=storage,
    )
    if target:
        oidc.pass_params_to_launch({"target_link_uri": target})
    try:
        redirect = oidc.get_redirect_object(launch_url)
    except OIDCException as exc:
        raise LaunchError(str(exc)) from exc
    url = redirect.get_redirect_url()
    query = {k: v[0] for k, v in parse_qs(urlparse(url).query).items()}
    session_service.bind_nonce(query["state"], query["nonce"])
    return url, oidc, query


def _require_approved(platform: Any) -> None:
    if not platform.approved:
        raise LaunchError(
            "This LMS registered itself with the tool, and an operator of the tool has not "
            f"approved the registration yet (number {platform.id}: lms-plugin platform "
            "approve). Ask your LMS administrator to contact them.",
            status=403, title="Waiting for approval")


def _unknown_registration(iss: str, client_id: str | None) -> str:
    if not query_platforms(iss):
        return (
            f"This tool has no registration for the platform {iss}. "
            "An LMS administrator must register it first."
        )
    return f"The client id {client_id!r} is not registered for the platform {iss}."


# --- id_token launch ---------------------------------------------------------------------


MIN_RSA_BITS = 2048


def _b64json(part: str) -> Any:
    return json.loads(FlaskMessageLaunch.urlsafe_b64decode(part))


class ToolMessageLaunch(FlaskMessageLaunch):
    """pylti1p3's launch validation, stricter (see the methods) and read through
    `claims()` and `platform_id`: nothing outside this module touches pylti1p3's
    internals."""

    _resolved_client_id: str | None = None

    def claims(self) -> LaunchClaims:
        return LaunchClaims.parse(self.get_launch_data())

    @property
    def platform_id(self) -> int:
        registration = self._registration
        assert isinstance(registration, ToolRegistration)
        return registration.platform_id
    # A deployment this launch names for the first time, on a platform that accepts new
    # ones (Canvas after dynamic registration); recorded by the view with the launch.
    new_deployment_id: str | None = None

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
            self.validate_nonce()
            self.save_launch_data()
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
            raise LaunchError("The launch has no id_token.")
        parts = token.split(".")
        if len(parts) != 3:
            raise LaunchError("The id_token is not a signed JWT (it must have three parts).")
        try:
            header, body = _b64json(parts[0]), _b64json(parts[1])
        except (ValueError, TypeError):  # bad base64, bad UTF-8, bad JSON
            raise LaunchError("The id_token cannot be decoded.") from None
        if not isinstance(header, dict) or not isinstance(body, dict):
            raise LaunchError("The id_token cannot be decoded.")
        # First, before any claim reaches a query (the issuer is looked up next).
        check_claim_bounds(body)
        self._jwt = {"header": header, "body": body}  # type: ignore[typeddict-item]
        return self

    def validate_header(self) -> None:
        alg = self._jwt["header"].get("alg")
        if alg != "RS256":
            raise LaunchError(
                f"The id_token is signed with {alg!r}; LTI 1.3 requires RS256.", status=401
            )
        if not self._jwt["header"].get("kid"):
            raise LaunchError("The id_token header names no key (kid).", status=401)

    def validate_audience(self) -> None:
        body = self._jwt["body"]
        iss = body.get("iss")
        if not iss or not isinstance(iss, str):
            raise LaunchError("The id_token has no issuer (iss).")
        aud = body.get("aud")
        auds = [aud] if isinstance(aud, str) else aud
        if not auds or not isinstance(auds, list) or not all(isinstance(a, str) for a in auds):
            raise LaunchError("The id_token has no audience (aud).")
        azp = body.get("azp")
        if azp is not None:
            if not isinstance(azp, str) or azp not in auds:
                raise LaunchError(
                    "The id_token's authorised party (azp) is not one of its audiences.",
                    status=401,
                )
            client_id = azp
        elif len(auds) > 1:
            raise LaunchError(
                "The id_token has several audiences but no authorised party (azp).", status=401
            )
        else:
            client_id = auds[0]
        platforms = query_platforms(iss)
        if not platforms:
            raise LaunchError(_unknown_registration(iss, client_id), status=403)
        trusted = {p.client_id for p in platforms}
        if client_id not in trusted:
            raise LaunchError(_unknown_registration(iss, client_id), status=403)
        untrusted = [a for a in auds if a not in trusted]
        if untrusted:
            raise LaunchError(
                "The id_token is also addressed to an audience this tool does not trust: "
                + ", ".join(repr(a) for a in untrusted),
                status=401,
            )
        self._resolved_client_id = client_id

    def validate_registration(self) -> ToolMessageLaunch:
        body = self._jwt["body"]
        platform = get_platform(body["iss"], self.get_client_id())
        if platform is None:  # checked in validate_audience; kept for safety
            raise LaunchError(_unknown_registration(body["iss"], self.get_client_id()), 403)
        _require_approved(platform)

        self._registration = registration_for(platform)
        return self

    # -- keys

    def _keyset_key(self, url: str) -> str:
        return "keyset:" + hashlib.sha256(url.encode()).hexdigest()

    def _fetch_keyset(self, url: str) -> dict[str, Any]:
        try:
            resp = OutboundSession().get(url)
            resp.raise_for_status()
            keyset = resp.json()
        except (requests.RequestException, ValueError):
            # Saying why would tell a prober what answers where: the log says it.
            current_app.logger.warning("key set %s could not be read", url, exc_info=True)
            raise LaunchError(
                "The platform's key set could not be read; try again in a moment.",
                status=502,
                title="The LMS could not be reached",
            ) from None
        if not isinstance(keyset, dict) or not isinstance(keyset.get("keys"), list):
            raise LaunchError(f"The platform's key set at {url} is not a JWK set.", status=502)
        get_store().set(
            self._keyset_key(url), keyset, current_app.config["LMS_PLUGIN_KEYSET_TTL"]
        )
        return keyset

    def get_public_key(self) -> tuple[str, str]:
        reg = self._registration
        assert isinstance(reg, ToolRegistration)
        if reg.static_public_key:
            return reg.static_public_key, "RS256"
        url = reg.get_key_set_url()
        if not url or not url.startswith(("http://", "https://")):
            raise LaunchError("The platform registration has no usable key set URL.", 500)
        kid = self._jwt["header"]["kid"]
        keyset = get_store().get(self._keyset_key(url))
        key = _find_key(keyset, kid) if keyset else None
        if key is None:
            # An unknown kid may be a key the platform rotated in: re-fetch once.
            key = _find_key(self._fetch_keyset(url), kid)
        if key is None:
            raise LaunchError(
                f"The platform's key set has no key {kid!r} for RS256.", status=401
            )
        try:
            jwk = JWK.from_json(json.dumps(key))
            bits = jwk.get_op_key("verify").key_size
            pem = jwk.export_to_pem()
        except (JWException, ValueError, TypeError, KeyError, AttributeError):
            raise LaunchError(f"The platform's key {kid!r} is not a usable RSA key.", 401) from None
        if bits < MIN_RSA_BITS:  # NIST SP 800-131A; a short key's signature proves little
            raise LaunchError(f"The platform's key {kid!r} is too short ({bits} bits; at "
                              f"least {MIN_RSA_BITS} are needed).", 401)
        return pem.decode() if isinstance(pem, bytes) else pem, "RS256"

    def validate_jwt_signature(self) -> ToolMessageLaunch:
        token = self._get_id_token()
        public_key, alg = self.get_public_key()
        skew = current_app.config["LMS_PLUGIN_CLOCK_SKEW"]
        try:
            jwt.decode(
                token,
                public_key,
                algorithms=[alg],
                options={"verify_aud": False, "require": ["exp", "iat"]},
                leeway=skew,
            )
        except jwt.ExpiredSignatureError:
            raise LaunchError(
                "The id_token has expired. Launch again from your course.", 401
            ) from None
        except jwt.ImmatureSignatureError:
            raise LaunchError(
                "The id_token is dated in the future; check the LMS server's clock.", 401
            ) from None
        except jwt.MissingRequiredClaimError as exc:
            raise LaunchError(f"The id_token has no {exc.claim!r} claim.", 401) from None
        except jwt.InvalidSignatureError:
            raise LaunchError("The id_token's signature does not verify.", 401) from None
        except jwt.InvalidTokenError as exc:
            raise LaunchError(f"The id_token is not valid: {exc}", 401) from None
        except (jwt.PyJWTError, ValueError):
            # e.g. a registered key that is not a usable RSA key
            raise LaunchError("The platform's key could not be used to check the id_token; "
                              "an LMS administrator must fix the registration.", 401) from None
        iat = self._jwt["body"]["iat"]  # type: ignore[typeddict-item]
        if time.time() - iat > current_app.config["LMS_PLUGIN_IAT_MAX_AGE"] + skew:
            raise LaunchError(
                "The id_token was issued too long ago. Launch again from your course.", 401
            )
        return self

    def validate_deployment(self) -> ToolMessageLaunch:
        deployment_id = self._jwt["body"].get(CLAIM + "deployment_id")
        if not deployment_id or not isinstance(deployment_id, str):
            raise LaunchError("The id_token has no deployment_id claim.")
        if len(deployment_id) > 255 or not deployment_id.isprintable():
            raise LaunchError("The id_token's deployment_id is not a usable identifier.")
        found = DatabaseToolConf().find_deployment_by_params(
            self._jwt["body"]["iss"], deployment_id, self.get_client_id()
        )
        if found:
            return self
        platform = get_platform(self._jwt["body"]["iss"], self.get_client_id())
        if platform is not None and platform.accept_new_deployments:
            self.new_deployment_id = deployment_id
            return self
        raise LaunchError(
            f"The deployment {deployment_id!r} is not registered for this platform "
            f"({self._jwt['body']['iss']}, client id {self.get_client_id()}). An operator "
            "of this tool must add it: lms-plugin platform add ... --deployment-id "
            f"{deployment_id}",
            status=403,
        )

    def validate_claims(self) -> None:
        body = self._jwt["body"]
        version = body.get(CLAIM + "version")
        if version is None:
            raise LaunchError("The id_token has no LTI version claim.")
        if version != "1.3.0":
            raise LaunchError(f"The LTI version {version!r} is not supported; expected 1.3.0.")
        message_type = body.get(CLAIM + "message_type")
        if not message_type:
            raise LaunchError("The id_token has no message_type claim.")
        if message_type not in SUPPORTED_MESSAGES:
            raise LaunchError(f"This tool does not handle {message_type!r} messages.")
        if not body.get("sub"):
            raise LaunchError(
                "This launch is anonymous (it carries no user id). Your progress and any "
                "certificate must belong to you, so this tool needs a stable identity from "
                "the LMS. Ask your LMS administrator to send the user id (sub).",
                status=403,
                title="We need to know who you are",
            )
        roles = body.get(CLAIM + "roles")
        if not isinstance(roles, list):
            raise LaunchError("The id_token has no roles claim.")
        if message_type == RESOURCE_LINK:
            link = body.get(CLAIM + "resource_link")
            if not isinstance(link, dict) or not link.get("id"):
                raise LaunchError("The id_token has no resource_link id.")
        if message_type == DEEP_LINKING:
            settings = body.get(DL_CLAIM + "deep_linking_settings")
            if not isinstance(settings, dict) or not settings.get("deep_link_return_url"):
                raise LaunchError("The deep linking request has no return URL.")
        if not body.get("nonce"):
            raise LaunchError("The id_token has no nonce.")
        self.validate_message()

    def validate_person_rate(self) -> None:
        """The per-person launch limit, keyed by whom the platform signed the launch for
        (never by anything the browser sends); before the nonce is consumed."""
        body = self._jwt["body"]
        try:
            limit_person(body["iss"], self.get_client_id(), str(body["sub"]))
        except RateLimitExceeded:
            raise LaunchError(
                "You have opened the tool many times in the last minute. Wait a minute, "
                "then open it again from your course.", status=429,
                title="Too many launches") from None

    def validate_state(self) -> ToolMessageLaunch:
        state = self._get_request_param("state")
        if not state:
            raise LaunchError("The launch has no state.")
        if self._cookie_service.get_cookie(state) == state:
            self._check_nonce_is_the_states(state)
            return self
        check = self._get_request_param("lti_storage_check")
        if check:
            _verify_storage_check(state, self._get_id_token(), check)
            self._check_nonce_is_the_states(state)
            return self
        target = self._get_request_param("lti_storage_target")
        if target:
            self._check_nonce_is_the_states(state)  # before the check token is stored
            token = secrets.token_urlsafe(24)
            get_store().set(
                "storage-check:" + token,
                {"state": state, "id_token": _hash(self._get_id_token())},
                current_app.config["LMS_PLUGIN_STATE_TTL"],
            )
            reg = self._registration
            assert reg is not None
            login_url = urlparse(reg.get_auth_login_url() or "")
            origin = f"{login_url.scheme}://{login_url.netloc}"
            assert isinstance(reg, ToolRegistration)
            raise NeedsStorageCheck(state, self._jwt["body"]["nonce"], target, token, origin,
                                    dict(self._jwt["body"]), reg.platform_id)
        raise LaunchError(
            "Your browser did not send back the login cookie, so we cannot be sure this "
            "launch started here. Launch again; if it keeps happening, allow cookies for "
            "this site or open the tool in a new window.",
            status=401,
        )

    def _check_nonce_is_the_states(self, state: str) -> None:
        """The id_token's nonce must be the one issued with this state at login: a state
        from one login and a token made for another are refused. Reads only."""
        issued = self._session_service.nonce_for(state)
        if issued is None:
            raise LaunchError(USED_OR_EXPIRED, status=401)
        if issued != self._jwt["body"]["nonce"]:
            raise LaunchError(
                "This launch's id_token was issued for a different sign-in than its state. "
                "Launch again from your course.",
                status=401,
            )

    def validate_nonce(self) -> ToolMessageLaunch:
        # The one write of validation (with save_launch_data): the state's nonce is taken,
        # so of two posts of the same launch only one gets through.
        state = self._get_request_param("state")
        if not self._session_service.consume_nonce(state, self._jwt["body"]["nonce"]):
            raise LaunchError(USED_OR_EXPIRED, status=401)
        return self


USED_OR_EXPIRED = ("This launch has already been used or has timed out. Launch again from "
                   "your course.")


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _verify_storage_check(state: str, id_token: str, token: str) -> None:
    # The check page posts from our own origin; a cross-site post cannot carry it.
    origin = request.headers.get("Origin")
    if origin not in own_origins():
        raise LaunchError("The platform storage check did not come from this tool.", 401)
    saved = get_store().pop("storage-check:" + token)
    if not saved or saved["state"] != state or saved["id_token"] != _hash(id_token):
        raise LaunchError("The platform storage check failed; launch again.", 401)


def _find_key(keyset: Any, kid: str) -> dict[str, Any] | None:
    for key in keyset.get("keys", []) if isinstance(keyset, dict) else []:
        if isinstance(key, dict) and key.get("kid") == kid and key.get("alg", "RS256") == "RS256":
            return key
    return None


def load_launch() -> ToolMessageLaunch:
    req, session_service, storage = _services()
    launch = ToolMessageLaunch(
        req, DatabaseToolConf(), session_service=session_service, launch_data_storage=storage
    )
    launch.validate()
    return launch


def restore_launch(launch_id: str) -> ToolMessageLaunch:
    req, session_service, storage = _services()
    try:
        launch = ToolMessageLaunch.from_cache(
            launch_id,
            req,
            DatabaseToolConf(),
            session_service=session_service,
            launch_data_storage=storage,
        )
    except LtiException as exc:
        raise LaunchError("Your launch has expired; launch again from your course.", 401) from exc
    return launch  # type: ignore[return-value]
