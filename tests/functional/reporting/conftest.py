"""Fixtures of the reporting tests: `seeded`, the demo organisation's data."""

from __future__ import annotations

import pytest

from lms_plugin.demo.seed import seed_demo
from lms_plugin.extensions import db
from tests.support import factories


@pytest.fixture
def seeded(app, registered, shipped_content) -> int:
    """The demo organisation's data (lms-plugin demo seed), seeded into the test
    platform's organisation; its id."""
    with app.app_context():
        organisation_id = factories.organisation_of(registered.issuer)
        assert seed_demo(organisation_id) is not None
        db.session.commit()
    return organisation_id
