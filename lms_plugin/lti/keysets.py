"""Platforms' public keys: the key set at the registration's URL, cached in the shared
store for `LMS_PLUGIN_KEYSET_TTL` and in this process for the registration TTL (see
`registrations`), fetched once more on an unknown `kid` (a key the platform rotated in)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import requests
from flask import current_app
from jwcrypto.common import JWException
from jwcrypto.jwk import JWK

from ..i18n import N_
from ..store import get_store
from .errors import LaunchError
from .outbound import OutboundSession
from .registrations import cached, remember

MIN_RSA_BITS = 2048


def _store_key(url: str) -> str:
    return "keyset:" + hashlib.sha256(url.encode()).hexdigest()


def fetch_keyset(url: str) -> dict[str, Any]:
    """Read the key set from the platform and keep it in the shared store."""
    try:
        resp = OutboundSession().get(url)
        resp.raise_for_status()
        keyset = resp.json()
    except (requests.RequestException, ValueError):
        # Saying why would tell a prober what answers where: the log says it.
        current_app.logger.warning("key set %s could not be read", url, exc_info=True)
        raise LaunchError(
            N_("The platform's key set could not be read; try again in a moment."),
            status=502,
            title=N_("The LMS could not be reached"),
        ) from None
    if not isinstance(keyset, dict) or not isinstance(keyset.get("keys"), list):
        raise LaunchError(N_("The platform's key set at %(url)s is not a JWK set."),
                          status=502, url=url)
    get_store().set(_store_key(url), keyset, current_app.config["LMS_PLUGIN_KEYSET_TTL"])
    return keyset


def _find_key(keyset: Any, kid: str) -> dict[str, Any] | None:
    for key in keyset.get("keys", []) if isinstance(keyset, dict) else []:
        if isinstance(key, dict) and key.get("kid") == kid and key.get("alg", "RS256") == "RS256":
            return key
    return None


def _pem(kid: str, key: dict[str, Any]) -> str:
    try:
        jwk = JWK.from_json(json.dumps(key))
        bits = jwk.get_op_key("verify").key_size
        pem = jwk.export_to_pem()
    except (JWException, ValueError, TypeError, KeyError, AttributeError):
        raise LaunchError(N_("The platform's key %(kid)s is not a usable RSA key."), 401,
                          kid=repr(kid)) from None
    if bits < MIN_RSA_BITS:  # NIST SP 800-131A; a short key's signature proves little
        raise LaunchError(N_("The platform's key %(kid)s is too short (%(bits)s bits; at "
                             "least %(needed)s are needed)."), 401,
                          kid=repr(kid), bits=str(bits), needed=str(MIN_RSA_BITS))
    return pem.decode() if isinstance(pem, bytes) else pem


def public_key_pem(url: str, kid: str) -> str:
    """The PEM of the platform's RS256 key `kid` from the key set at `url`."""
    key = cached(("keyset-key", url, kid),
                 lambda: _find_key(get_store().get(_store_key(url)), kid))
    if key is None:
        # An unknown kid may be a key the platform rotated in: re-fetch once.
        key = _find_key(fetch_keyset(url), kid)
        if key is not None:
            remember(("keyset-key", url, kid), key)
    if key is None:
        raise LaunchError(N_("The platform's key set has no key %(kid)s for RS256."),
                          status=401, kid=repr(kid))
    return cached(("keyset-pem", json.dumps(key, sort_keys=True)), lambda: _pem(kid, key))
