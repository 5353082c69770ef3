"""RSA keys for the tests: made once per worker, handed out again in every test.

A 2048-bit RSA key takes about a tenth of a second of CPU to make, and nearly every test
that launches makes one or two (the tool's signing key, a second LMS's key, a stranger's).
Here the n-th key a test asks for is the n-th key of a list kept by the worker: within a
test every key is different, as in production; across tests the same real keys come back,
each test with its own database. The test's own live servers (the demo LMS registering
itself, a live tool making its key) draw from the same list, one at a time: their
request threads are theirs (`serve`). Keys for objects that outlive a test (the session's
test platform) are made `unpooled`, and so is every key made on the thread of a server
that outlives the test, so no test is ever handed a key that something outside it holds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa

_generate = rsa.generate_private_key
_keys: list[rsa.RSAPrivateKey] = []
_handed_out = 0
_pooled = True
_lock = threading.Lock()
_servers: set[int] = set()  # the running test's own servers (ids)


def _in_test(thread: threading.Thread) -> bool:
    """The test's thread, or a request thread of a server the test started: socketserver
    runs each request in a thread whose target is its server's `process_request_thread`."""
    if thread is threading.main_thread():
        return True
    server = getattr(getattr(thread, "_target", None), "__self__", None)
    return server is not None and id(server) in _servers


def _pooled_key(public_exponent: int, key_size: int, backend: Any = None) -> rsa.RSAPrivateKey:
    global _handed_out
    if not _pooled or (public_exponent, key_size) != (65537, 2048) \
            or not _in_test(threading.current_thread()):
        return _generate(public_exponent=public_exponent, key_size=key_size)
    with _lock:
        if _handed_out == len(_keys):
            _keys.append(_generate(public_exponent=public_exponent, key_size=key_size))
        key = _keys[_handed_out]
        _handed_out += 1
    return key


def serve(server: Any) -> None:
    """A server started in the running test (not `unpooled`): the keys its requests make
    come from the list too, until the test ends."""
    if _pooled:
        _servers.add(id(server))


def install() -> None:
    rsa.generate_private_key = _pooled_key  # type: ignore[assignment]


def new_test() -> None:
    """A test begins: its first key is the list's first again."""
    global _handed_out
    _handed_out = 0
    _servers.clear()


@contextmanager
def unpooled() -> Iterator[None]:
    """Keys made inside are new ones, never handed out again."""
    global _pooled
    _pooled = False
    try:
        yield
    finally:
        _pooled = True
