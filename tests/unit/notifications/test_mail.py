"""LMS_PLUGIN_SMTP_URL's forms, and the message built from an e-mail: plain text with an
HTML alternative and the headers that make a retried send recognisable."""

from __future__ import annotations

from pathlib import Path

import pytest

import lms_plugin
from lms_plugin.notifications.mail import (
    Email,
    MailConfigError,
    build_message,
    parse_smtp_url,
    valid_address,
)
from lms_plugin.notifications.topics import TOPICS, declare_topic, may_opt_out, optional


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
    assert not essential & set(optional())
    assert all(may_opt_out(key) != TOPICS[key].essential for key in TOPICS)
    assert not may_opt_out("no_such_kind")


def test_a_kind_of_email_is_declared_once():
    """Declared beside its sender: the same declaration again (a module imported twice)
    is a no-op, a different kind under a taken key is refused and changes nothing."""
    issued = TOPICS["certificate_issued"]
    assert declare_topic(issued.key, subject=issued.subject, label=issued.label,
                 essential=True) == "certificate_issued"
    with pytest.raises(ValueError, match="certificate_issued"):
        declare_topic(issued.key, subject="Something else", label=issued.label, essential=False)
    assert TOPICS["certificate_issued"] == issued


def test_every_email_template_is_a_declared_kind_and_every_kind_has_its_templates():
    """Importing the package declares every kind (services.py is imported with it), so a
    template whose declaration went missing, or a kind without its text or HTML, shows."""
    folder = Path(lms_plugin.__file__).parent / "templates" / "notifications"
    written = {f"{p.stem}{p.suffix}" for p in folder.iterdir() if not p.stem.startswith("_")}
    written.discard("preferences.html")
    assert written == {f"{key}{suffix}" for key in TOPICS for suffix in (".txt", ".html")}


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
