"""The shared store (lms_plugin.store): the database by default, Redis when REDIS_URL is
set. Both behave alike: JSON round trips, expiry, delete, and a pop that exactly one of
many concurrent callers wins (what makes a nonce single-use across processes)."""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask

from lms_plugin.extensions import db
from lms_plugin.store import DatabaseStore, RedisStore, SharedStore, StoreUnavailable, get_store
from tests.conftest import REDIS_URL, make_app

CLOSED_REDIS = "redis://127.0.0.1:1/0"


def _store(app: Flask) -> SharedStore:
    with app.app_context():
        return get_store()


@pytest.fixture(params=["database", "redis"])
def store_app(request: pytest.FixtureRequest, app: Flask) -> Flask:
    """(`app` named here so the test runs on each database.)"""
    return app if request.param == "database" else request.getfixturevalue("redis_app")


@pytest.fixture
def store(store_app: Flask) -> SharedStore:
    return _store(store_app)


def test_the_configuration_chooses_the_backend(app, redis_app):
    assert isinstance(_store(app), DatabaseStore)
    redis_store = _store(redis_app)
    assert isinstance(redis_store, RedisStore)
    assert redis_store.prefix == redis_app.config["LMS_PLUGIN_REDIS_PREFIX"]


def test_redis_keys_carry_the_prefix(redis_app):
    store = _store(redis_app)
    store.set("prefixed", {"a": 1})
    client = redis.Redis.from_url(REDIS_URL)
    try:
        prefix = redis_app.config["LMS_PLUGIN_REDIS_PREFIX"]
        assert client.get(prefix + "prefixed") == b'{"a": 1}'
        assert client.get("prefixed") is None
        assert 0 < client.ttl(prefix + "prefixed") <= 3600
    finally:
        client.close()


VALUES: list[Any] = [
    {"state": "abc", "nested": {"list": [1, 2.5, None, True], "s": "ü ☃"}},
    ["a", 1, {"b": False}],
    "a string",
    12345,
    True,
    # Falsy values are values: a store must not take them for "missing".
    0,
    False,
    "",
    [],
    {},
]


@pytest.mark.parametrize("value", VALUES, ids=repr)
def test_set_then_get_round_trips_json(store, value):
    key = "rt-" + uuid.uuid4().hex
    store.set(key, value)
    assert store.get(key) == value
    assert type(store.get(key)) is type(value)


def test_get_of_a_missing_key_is_none(store):
    assert store.get("never-set-" + uuid.uuid4().hex) is None
    assert store.pop("never-set-" + uuid.uuid4().hex) is None


def test_set_overwrites(store):
    store.set("over", {"v": 1})
    store.set("over", {"v": 2})
    assert store.get("over") == {"v": 2}


def test_keys_are_separate(store):
    store.set("k1", 1)
    store.set("k2", 2)
    assert (store.get("k1"), store.get("k2")) == (1, 2)


def test_values_expire(store):
    started = time.monotonic()
    store.set("short", {"v": 1}, exp=1)
    store.set("long", {"v": 2}, exp=60)
    seen = store.get("short")
    if time.monotonic() - started < 0.9:  # read well within its second (a busy machine
        assert seen == {"v": 1}  # may take longer: then only its expiry is checked)
    deadline = started + 30
    while store.get("short") is not None:  # gone once its second is over
        assert time.monotonic() < deadline, "a value set to expire in 1 s never did"
        time.sleep(0.05)
    assert time.monotonic() - started >= 0.9  # not before its time
    assert store.pop("short") is None
    assert store.get("long") == {"v": 2}


def test_setting_again_renews_the_expiry(store):
    store.set("renewed", "old", exp=1)
    store.set("renewed", "new", exp=60)
    time.sleep(1.2)
    assert store.get("renewed") == "new"


def test_delete(store):
    store.set("gone", [1, 2])
    store.set("kept", [3])
    store.delete("gone")
    assert store.get("gone") is None
    assert store.pop("gone") is None
    assert store.get("kept") == [3]
    store.delete("gone")  # deleting what is not there is no error
    store.delete("never-" + uuid.uuid4().hex)


@pytest.mark.parametrize("value", [{"nonce": True}, False, 0], ids=repr)
def test_pop_returns_the_value_once(store, value):
    store.set("once", value)
    assert store.pop("once") == value
    assert store.pop("once") is None
    assert store.get("once") is None


@pytest.mark.commits  # threads, each with its own connection
def test_concurrent_pops_have_one_winner(store_app):
    threads_n = 8
    key = "race-" + uuid.uuid4().hex
    _store(store_app).set(key, {"nonce": "n-1"})
    barrier = threading.Barrier(threads_n)
    results: list[Any] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def worker() -> None:
        try:
            with store_app.app_context():
                store = get_store()
                barrier.wait(timeout=10)
                value = store.pop(key)
            with lock:
                results.append(value)
        except BaseException as exc:  # noqa: BLE001 - reported by the test below
            with lock:
                errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(threads_n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not any(t.is_alive() for t in threads)
    assert errors == []
    assert len(results) == threads_n
    winners = [r for r in results if r is not None]
    assert winners == [{"nonce": "n-1"}]
    assert _store(store_app).get(key) is None


@pytest.mark.commits  # the store's own transactions, apart from the session's
def test_database_store_writes_outside_the_request_transaction(app):
    """A request that rolls back must not undo (or resurrect) what the store did: the store
    uses its own short transactions, not the request's session."""
    store = _store(app)
    store.set("nonce-used", True)
    with app.app_context():
        from sqlalchemy import select

        from lms_plugin.store import SharedState

        # The request's session has a transaction open (a read: SQLite has one writer).
        assert db.session.scalar(select(SharedState.value).where(SharedState.key == "nonce-used"))
        get_store().set("kept-despite-rollback", {"v": 1})
        assert get_store().pop("nonce-used") is True
        db.session.rollback()
    assert store.get("kept-despite-rollback") == {"v": 1}
    assert store.get("nonce-used") is None


# --- Redis down ------------------------------------------------------------------------


@pytest.fixture
def redis_down_app(app: Flask, migrated: str, tmp_path: Path) -> Iterator[Flask]:
    down = make_app(migrated, tmp_path, REDIS_URL=CLOSED_REDIS)
    yield down
    _store(down).client.close()  # type: ignore[attr-defined]
    with down.app_context():
        db.engine.dispose()


@pytest.mark.parametrize(
    "call",
    [
        lambda s: s.get("k"),
        lambda s: s.set("k", {"v": 1}),
        lambda s: s.set("k", 1, exp=5),
        lambda s: s.delete("k"),
        lambda s: s.pop("k"),
    ],
    ids=["get", "set", "set-exp", "delete", "pop"],
)
def test_unreachable_redis_raises_store_unavailable(call):
    store = RedisStore(CLOSED_REDIS)
    try:
        with pytest.raises(StoreUnavailable):
            call(store)
    finally:
        store.client.close()


def test_readyz_is_503_when_redis_is_down_but_healthz_is_200(redis_down_app):
    client = redis_down_app.test_client()
    ready = client.get("/readyz")
    assert ready.status_code == 503
    body = ready.get_json()
    assert body["status"] == "unavailable"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["shared_state"].startswith("error: StoreUnavailable")
    live = client.get("/healthz")
    assert live.status_code == 200
    assert live.get_json() == {"status": "ok"}


def test_a_login_while_redis_is_down_is_503(redis_down_app, registered):
    response = redis_down_app.test_client().get(
        "/lti/login",
        query_string={"iss": registered.issuer, "login_hint": "someone",
                      "client_id": registered.client_id},
    )
    assert response.status_code == 503
    assert int(response.headers["Retry-After"]) > 0  # ours (5 s) or the rate limit's reset


@pytest.mark.parametrize("backend", ["database", "redis"])
def test_readyz_is_200_normally(request, app, backend):
    tool = app if backend == "database" else request.getfixturevalue("redis_app")
    response = tool.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {
        "status": "ready",
        "checks": {"database": "ok", "shared_state": "ok"},
    }


def test_service_resumes_when_redis_comes_back(app, migrated, tmp_path, registered):
    """Redis goes away between two logins and comes back: a clear 503 while it is gone,
    then logins work again without restarting the tool."""
    import shutil
    import subprocess

    from tests.support.servers import free_port

    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server is not installed")
    port = free_port()

    def start() -> subprocess.Popen[bytes]:
        proc = subprocess.Popen([binary, "--port", str(port), "--bind", "127.0.0.1",
                                 "--save", "", "--appendonly", "no"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30  # a busy machine may be slow to start it
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=port).ping():
                    break
            except redis.RedisError:
                time.sleep(0.05)
        return proc

    def login() -> int:
        return tool.test_client().get("/lti/login", query_string={
            "iss": registered.issuer, "login_hint": "someone",
            "client_id": registered.client_id,
            "target_link_uri": "http://localhost/lti/launch"}).status_code

    server = start()
    tool = make_app(migrated, tmp_path, REDIS_URL=f"redis://127.0.0.1:{port}/0")
    try:
        assert login() == 302
        server.terminate()
        server.wait(timeout=10)
        assert login() == 503
        server = start()
        assert login() == 302
    finally:
        server.terminate()
        server.wait(timeout=10)
        _store(tool).client.close()  # type: ignore[attr-defined]
        with tool.app_context():
            db.engine.dispose()
