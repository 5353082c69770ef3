"""LMS_PLUGIN_SMTP_URL's forms, and the message built from an e-mail: plain text with an
HTML alternative and the headers that make a retried send recognisable."""

from __future__ import annotations

import pytest

from lms_plugin.notifications.mail import (
    Email,
    MailConfigError,
    build_message,
    parse_smtp_url,
    valid_address,
)
from lms_plugin.notifications.topics import OPTIONAL, TOPICS, may_opt_out


@pytest.mark.parametrize(("url", "scheme", "host", "port", "user", "password"), [
    ("smtp://mail.example.org", "smtp", "mail.example.org", 25, None, None),
    ("smtp://127.0.0.1:2525", "smtp", "127.0.0.1", 2525, None, None),
    ("smtp+starttls://u%40x:p%3Aw@mail.example.org", "smtp+starttls", "mail.example.org", 587,
     "u@x", "p:w"),
    ("smtps://u:pw@mail.example.org:4650", "smtps", "mail.example.org", 4650, "u", "pw"),
])
def test_smtp_urls(url, scheme, host, port, user, password):
    server = parse_smtp_url(url)
    assert (server.scheme, server.host, server.port, server.username, server.password) == (
        scheme, host, port, user, password)


@pytest.mark.parametrize("url", ["http://mail.example.org", "mail.example.org:25",
                                 "smtp://", "smtp://host:notaport"])
def test_bad_smtp_urls_say_what_is_wrong(url):
    with pytest.raises(MailConfigError, match="LMS_PLUGIN_SMTP_URL"):
        parse_smtp_url(url)


def test_a_message_has_text_and_html_and_a_stable_id():
    email = Email("Training <t@example.org>", "a@example.org", "Subject", "Plain ünïcode",
                  "<p>HTML</p>", "<abc@example.org>")
    message = build_message(email)
    assert message.get_content_type() == "multipart/alternative"
    assert message.get_body(("plain",)).get_content().strip() == "Plain ünïcode"
    assert message.get_body(("html",)).get_content().strip() == "<p>HTML</p>"
    assert message["Message-ID"] == "<abc@example.org>"
    assert message["Auto-Submitted"] == "auto-generated"


def test_essential_kinds_cannot_be_turned_off():
    essential = {key for key, topic in TOPICS.items() if topic.essential}
    assert {"certificate_issued", "erasure_done", "erasure_requested"} <= essential
    assert not essential & set(OPTIONAL)
    assert all(may_opt_out(key) != TOPICS[key].essential for key in TOPICS)


@pytest.mark.parametrize("address", ["sam@example.org", "sam.o+peer@mail.example.co.uk"])
def test_addresses_we_send_to(address):
    assert valid_address(address)


@pytest.mark.parametrize("address", [
    None, "", "sam", "sam@", "@example.org", "sam@localhost", "a@b@example.org",
    "sam@example.org\r\nBcc: all@example.org", "sam <sam@example.org>", "sam @example.org",
    "sam@exa\x00mple.org", "x" * 320 + "@example.org",
])
def test_addresses_we_never_send_to(address):
    assert not valid_address(address)
