"""An SMTP sink (aiosmtpd) that keeps every message it receives, in memory: the demo's
mailbox at /demo/mailbox, and the real SMTP server the notification tests send to.

It listens on a port the OS picks (port 0) on loopback, in its own thread and event
loop, and never relays anything anywhere."""

from __future__ import annotations

import asyncio
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

from flask import Flask

if TYPE_CHECKING:
    from aiosmtpd.smtp import SMTP, Envelope, Session

KEY = "lms_plugin.demo.mailbox"
KEEP = 500  # the demo keeps the latest this many


@dataclass(frozen=True)
class Received:
    sender: str
    recipients: tuple[str, ...]
    message: EmailMessage
    at: datetime

    @property
    def subject(self) -> str:
        return str(self.message["Subject"] or "")

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        return str(body.get_content()) if body is not None else ""

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")


class _Handler:
    def __init__(self, sink: Sink):
        self.sink = sink

    async def handle_RCPT(self, server: SMTP, session: Session, envelope: Envelope,
                          address: str, rcpt_options: list[str]) -> str:
        if address in self.sink.refuse:
            return "550 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        raw = envelope.original_content or envelope.content or b""
        data = raw if isinstance(raw, bytes) else raw.encode()
        message = message_from_bytes(data, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.sink.add(Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), message,
                               datetime.now(UTC)))
        return "250 Message accepted for delivery"


class Sink:
    """Start with `start()`; `url` is the smtp:// URL to send to; `messages()` what came."""

    def __init__(self, host: str = "127.0.0.1", keep: int = KEEP):
        self.host = host
        self.port = 0
        self._messages: deque[Received] = deque(maxlen=keep)
        self.refuse: set[str] = set()  # addresses answered "550 no such user" (tests)
        self._lock = threading.Lock()
        self._arrived = threading.Condition(self._lock)
        self._loop = asyncio.new_event_loop()
        self._thread: threading.Thread | None = None
        self._server: asyncio.base_events.Server | None = None

    @property
    def url(self) -> str:
        return f"smtp://{self.host}:{self.port}"

    def add(self, received: Received) -> None:
        with self._arrived:
            self._messages.append(received)
            self._arrived.notify_all()

    def messages(self) -> list[Received]:
        with self._lock:
            return list(self._messages)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[Received]:
        """The messages once at least `count` have arrived (or what came by the timeout)."""
        with self._arrived:
            self._arrived.wait_for(lambda: len(self._messages) >= count, timeout)
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()

    def start(self) -> Sink:
        # aiosmtpd is an optional dependency (the demo and dev extras): imported only when
        # a mailbox starts, so the demo package (which the tests' LMS imports) loads without.
        from aiosmtpd.smtp import SMTP

        ready = threading.Event()

        def run() -> None:
            asyncio.set_event_loop(self._loop)

            def factory() -> Any:
                return SMTP(_Handler(self), hostname="mailbox.invalid")

            server = self._loop.run_until_complete(
                self._loop.create_server(factory, host=self.host, port=0))
            self._server = server
            self.port = int(server.sockets[0].getsockname()[1])
            ready.set()
            self._loop.run_forever()
            server.close()
            self._loop.run_until_complete(server.wait_closed())
            self._loop.close()

        self._thread = threading.Thread(target=run, daemon=True, name="smtp-sink")
        self._thread.start()
        if not ready.wait(10):
            raise RuntimeError("The SMTP sink did not start.")
        return self

    def stop(self) -> None:
        if self._thread is None:
            return
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)
        self._thread = None


def start_mailbox(app: Flask) -> Sink | None:
    """Demo mode: catch every e-mail in a sink, unless LMS_PLUGIN_SMTP_URL names a real
    server. Returns the sink it started."""
    if app.config.get("LMS_PLUGIN_SMTP_URL"):
        return None
    sink = Sink().start()
    app.config["LMS_PLUGIN_SMTP_URL"] = sink.url
    app.extensions[KEY] = sink
    return sink


def mailbox_of(app: Flask) -> Sink | None:
    found = app.extensions.get(KEY)
    return found if isinstance(found, Sink) else None
