"""Sending one e-mail over SMTP with the standard library (smtplib, email.message): plain
text plus an HTML alternative, to the server named by LMS_PLUGIN_SMTP_URL.

URL forms: `smtp://host:25` (plain), `smtp+starttls://user:password@host:587` (STARTTLS),
`smtps://user:password@host:465` (TLS from the start). User and password are
percent-decoded. Any failure raises: the outbox retries it later with backoff."""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import unquote, urlsplit

SCHEMES = {"smtp": 25, "smtp+starttls": 587, "smtps": 465}
TIMEOUT_SECONDS = 10


class MailConfigError(ValueError):
    """LMS_PLUGIN_SMTP_URL is not a URL this module can send to."""


@dataclass(frozen=True)
class SmtpServer:
    scheme: str
    host: str
    port: int
    username: str | None
    password: str | None


def valid_address(address: str | None) -> bool:
    """A plain address one can put in a To header: one @, no spaces, no control
    characters (an LMS's claim is data from outside). Anything else is never sent to."""
    if not address or len(address) > 320 or address.count("@") != 1:
        return False
    local, domain = address.split("@")
    return bool(local and "." in domain.strip(".")) and all(
        32 < ord(char) < 127 and char not in '<>()[]\\,;:"' for char in address)


def parse_smtp_url(url: str) -> SmtpServer:
    parts = urlsplit(url.strip())
    if parts.scheme not in SCHEMES:
        raise MailConfigError(
            f"LMS_PLUGIN_SMTP_URL must start with one of {', '.join(sorted(SCHEMES))}://")
    if not parts.hostname:
        raise MailConfigError("LMS_PLUGIN_SMTP_URL names no host.")
    try:
        port = parts.port or SCHEMES[parts.scheme]
    except ValueError as exc:
        raise MailConfigError("LMS_PLUGIN_SMTP_URL has a port that is not a number.") from exc
    return SmtpServer(parts.scheme, parts.hostname, port,
                      unquote(parts.username) if parts.username else None,
                      unquote(parts.password) if parts.password else None)


@dataclass(frozen=True)
class Email:
    sender: str
    to: str
    subject: str
    text: str
    html: str
    message_id: str  # stable per event, so a retried send can be recognised as the same


def build_message(email: Email) -> EmailMessage:
    message = EmailMessage()
    message["From"] = email.sender
    message["To"] = email.to
    message["Subject"] = email.subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = email.message_id
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no out-of-office replies
    message.set_content(email.text)
    message.add_alternative(email.html, subtype="html")
    return message


def send(server: SmtpServer, email: Email) -> None:
    message = build_message(email)
    client: smtplib.SMTP
    if server.scheme == "smtps":
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=TIMEOUT_SECONDS,
                                  context=ssl.create_default_context())
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=TIMEOUT_SECONDS)
    with client:
        if server.scheme == "smtp+starttls":
            client.starttls(context=ssl.create_default_context())
        if server.username:
            client.login(server.username, server.password or "")
        client.send_message(message)
