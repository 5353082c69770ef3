"""A test platform: the stand-alone demo LMS (on lti1p3platform) served over real HTTP,
plus a signer for hand-made id_tokens in the bad-launch suite."""

from __future__ import annotations

import time
import uuid
from functools import lru_cache
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives.serialization import load_pem_private_key

from lms_plugin.demo.setup import create_platform_app
from lms_plugin.demo.state import DemoState, new_key_pair

from .servers import ServerThread, free_port

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
CLIENT_ID = "test-client"
DEPLOYMENT_ID = "test-deployment"


class TestPlatform:
    """The demo LMS app on its own port with its own issuer and keys."""

    __test__ = False

    def __init__(self, tmp: Path):
        self.state_path = tmp / "platform.json"
        port = free_port()  # first: the issuer names it
        self.issuer = f"http://127.0.0.1:{port}/demo"
        self.app = create_platform_app(
            {"DEMO_LMS_ISSUER": self.issuer, "DEMO_LMS_STATE": str(self.state_path)}
        )
        self.hits: dict[str, int] = {}

        @self.app.before_request
        def count() -> None:
            from flask import request

            self.hits[request.path] = self.hits.get(request.path, 0) + 1

        self.server = ServerThread(self.app, port=port)
        self.state = DemoState(self.state_path)
        self.state.signing_key()  # its key is made now, not at its first launch
        self.client_id = CLIENT_ID
        self.deployment_id = DEPLOYMENT_ID
        self.server.start()

    @property
    def url(self) -> str:
        return self.server.url + "/demo"

    def point_at_tool(self, tool_base: str) -> None:
        tool_base = tool_base.rstrip("/")
        self.state.set_tool(
            {
                "client_id": self.client_id,
                "deployment_id": self.deployment_id,
                "login_url": tool_base + "/lti/login",
                "launch_url": tool_base + "/lti/launch",
                "redirect_uris": [tool_base + "/lti/launch"],
                "jwks_url": tool_base + "/lti/jwks",
            }
        )

    def reset(self) -> None:
        """Forget links, line items and grades from earlier tests (keys and tool stay)."""

        def _reset(data: dict[str, Any]) -> None:
            data.update(links={}, line_items={}, scores=[])

        self.state.update(_reset)
        self.hits.clear()

    def registration_kwargs(self) -> dict[str, Any]:
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "auth_login_url": self.url + "/auth",
            "auth_token_url": self.url + "/token",
            "keyset_url": self.url + "/jwks",
            "deployment_id": self.deployment_id,
            "name": "Test platform",
        }

    # -- hand-made tokens for the bad-launch suite

    def claims(self, nonce: str, **overrides: Any) -> dict[str, Any]:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer,
            "aud": self.client_id,
            "azp": self.client_id,
            "sub": "user-" + uuid.uuid4().hex[:8],
            "iat": now,
            "exp": now + 300,
            "nonce": nonce,
            "name": "Test Learner",
            CLAIM + "message_type": "LtiResourceLinkRequest",
            CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": self.deployment_id,
            CLAIM + "target_link_uri": "http://localhost/lti/launch",
            CLAIM + "resource_link": {"id": "rl-1", "title": "Training"},
            CLAIM + "roles": ["http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"],
            CLAIM + "context": {"id": "course-1", "title": "Course one"},
        }
        body.update(overrides)
        return {k: v for k, v in body.items() if v is not _DROP}

    def sign(self, body: dict[str, Any], key: dict[str, str] | None = None,
             kid: str | None | object = ..., alg: str = "RS256") -> str:
        key = key or self.state.signing_key()
        headers: dict[str, Any] = {}
        if kid is ...:
            headers["kid"] = key["kid"]
        elif kid is not None:
            headers["kid"] = kid
        signing = _parsed(key["private"]) if alg.startswith(("RS", "PS")) else key["private"]
        return jwt.encode(body, signing, algorithm=alg, headers=headers)

    def rotate_key(self) -> dict[str, str]:
        return self.state.rotate_key()

    def stop(self) -> None:
        self.server.stop()


@lru_cache(maxsize=256)
def _parsed(pem: str) -> Any:
    """A private key parsed once (parsing checks the RSA key: about 30 ms a time)."""
    return load_pem_private_key(pem.encode(), password=None)


class _Drop:
    def __repr__(self) -> str:
        return "DROP"


_DROP = _Drop()
DROP: Any = _DROP


def stranger_key() -> dict[str, str]:
    return new_key_pair()
