"""Wire the demo LMS to the tool: each registered with the other, as an LMS admin would."""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app, request

from ..extensions import csrf, db
from ..lti.keys import get_signing_key
from ..lti.registration import save_platform
from .seed import seed_demo
from .state import DEMO_CLIENT_ID, DEMO_DEPLOYMENT_ID
from .views import bp, demo_state, issuer


def prepare_demo(base: str) -> None:
    """Register the demo LMS with the tool and the tool with the demo LMS, at `base`."""
    base = base.rstrip("/")
    get_signing_key()
    save_platform(
        issuer=issuer(),
        client_id=DEMO_CLIENT_ID,
        auth_login_url=base + "/demo/auth",
        auth_token_url=base + "/demo/token",
        keyset_url=base + "/demo/jwks",
        name="Demo LMS",
        deployment_id=DEMO_DEPLOYMENT_ID,
    )
    db.session.commit()
    demo_state().set_tool(
        {
            "client_id": DEMO_CLIENT_ID,
            "deployment_id": DEMO_DEPLOYMENT_ID,
            "login_url": base + "/lti/login",
            "launch_url": base + "/lti/launch",
            "redirect_uris": [base + "/lti/launch"],
            "jwks_url": base + "/lti/jwks",
        }
    )
    current_app.extensions["demo_prepared_base"] = base
    if current_app.config.get("LMS_PLUGIN_DEMO_SEED") and seed_demo() is not None:
        db.session.commit()


def _follow_request_host() -> None:
    base = request.host_url.rstrip("/")
    if current_app.extensions.get("demo_prepared_base") != base:
        prepare_demo(base)


def mount(app: Flask) -> None:
    """Demo mode: the demo LMS lives inside the tool at /demo."""
    app.config.setdefault("DEMO_LMS_ON_REQUEST", _follow_request_host)


def create_platform_app(config: dict[str, Any]) -> Flask:
    """A stand-alone demo LMS (its own server, its own issuer), for tests that need a
    platform that is not the tool."""
    from pathlib import Path

    app = Flask(
        "lms_plugin_demo_platform",
        root_path=str(Path(__file__).resolve().parent.parent),
    )
    app.config.update({"SECRET_KEY": "demo-platform", "DEMO_LMS_PLATFORM_STORAGE": False})
    app.config.update(config)
    csrf.init_app(app)
    app.register_blueprint(bp)
    return app
