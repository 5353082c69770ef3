"""The tests' RSA key pool (tests/support/key_pool): every key a test makes differs from the
others it makes, and from the long-lived platform's key; a key made unpooled is never
handed out again."""

from __future__ import annotations

from lms_plugin.lti.keys import new_rsa_key
from tests.support import key_pool


def test_keys_within_a_test_differ_and_the_next_test_gets_the_same_ones() -> None:
    first = [new_rsa_key()[0] for _ in range(3)]
    assert len(set(first)) == 3
    key_pool.new_test()
    assert [new_rsa_key()[0] for _ in range(3)] == first


def test_an_unpooled_key_is_never_handed_out(platform) -> None:
    with key_pool.unpooled():
        kept = new_rsa_key()[0]
    handed = {new_rsa_key()[0] for _ in range(3)}
    assert kept not in handed
    assert platform.state.signing_key()["kid"] not in handed
