"""Extensions, created unbound and bound in create_app."""

from __future__ import annotations

import hashlib
import logging
import math
import time
from functools import cache

from flask import Response, current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from limits import RateLimitItem, parse_many
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

# Stable constraint names so Alembic autogenerate produces the same migrations everywhere.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
logger = logging.getLogger(__name__)


def client_address() -> str:
    """Rate-limit key: the client's address (`request.remote_addr`, which ProxyFix sets from
    `X-Forwarded-For` through `LMS_PLUGIN_PROXY_FIX` proxies only). Never a value the client
    picks (login_hint, state): varying one would give an attacker a fresh limit each time."""
    return get_remote_address()


class PersonRateLimited(Exception):
    """One person launched more often than `LMS_PLUGIN_RATE_LIMIT_LAUNCH_PERSON` allows."""


@cache
def _parsed_limits(text: str) -> tuple[RateLimitItem, ...]:
    return tuple(parse_many(text))


PERSON_SCOPE = "lti.launch:person"  # the bucket Flask-Limiter's `scope="person"` used


def limit_person(issuer: str, client_id: str, sub: str) -> None:
    """Count one launch against this person (whom the platform signed the id_token for, in
    that registration: Canvas schools share one issuer); raises PersonRateLimited beyond
    `LMS_PLUGIN_RATE_LIMIT_LAUNCH_PERSON`. One hit per limit on the limiter's own strategy
    and storage (Redis when configured), with the limit parsed once: Flask-Limiter's
    context manager walked the call stack and re-registered the limit on every call."""
    if not (limiter.enabled and limiter.initialized):
        return
    who = "\n".join((issuer, client_id, sub))
    key = hashlib.sha256(who.encode()).hexdigest()[:32]
    prefix = current_app.config.get("RATELIMIT_KEY_PREFIX") or ""
    args = (prefix, key, PERSON_SCOPE) if prefix else (key, PERSON_SCOPE)
    for item in _parsed_limits(current_app.config["LMS_PLUGIN_RATE_LIMIT_LAUNCH_PERSON"]):
        try:
            allowed = limiter.limiter.hit(item, *args)
        except Exception:  # the storage failed: as Flask-Limiter's RATELIMIT_SWALLOW_ERRORS
            if not current_app.config.get("RATELIMIT_SWALLOW_ERRORS"):
                raise
            logger.exception("per-person rate limit: storage error, launch allowed")
            return
        if not allowed:
            raise PersonRateLimited(str(item))


# Storage: Redis when REDIS_URL is set (shared by every process), else in memory. No
# X-RateLimit headers: they read every limit's window back from the storage on every
# response (two Redis round trips a request, for headers no client of ours reads); a
# refusal still says when to come back (`retry_after`).
limiter = Limiter(key_func=client_address, default_limits=[],
                  headers_enabled=False)

DEFAULT_RETRY_AFTER = 60  # seconds: our limits are per minute


def retry_after(response: Response) -> Response:
    """A 429 says when to try again: when the breached limit's window resets (one read of
    the storage, on refusals only), else a minute."""
    if response.status_code != 429 or "Retry-After" in response.headers:
        return response
    seconds = DEFAULT_RETRY_AFTER
    breached = limiter.current_limit
    if breached is not None:
        try:
            window = breached.limit.get_expiry()  # the limit's period, in seconds
            seconds = max(1, min(window, math.ceil(breached.reset_at - time.time())))
        except Exception:  # the storage failed: the default is still an honest answer
            logger.exception("rate limit: could not read when the window resets")
    response.headers["Retry-After"] = str(seconds)
    return response


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record):
    # WAL lets readers go on while one request writes; foreign keys as on PostgreSQL.
    if type(dbapi_connection).__module__.startswith("sqlite3"):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()
