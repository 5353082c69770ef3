"""Configuration: defaults that serve the demo, overridden from the environment.

`DATABASE_URL`, `REDIS_URL` and `SECRET_KEY` are read as they are; everything else
is `LMS_PLUGIN_<NAME>` (for example `LMS_PLUGIN_DEMO=1`).
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

# Typed defaults; an environment variable LMS_PLUGIN_<NAME> overrides each.
DEFAULTS: dict[str, Any] = {
    "DEMO": False,
    # Demo mode: seed the demo organisation (about 200 synthetic employees, a year of
    # activity) once, when the demo LMS is first registered; on in `./dev demo`
    "DEMO_SEED": False,
    # Public base URL (scheme://host[:port]) when behind a proxy; else taken from the request.
    "BASE_URL": "",
    # Launch validation
    "IAT_MAX_AGE": 300,  # seconds an id_token may be old
    "CLOCK_SKEW": 30,  # leeway for exp / iat / nbf
    "KEYSET_TTL": 3600,  # platform key sets are cached this long
    # Registrations (platforms, deployments, the signing key, platforms' keys) are kept in
    # each process this long; a change made in another process shows within it (0: none)
    "REGISTRATION_CACHE_SECONDS": 30,
    "STATE_TTL": 600,  # OIDC state and nonce live this long
    "LAUNCH_DATA_TTL": 86400,
    # Dynamic registration: when set, /lti/register requires ?key=<this>
    "REGISTRATION_KEY": "",
    "TOOL_NAME": "Peer Support Training",
    # Certificates: the issuing organisation's name (default: the holder's organisation),
    # a logo file (.png or .svg path; none by default) and a signatory ("Name, Role")
    "CERTIFICATE_ORGANISATION": "",
    "CERTIFICATE_LOGO": "",
    "CERTIFICATE_SIGNATORY": "",
    # Trust X-Forwarded-* headers from this many proxies (0: none)
    "PROXY_FIX": 0,
    "REDIS_PREFIX": "lms_plugin:",
    "CONTENT_DIR": "",
    "HELP_FILE": "",
    # Fetch platform-supplied URLs (configuration, keys, tokens, grades, rosters) on
    # loopback and private addresses too: an LMS on the same private network; the demo
    "ALLOW_PRIVATE_URLS": False,
    # YAML `items: [{id, text}]` for the pre/post survey (none: the default statements)
    "SURVEY_FILE": "",
    # Reports: the LTI custom claim naming a person's department or cohort
    "DEPARTMENT_CLAIM": "department",
    # Reports hide groups smaller than this (and any cell that would reveal one)
    "MIN_GROUP_SIZE": 5,
    # Readiness: the target of one current peer supporter per this many employees (1 per
    # 20, after the MATES in Construction model)
    "READINESS_TARGET_PER": 20,
    # Observability: log format (json | text; default json outside demo), level, and the
    # bearer token Prometheus sends to /metrics (without one, only loopback may scrape)
    "LOG_FORMAT": "",
    "LOG_LEVEL": "INFO",
    "METRICS_TOKEN": "",
    # PostgreSQL application_name of the tool's connections (pg_stat_activity, logs)
    "DB_APPLICATION_NAME": "lms_plugin",
    # Extra origins allowed to frame the tool (space-separated), besides the registered
    # platforms' own (issuer, OIDC endpoint, and the origins launches came from)
    "FRAME_ANCESTORS": "",
    # Rate limits (Flask-Limiter syntax); RATE_LIMITS=0 turns them off (benchmarks)
    "RATE_LIMITS": True,
    # Login and launch per client address (after PROXY_FIX): high enough for an office
    # behind one NAT address launching at once; nothing a client sends can vary the key.
    "RATE_LIMIT_LOGIN": "300 per minute",
    "RATE_LIMIT_LAUNCH": "300 per minute",
    # Launches per person, by the verified (issuer, sub) of the signed id_token
    "RATE_LIMIT_LAUNCH_PERSON": "30 per minute",
    "RATE_LIMIT_VERIFY": "120 per minute",  # per address
    "RATE_LIMIT_ADMIN_LOGIN": "10 per minute",  # local admin sign-in, per address
    # Retention (days): quiz attempt answers (scores stay), hour reflections (hours stay),
    # audit events; applied by `lms-plugin retention purge`
    "RETENTION_ATTEMPT_DETAILS_DAYS": 730,
    "RETENTION_REFLECTIONS_DAYS": 365,
    "RETENTION_AUDIT_DAYS": 2555,
    # Reports are cached this long in the shared store (0: always fresh)
    "REPORT_CACHE_SECONDS": 60,
    # Roster (NRPS) sync: at most this often per course, in seconds (0: only when an
    # admin asks)
    "ROSTER_SYNC_SECONDS": 86400,
    # Workers run scheduled work (renewal reminders) this often, in seconds
    "PERIODIC_SECONDS": 3600,
    # A worker's claim on an outbox message lasts this long, in seconds; a message whose
    # worker died is sent again once it expires
    "OUTBOX_LEASE_SECONDS": 60,
    # E-mail notifications: the SMTP server (smtp://host:25, smtp+starttls://user:pw@host:587,
    # smtps://user:pw@host:465); empty: no e-mail is recorded or sent. `lms-plugin demo`
    # points it at its built-in mailbox when unset.
    "SMTP_URL": "",
    # The From of every e-mail; empty: "<TOOL_NAME> <no-reply@host of BASE_URL>"
    "MAIL_FROM": "",
}


def _coerce(raw: str, default: Any) -> Any:
    if isinstance(default, bool):
        return raw.strip().lower() in {"1", "true", "yes", "on"}
    if isinstance(default, int):
        return int(raw)
    return raw


def instance_secret_key(instance_path: str) -> str:
    """A SECRET_KEY kept in the instance folder, made on first use (demo and dev only)."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key)
    path.chmod(0o600)
    return key


def load(instance_path: str, environ: dict[str, str] | None = None) -> dict[str, Any]:
    env = os.environ if environ is None else environ
    conf: dict[str, Any] = {}
    for name, default in DEFAULTS.items():
        raw = env.get(f"LMS_PLUGIN_{name}")
        conf[f"LMS_PLUGIN_{name}"] = default if raw is None else _coerce(raw, default)

    database_url = env.get("DATABASE_URL") or (
        "sqlite:///" + str(Path(instance_path) / "lms_plugin.db")
    )
    # Accept the common postgres:// spelling; SQLAlchemy wants postgresql+psycopg://
    if database_url.startswith("postgres://"):
        database_url = "postgresql://" + database_url[len("postgres://") :]
    if database_url.startswith("postgresql://"):
        database_url = "postgresql+psycopg://" + database_url[len("postgresql://") :]
    conf["SQLALCHEMY_DATABASE_URI"] = database_url
    conf["REDIS_URL"] = env.get("REDIS_URL", "")
    conf["SECRET_KEY"] = env.get("SECRET_KEY") or instance_secret_key(instance_path)
    # Cookies are made SameSite=None; Secure; Partitioned per request when it is secure
    # (see lms_plugin.cookies); these are the plain-http development defaults.
    conf["SESSION_COOKIE_NAME"] = "lms_plugin_session"
    conf["SESSION_COOKIE_HTTPONLY"] = True
    conf["WTF_CSRF_TIME_LIMIT"] = None
    return conf


def engine_options(database_uri: str, application_name: str = "lms_plugin") -> dict[str, Any]:
    if database_uri.startswith("sqlite"):
        return {"connect_args": {"timeout": 15}}
    # No pre-ping (a round trip to the database per request): resilience.py checks each
    # connection at checkout by polling its socket, which is how a server that ended it
    # says so (tests/e2e/test_database_chaos.py: backends terminated every ~0.3 s, no
    # 500, and people get through), and a connection lost mid-request is read again or
    # answered 503. The application name shows the tool's connections in pg_stat_activity.
    return {"pool_size": 10, "max_overflow": 10, "pool_recycle": 1800,
            "connect_args": {"application_name": application_name}}
