"""RSA keys for the tests: made once per worker, handed out again in every test.

A 2048-bit RSA key takes about a tenth of a second of CPU to make, and nearly every test
that launches makes one or two (the tool's signing key, a second LMS's key, a stranger's).
Here the n-th key a test asks for is the n-th key of a list kept by the worker: within a
test every key is different, as in production; across tests the same real keys come back,
each test with its own database. Keys for objects that outlive a test (the session's test
platform) are made `unpooled`, and so is every key made on a server thread (a live LMS
rotating its key, a live tool making its own), so no test is ever handed a key that
something outside it holds.
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


def _pooled_key(public_exponent: int, key_size: int, backend: Any = None) -> rsa.RSAPrivateKey:
    global _handed_out
    if not _pooled or (public_exponent, key_size) != (65537, 2048) \
            or threading.current_thread() is not threading.main_thread():
        return _generate(public_exponent=public_exponent, key_size=key_size)
    if _handed_out == len(_keys):
        _keys.append(_generate(public_exponent=public_exponent, key_size=key_size))
    key = _keys[_handed_out]
    _handed_out += 1
    return key


def install() -> None:
    rsa.generate_private_key = _pooled_key  # type: ignore[assignment]


def new_test() -> None:
    """A test begins: its first key is the list's first again."""
    global _handed_out
    _handed_out = 0


@contextmanager
def unpooled() -> Iterator[None]:
    """Keys made inside are new ones, never handed out again."""
    global _pooled
    _pooled = False
    try:
        yield
    finally:
        _pooled = True
