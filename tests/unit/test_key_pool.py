"""The tests' RSA key pool (tests/support/key_pool): every key a test makes differs from the
others it makes, and from the long-lived platform's key; a key made unpooled is never
handed out again."""

from __future__ import annotations

import requests

from lms_plugin.lti.keys import new_rsa_key
from tests.support import key_pool
from tests.support.servers import ServerThread


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


def _key_server():
    """A live server whose every request makes a key and answers its kid."""
    def app(environ, start_response):
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [new_rsa_key()[0].encode()]
    return ServerThread(app).start()


def test_the_tests_own_server_draws_from_the_list_and_a_longer_lived_one_does_not() -> None:
    key_pool.new_test()
    own = _key_server()
    with key_pool.unpooled():
        kept = _key_server()  # as a server made for the whole session
    try:
        mine = new_rsa_key()[0]
        served = requests.get(own.url, timeout=30).text
        outlives = requests.get(kept.url, timeout=30).text
        key_pool.new_test()
        again = [new_rsa_key()[0] for _ in range(3)]
    finally:
        own.stop()
        kept.stop()
    assert len({mine, served, outlives}) == 3  # within a test, every key differs
    assert again[:2] == [mine, served]  # the test's server's key came from the list
    assert outlives not in again
