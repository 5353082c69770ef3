"""`content validate` reads files, not the database: a test here that does not ask for
`app` gets a CLI runner on an app whose database is never opened, so it runs once rather
than once per database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conftest import make_app


@pytest.fixture
def runner(request: pytest.FixtureRequest, tmp_path: Path) -> Any:
    if "app" in request.fixturenames:  # a test that syncs: its database, as usual
        return request.getfixturevalue("app").test_cli_runner()
    return make_app("sqlite:///" + str(tmp_path / "never-opened.db"), tmp_path).test_cli_runner()
