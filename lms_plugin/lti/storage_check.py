"""The LTI platform storage check: a launch whose state cookie the browser did not send
back (third-party cookies blocked) confirms its state from the LMS's frame instead
(templates/lti/storage_launch.html posts back with `lti_storage_check`)."""

from __future__ import annotations

import hashlib
import secrets
from typing import Any

from flask import current_app, request

from ..i18n import N_
from ..store import get_store
from ..urls import own_origins
from .errors import LaunchError

PREFIX = "storage-check:"


class NeedsStorageCheck(Exception):
    """No state cookie reached us, but the platform offers LTI platform storage:
    the browser must confirm the state from there (see templates/lti/storage_launch.html)."""

    def __init__(self, state: str, nonce: str, target: str, check_token: str, origin: str,
                 claims: dict[str, Any], platform: Any):
        super().__init__("platform storage check")
        self.state, self.nonce, self.target = state, nonce, target
        self.check_token, self.origin = check_token, origin
        # Signature checked: who may frame the check page is learned from these.
        self.claims, self.platform = claims, platform  # a registrations.PlatformRecord


def _hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def issue_check_token(state: str, id_token: str) -> str:
    """A single-use token for this state and id_token, for the check page to post back."""
    token = secrets.token_urlsafe(24)
    get_store().set(PREFIX + token, {"state": state, "id_token": _hash(id_token)},
                    current_app.config["LMS_PLUGIN_STATE_TTL"])
    return token


def verify_storage_check(state: str, id_token: str, token: str) -> None:
    """The check page's post: from our own origin, with the token issued for this state
    and id_token (taken: single use)."""
    # The check page posts from our own origin; a cross-site post cannot carry it.
    origin = request.headers.get("Origin")
    if origin not in own_origins():
        raise LaunchError(N_("The platform storage check did not come from this tool."), 401)
    saved = get_store().pop(PREFIX + token)
    if not saved or saved["state"] != state or saved["id_token"] != _hash(id_token):
        raise LaunchError(N_("The platform storage check failed; launch again."), 401)
