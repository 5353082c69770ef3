"""Fixtures of the reporting tests: `seeded`, the demo organisation's data; `two_seeded`,
two organisations seeded side by side."""

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


@pytest.fixture
def two_seeded(app, registered, second_platform, shipped_content) -> list[int]:
    """The demo data seeded into two organisations (the test platform's and a second
    platform's); their ids."""
    with app.app_context():
        ids = [factories.organisation_of(p.issuer) for p in (registered, second_platform)]
        assert ids[0] != ids[1]
        # Different moments, so the two organisations' data differ.
        assert seed_demo(ids[0]) is not None
        assert seed_demo(ids[1]) is not None
        db.session.commit()
    return ids
