"""The comparison for bench/launch.py: a minimal tool in the shape of pylti1p3's Flask
example (its login and launch views, pylti1p3's own validation), on the same database
and Redis as the tool, recording the person with one upsert and keeping the launch id in
the Flask session, as any tool must. Configured by bench/launch.py through BARE_* env."""

from __future__ import annotations

import contextlib
import os
import pickle
from typing import Any

import redis
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from flask import Flask, redirect, session
from pylti1p3.contrib.flask import (
    FlaskCookieService,
    FlaskMessageLaunch,
    FlaskOIDCLogin,
    FlaskRequest,
)
from pylti1p3.launch_data_storage.cache import CacheDataStorage
from pylti1p3.tool_config import ToolConfDict
from sqlalchemy import Column, DateTime, MetaData, String, Table, create_engine, func
from sqlalchemy.dialects import postgresql
from sqlalchemy.exc import SQLAlchemyError

app = Flask(__name__)
app.secret_key = os.environ.get("SECRET_KEY", "bench-bare")
ISSUER = os.environ.get("BARE_ISSUER", "")
_private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
TOOL_CONF = ToolConfDict({ISSUER: [{
    "default": True,
    "client_id": os.environ.get("BARE_CLIENT_ID", ""),
    "auth_login_url": os.environ.get("BARE_AUTH_URL", ""),
    "auth_token_url": os.environ.get("BARE_AUTH_URL", ""),
    "key_set_url": os.environ.get("BARE_KEYSET_URL", ""),
    "deployment_ids": [os.environ.get("BARE_DEPLOYMENT", "")],
}]})
TOOL_CONF.set_private_key(ISSUER, _private.private_bytes(
    serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
    serialization.NoEncryption()).decode(), client_id=os.environ.get("BARE_CLIENT_ID", ""))

engine = create_engine(os.environ.get("BARE_DATABASE_URL", "sqlite://").replace(
    "postgresql://", "postgresql+psycopg://", 1), pool_size=10)
people = Table("bench_bare_person", MetaData(), Column("sub", String(255), primary_key=True),
               Column("name", String(255)), Column("last_launch_at", DateTime(timezone=True)))
with contextlib.suppress(SQLAlchemyError):  # the other worker, booting at once, made it
    people.create(engine, checkfirst=True)


class RedisCache:
    """The cache interface pylti1p3's CacheDataStorage expects, on Redis."""

    def __init__(self, url: str):
        self.client = redis.Redis.from_url(url)

    def get(self, key: str) -> Any:
        raw = self.client.get("bare:" + key)
        return None if raw is None else pickle.loads(raw)  # noqa: S301 - our own values

    def set(self, key: str, value: Any, exp: int | None = None) -> None:
        self.client.set("bare:" + key, pickle.dumps(value), ex=exp or 3600)


CACHE = RedisCache(os.environ.get("BARE_REDIS_URL", "redis://127.0.0.1:6379/3"))


def _storage(request: FlaskRequest) -> CacheDataStorage[Any]:
    storage: CacheDataStorage[Any] = CacheDataStorage()
    storage._cache = CACHE
    storage.set_request(request)
    return storage


@app.route("/")
def index() -> str:
    return "bare pylti1p3 tool"


@app.route("/lti/login", methods=["GET", "POST"])
def login() -> Any:
    request = FlaskRequest()
    oidc = FlaskOIDCLogin(request, TOOL_CONF, launch_data_storage=_storage(request),
                          cookie_service=FlaskCookieService(request))
    return oidc.redirect(os.environ["BARE_LAUNCH_URL"])


@app.route("/lti/launch", methods=["POST"])
def launch() -> Any:
    request = FlaskRequest()
    message = FlaskMessageLaunch(request, TOOL_CONF, launch_data_storage=_storage(request))
    message.set_public_key_caching(_storage(request), cache_lifetime=3600)
    data = message.get_launch_data()
    with engine.begin() as conn:
        stmt = postgresql.insert(people).values(sub=data["sub"], name=data.get("name"),
                                                last_launch_at=func.now())
        conn.execute(stmt.on_conflict_do_update(
            index_elements=["sub"], set_={"name": stmt.excluded.name,
                                          "last_launch_at": stmt.excluded.last_launch_at}))
    session["launch_id"] = message.get_launch_id()
    return redirect("/", 302)


