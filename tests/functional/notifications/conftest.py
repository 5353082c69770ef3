"""Notification tests run against a real SMTP server: an aiosmtpd sink on a port the OS
picks, which the app is configured to send to."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from lms_plugin.demo.mailbox import Sink
from tests.conftest import isolated, make_app
from tests.support.notifications import BASE


@pytest.fixture
def sink() -> Iterator[Sink]:
    started = Sink().start()
    yield started
    started.stop()


@pytest.fixture
def app(migrated: str, tmp_path, sink: Sink, request: pytest.FixtureRequest
        ) -> Iterator[Flask]:
    """The usual app, with e-mail on (to the sink) and a public base URL for links."""
    made = make_app(migrated, tmp_path, LMS_PLUGIN_SMTP_URL=sink.url, LMS_PLUGIN_BASE_URL=BASE,
                    LMS_PLUGIN_MAIL_FROM="Training <training@example.org>")
    with isolated(made, request.node):
        yield made
