"""The registrations a launch needs (platforms of an issuer with their deployments, and
the tool's signing key), read once and kept in this process for a short while.

Every login and launch needs them, and they change only when an operator or a
registration changes them. Kept per app (one per process), as plain frozen data, for
`LMS_PLUGIN_REGISTRATION_CACHE_SECONDS` (0: read every time):

- A commit in this process that adds, changes or deletes a `Platform`, `Deployment` or
  `ToolKey` (`lms-plugin platform …`, `lms-plugin keys …`, dynamic registration and its
  approval, a first-seen deployment) empties the cache at once (`after_commit`).
- Another process (another gunicorn worker, the CLI) cannot reach this one's memory: there
  the change shows within the TTL. So a platform removed or unapproved may still be
  accepted for up to that many seconds by other workers, and after `keys rotate` a
  worker may sign with the previous key for as long (it stays published until retired:
  retire it no sooner than the TTL after rotating).
- What is kept never refuses on its own: an unknown client id, an unapproved platform or
  an unknown deployment is read again from the database before a launch is refused, so
  additions and approvals count at once everywhere; only removals, refusals of new
  deployments and unapprovals wait for the TTL in other processes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from flask import Flask, current_app, has_app_context
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..extensions import db
from .keys import get_signing_key
from .models import Deployment, Platform, ToolKey

KEY = "lms_plugin.registrations"
T = TypeVar("T")


@dataclass(frozen=True)
class PlatformRecord:
    """A `Platform` row and its deployment ids, read once; not bound to any session."""

    id: int
    organisation_id: int
    issuer: str
    client_id: str
    approved: bool
    auth_login_url: str
    auth_token_url: str
    auth_audience: str | None
    keyset_url: str | None
    public_key_pem: str | None
    accept_new_deployments: bool
    frame_origins: str | None
    deployment_ids: frozenset[str]


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key_pem: str
    public_key_pem: str


class AmbiguousIssuer(Exception):
    """The issuer has several client ids and the request named none."""


class _Cache:
    def __init__(self) -> None:
        self.entries: dict[Any, tuple[float, Any]] = {}
        self.lock = threading.Lock()

    def get(self, key: Any, load: Callable[[], T], seconds: int,
            keep: Callable[[T], bool] = bool) -> T:
        now = time.monotonic()
        hit = self.entries.get(key)
        if hit is not None and hit[0] > now:
            return hit[1]
        value = load()
        if seconds > 0 and keep(value):
            with self.lock:
                self.entries[key] = (now + seconds, value)
        return value

    def put(self, key: Any, value: Any, seconds: int) -> None:
        if seconds > 0:
            with self.lock:
                self.entries[key] = (time.monotonic() + seconds, value)

    def clear(self, which: Callable[[Any], bool]) -> None:
        with self.lock:
            for key in [k for k in self.entries if which(k)]:
                del self.entries[key]


def _cache() -> _Cache:
    return current_app.extensions.setdefault(KEY, _Cache())


def _seconds() -> int:
    return int(current_app.config.get("LMS_PLUGIN_REGISTRATION_CACHE_SECONDS", 0))


def cached(key: Any, load: Callable[[], T], keep: Callable[[T], bool] = bool) -> T:
    """`load()`, kept for the registration TTL under `key` (only when `keep` says so)."""
    return _cache().get(key, load, _seconds(), keep)


def remember(key: Any, value: Any) -> None:
    """Keep `value` under `key` for the registration TTL (what was just read elsewhere)."""
    _cache().put(key, value, _seconds())


def forget_registrations(app: Flask | None = None) -> None:
    """Drop the registrations this process keeps: the next request reads the database
    again. Platforms' public keys stay (they are kept by key set URL and kid, whatever
    the registrations say)."""
    target = app or (current_app._get_current_object() if has_app_context() else None)  # type: ignore[attr-defined]
    if target is not None and KEY in target.extensions:
        target.extensions[KEY].clear(_is_registration)


def _is_registration(key: Any) -> bool:
    return key == "signing-key" or (isinstance(key, tuple) and key[0] == "platforms")


def _query_platforms(issuer: str) -> list[PlatformRecord]:
    rows = db.session.execute(
        select(Platform, Deployment.deployment_id)
        .outerjoin(Deployment, Deployment.platform_id == Platform.id)
        .where(Platform.issuer == issuer)
        .order_by(Platform.id)
    ).all()
    found: dict[int, tuple[Platform, set[str]]] = {}
    for platform, deployment_id in rows:
        entry = found.setdefault(platform.id, (platform, set()))
        if deployment_id is not None:
            entry[1].add(deployment_id)
    return [_record(p, ids) for p, ids in found.values()]


def _record(p: Platform, deployment_ids: set[str]) -> PlatformRecord:
    return PlatformRecord(
        id=p.id, organisation_id=p.organisation_id, issuer=p.issuer, client_id=p.client_id,
        approved=bool(p.approved), auth_login_url=p.auth_login_url,
        auth_token_url=p.auth_token_url, auth_audience=p.auth_audience,
        keyset_url=p.keyset_url, public_key_pem=p.public_key_pem,
        accept_new_deployments=bool(p.accept_new_deployments),
        frame_origins=p.frame_origins, deployment_ids=frozenset(deployment_ids))


def platforms_of(issuer: str, fresh: bool = False) -> list[PlatformRecord]:
    """Every registration of this issuer (one query, then kept; an unknown issuer is
    never kept, so a new registration is found at once). `fresh`: from the database (and
    kept from now), for a refusal and for decisions that must see other processes'
    registrations."""
    if not fresh:
        return cached(("platforms", issuer), lambda: _query_platforms(issuer))
    found = _query_platforms(issuer)
    if found:
        remember(("platforms", issuer), found)
    return found


def _pick(platforms: list[PlatformRecord], issuer: str, client_id: str | None
          ) -> PlatformRecord | None:
    if client_id:
        return next((p for p in platforms if p.client_id == client_id), None)
    if len(platforms) > 1:
        raise AmbiguousIssuer(issuer)
    return platforms[0] if platforms else None


def find_platform(issuer: str, client_id: str | None, fresh: bool = False
                  ) -> PlatformRecord | None:
    """The registration of this issuer and client id; with no client id, the issuer's
    only one (AmbiguousIssuer if it has several). What is kept never refuses on its own:
    a registration not found, or not approved, is read again from the database, so one
    added or approved in another process counts at once."""
    found = _pick(platforms_of(issuer, fresh), issuer, client_id)
    if not fresh and (found is None or not found.approved):
        found = _pick(platforms_of(issuer, fresh=True), issuer, client_id)
    return found


def signing_key() -> SigningKey:
    """The key the tool signs with now (made on first use), kept like the platforms."""
    def load() -> SigningKey:
        key = get_signing_key()
        return SigningKey(key.kid, key.private_key_pem, key.public_key_pem)
    return cached("signing-key", load)


def init_app(app: Flask) -> None:
    app.extensions[KEY] = _Cache()


# A commit that changed a registration empties this process's cache (see the docstring).
WATCHED = (Platform, Deployment, ToolKey)


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _context: Any) -> None:
    if any(isinstance(o, WATCHED) for o in (*session.new, *session.dirty, *session.deleted)):
        session.info["registrations_changed"] = True


@event.listens_for(Session, "after_commit")
def _forget_after_commit(session: Session) -> None:
    if session.info.pop("registrations_changed", False):
        forget_registrations()


@event.listens_for(Session, "after_rollback")
def _nothing_changed(session: Session) -> None:
    session.info.pop("registrations_changed", None)
