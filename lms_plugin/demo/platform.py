"""lti1p3platform, the independent LTI 1.3 platform library, wired to Flask.

The demo LMS (and the tests) use it to play the part Moodle or Canvas plays: start the
OIDC login, answer the auth request with a signed id_token, issue access tokens, and read
deep linking responses. None of this is the tool's own LTI code.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from cryptography.hazmat.primitives.serialization import load_pem_private_key
from flask import redirect, render_template
from flask import request as flask_request
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest

from .state import DemoState


class FlaskPlatformRequest(Request):
    def build_metadata(self, request: Any) -> TRequest:
        return {
            "method": request.method,
            "form_data": request.form.to_dict(),
            "get_data": request.args.to_dict(),
            "headers": request.headers,
            "content_type": request.content_type,
            "path": request.path,
            "json": request.get_json(silent=True),
        }


@lru_cache(maxsize=64)
def _public_jwk(pem: str) -> dict[str, Any]:
    return Registration.get_jwk(pem)


@lru_cache(maxsize=64)
def _private_key(pem: str) -> tuple[Any, str | None]:
    """The parsed key and its kid. Parsing a private RSA key checks it (about 30 ms), and
    lti1p3platform parses the PEM twice per id_token it signs: here once per key."""
    return load_pem_private_key(pem.encode(), password=None), _public_jwk(pem).get("kid")


class DemoRegistration(Registration):
    """Publishes every key the platform has had, so a rotated-out key still verifies;
    signs with keys parsed once (the signing itself is lti1p3platform's, through PyJWT)."""

    published: list[dict[str, str]]

    def get_jwks(self) -> list[dict[str, Any]]:
        return [dict(_public_jwk(k["public"])) for k in self.published]

    def platform_encode_and_sign(self, payload: dict[str, Any],
                                 expiration: int | None = None) -> str:
        pem = self.get_platform_private_key()
        assert pem is not None, "Platform private key is not set"
        key, kid = _private_key(pem)
        return Registration.encode_and_sign(payload, key, {"kid": kid} if kid else None,
                                            expiration=expiration)


class DemoPlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self.state: DemoState = kwargs["state"]
        self.issuer: str = kwargs["issuer"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        tool = self.state.tool()
        if tool is None:
            raise LookupError("No tool is registered with this platform yet.")
        key = self.state.signing_key()
        reg = DemoRegistration()
        reg.published = self.state.published_keys()
        reg.set_iss(self.issuer)
        reg.set_client_id(tool["client_id"])
        reg.set_deployment_id(tool["deployment_id"])
        reg.set_oidc_login_url(tool["login_url"])
        reg.set_launch_url(tool["launch_url"])
        reg.set_deeplink_launch_url(tool["launch_url"])
        reg.set_tool_key_set_url(tool["jwks_url"])
        reg.set_platform_public_key(key["public"])
        reg.set_platform_private_key(key["private"])
        return reg


class DemoOIDCLogin(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> Any:
        return redirect(url)


class DemoMessageLaunch(LTIAdvantageMessageLaunchAbstract):
    """Renders the auto-submitting form that posts the id_token to the tool."""

    storage_target: str | None = None

    def render_launch_form(self, launch_data: dict[str, Any], **kwargs: Any) -> Any:
        return render_template(
            "demo/launch_form.html", launch=launch_data, storage_target=self.storage_target
        )


def platform_request() -> FlaskPlatformRequest:
    return FlaskPlatformRequest(flask_request)
