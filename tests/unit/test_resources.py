"""lms_plugin.resources.shipped_root(): the folder holding the migrations and the default
content. In this source checkout, the project's own top-level folders; in an installed
wheel, the copy inside the package (lms_plugin/_shipped), which wins; never a stray
folder beside an installed package."""

from __future__ import annotations

from pathlib import Path

import pytest

from lms_plugin import resources
from lms_plugin.resources import SHIPPED, ShippedFilesMissing, shipped_root

ROOT = Path(__file__).parents[2]


def test_in_the_source_tree_it_is_the_project_folder():
    root = shipped_root()
    assert root.resolve() == ROOT.resolve()
    migrations = root / "migrations"
    for name in ("alembic.ini", "env.py", "script.py.mako"):
        assert (migrations / name).is_file(), name
    assert list((migrations / "versions").glob("*.py"))
    assert (root / "modules" / "awareness" / "module.yaml").is_file()
    assert (root / "quizzes" / "awareness.yaml").is_file()
    assert list((root / "certifications").glob("*.yaml"))


def test_the_app_reads_migrations_and_content_from_there(tmp_path):
    from lms_plugin.content.services import content_root
    from tests.conftest import make_app

    app = make_app("sqlite:///" + str(tmp_path / "x.db"), tmp_path)
    assert Path(app.extensions["migrate"].directory) == shipped_root() / "migrations"
    with app.app_context():
        assert content_root() == shipped_root()
        app.config["LMS_PLUGIN_CONTENT_DIR"] = str(tmp_path / "elsewhere")
        assert content_root() == tmp_path / "elsewhere"


def _tree(folder: Path) -> Path:
    for name in SHIPPED:
        (folder / name).mkdir(parents=True)
    return folder


@pytest.fixture
def package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Where importlib.resources says lms_plugin lives."""
    pkg = tmp_path / "site" / "lms_plugin"
    pkg.mkdir(parents=True)
    monkeypatch.setattr(resources, "files", lambda name: pkg)
    return pkg


def test_an_installed_package_uses_its_packaged_copy(package):
    packaged = _tree(package / "_shipped")
    assert shipped_root() == packaged


def test_the_packaged_copy_wins_over_a_checkout(package):
    _tree(package.parent)
    (package.parent / "pyproject.toml").write_text("[project]\n")
    packaged = _tree(package / "_shipped")
    assert shipped_root() == packaged


def test_a_checkout_is_used_when_nothing_is_packaged(package):
    checkout = _tree(package.parent)
    (checkout / "pyproject.toml").write_text("[project]\n")
    assert shipped_root() == checkout


def test_stray_folders_beside_an_installed_package_are_not_used(package):
    """site-packages/migrations from some other distribution is not ours."""
    _tree(package.parent)
    with pytest.raises(ShippedFilesMissing, match="Reinstall the package"):
        shipped_root()


def test_an_incomplete_packaged_copy_is_refused(package):
    _tree(package / "_shipped")
    (package / "_shipped" / "quizzes").rmdir()
    with pytest.raises(ShippedFilesMissing, match="quizzes/"):
        shipped_root()
