"""The shared store: short-lived state every process sees (OIDC state and nonce,
launch data, cached platform key sets).

The database backs it by default; Redis when REDIS_URL is set. Never a process's memory.
"""

from __future__ import annotations

import json
import random
from abc import ABC, abstractmethod
from datetime import UTC, datetime, timedelta
from typing import Any

import redis
from flask import Flask, current_app
from sqlalchemy import String, Text, delete, select
from sqlalchemy.orm import Mapped, mapped_column

from .columns import timestamp
from .extensions import db
from .upsert import upsert_statement

DEFAULT_TTL = 3600


class SharedState(db.Model):  # type: ignore[name-defined]
    __tablename__ = "shared_state"
    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = timestamp(index=True)


class StoreUnavailable(Exception):
    """The shared store cannot be reached (Redis down); callers answer 503."""


class SharedStore(ABC):
    @abstractmethod
    def get(self, key: str) -> Any: ...

    @abstractmethod
    def set(self, key: str, value: Any, exp: int | None = None) -> None: ...

    @abstractmethod
    def delete(self, key: str) -> None: ...

    @abstractmethod
    def pop(self, key: str) -> Any:
        """Remove and return a value atomically: of two callers, one gets it."""

    @abstractmethod
    def take_then_set(self, key: str, expected: Any, set_key: str, value: Any,
                      exp: int | None = None) -> Any:
        """Remove `key` if it holds `expected` and then set `set_key` to `value`, as one
        atomic step (of two callers, one takes it); return what `key` held (None: nothing).
        If it held anything else, nothing is removed or set."""


def _now() -> datetime:
    return datetime.now(UTC)


class DatabaseStore(SharedStore):
    """Uses its own short transactions so a rolled-back request never resurrects a nonce."""

    def __init__(self, app: Flask):
        self.app = app

    def _engine(self):
        with self.app.app_context():
            return db.engine

    def get(self, key: str) -> Any:
        with self._engine().connect() as conn:
            row = conn.execute(
                select(SharedState.value, SharedState.expires_at).where(SharedState.key == key)
            ).first()
        if row is None or _aware(row.expires_at) <= _now():
            return None
        return json.loads(row.value)

    def set(self, key: str, value: Any, exp: int | None = None) -> None:
        expires = _now() + timedelta(seconds=exp or DEFAULT_TTL)
        payload = json.dumps(value)
        engine = self._engine()
        stmt = upsert_statement(SharedState, engine.dialect.name, {"key": key},
                                {"value": payload, "expires_at": expires})
        with engine.begin() as conn:
            conn.execute(stmt)
            # Sweep expired rows now and then rather than on every write.
            if random.random() < 0.02:
                conn.execute(delete(SharedState).where(SharedState.expires_at <= _now()))

    def delete(self, key: str) -> None:
        with self._engine().begin() as conn:
            conn.execute(delete(SharedState).where(SharedState.key == key))

    def pop(self, key: str) -> Any:
        with self._engine().begin() as conn:
            row = conn.execute(
                delete(SharedState)
                .where(SharedState.key == key)
                .returning(SharedState.value, SharedState.expires_at)
            ).first()
        if row is None or _aware(row.expires_at) <= _now():
            return None
        return json.loads(row.value)

    def take_then_set(self, key: str, expected: Any, set_key: str, value: Any,
                      exp: int | None = None) -> Any:
        engine = self._engine()
        with engine.begin() as conn:
            taken = conn.execute(
                delete(SharedState)
                .where(SharedState.key == key, SharedState.value == json.dumps(expected),
                       SharedState.expires_at > _now())
                .returning(SharedState.key)
            ).first()
            if taken is None:  # what is there instead, if anything, for the caller to say
                row = conn.execute(
                    select(SharedState.value, SharedState.expires_at)
                    .where(SharedState.key == key)).first()
                live = row is not None and _aware(row.expires_at) > _now()
                return json.loads(row.value) if row is not None and live else None
            conn.execute(upsert_statement(
                SharedState, engine.dialect.name, {"key": set_key},
                {"value": json.dumps(value),
                 "expires_at": _now() + timedelta(seconds=exp or DEFAULT_TTL)}))
        return expected


def _aware(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything we write is UTC.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# take_then_set in one round trip: Redis runs a script atomically.
TAKE_THEN_SET = """
local held = redis.call('GET', KEYS[1])
if held == ARGV[1] then
  redis.call('DEL', KEYS[1])
  redis.call('SET', KEYS[2], ARGV[2], 'EX', ARGV[3])
end
return held
"""


class RedisStore(SharedStore):
    def __init__(self, url: str, prefix: str = "lms_plugin:"):
        self.prefix = prefix
        self.client = redis.Redis.from_url(
            url, socket_timeout=2, socket_connect_timeout=2, health_check_interval=30
        )
        self._take_then_set = self.client.register_script(TAKE_THEN_SET)
        self._errors: tuple[type[BaseException], ...] = (redis.exceptions.ConnectionError,
                                                         redis.exceptions.TimeoutError)

    def _call(self, fn, *args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except self._errors as exc:
            raise StoreUnavailable(str(exc)) from exc

    def get(self, key: str) -> Any:
        raw = self._call(self.client.get, self.prefix + key)
        return None if raw is None else json.loads(raw)

    def set(self, key: str, value: Any, exp: int | None = None) -> None:
        self._call(self.client.set, self.prefix + key, json.dumps(value), ex=exp or DEFAULT_TTL)

    def delete(self, key: str) -> None:
        self._call(self.client.delete, self.prefix + key)

    def pop(self, key: str) -> Any:
        raw = self._call(self.client.getdel, self.prefix + key)
        return None if raw is None else json.loads(raw)

    def take_then_set(self, key: str, expected: Any, set_key: str, value: Any,
                      exp: int | None = None) -> Any:
        raw = self._call(self._take_then_set, keys=[self.prefix + key, self.prefix + set_key],
                         args=[json.dumps(expected), json.dumps(value), exp or DEFAULT_TTL])
        return None if raw is None else json.loads(raw)


def init_app(app: Flask) -> None:
    url = app.config.get("REDIS_URL")
    store: SharedStore
    if url:
        store = RedisStore(url, prefix=app.config.get("LMS_PLUGIN_REDIS_PREFIX", "lms_plugin:"))
    else:
        store = DatabaseStore(app)
    app.extensions["lms_plugin_store"] = store


def get_store() -> SharedStore:
    return current_app.extensions["lms_plugin_store"]
