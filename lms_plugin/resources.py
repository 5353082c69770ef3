"""Files the tool ships beside its code: the database migrations and the default training
content (modules/, quizzes/, certifications/).

In the project they are top-level folders, where people edit them. A built wheel (``pip
install lms-plugin``, a container image) carries them inside the package, as
``lms_plugin/_shipped/<folder>``: setup.py's build step copies them there. A source
checkout (the editable install that ``./dev`` makes, or the tree on ``sys.path``) has no
``_shipped`` folder and reads the top-level folders directly, so an edited lesson or a new
migration is live without reinstalling.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

SHIPPED = ("migrations", "modules", "quizzes", "certifications", "roleplays")
PACKAGED = "_shipped"


class ShippedFilesMissing(RuntimeError):
    """The installation is incomplete: neither a built package nor a source checkout."""


def _holds_all(folder: Path) -> bool:
    return all((folder / name).is_dir() for name in SHIPPED)


def shipped_root() -> Path:
    """The folder that holds ``migrations/``, ``modules/``, ``quizzes/`` and
    ``certifications/``: the migrations directory is ``shipped_root() / "migrations"`` and
    the default content root (unless ``LMS_PLUGIN_CONTENT_DIR`` says otherwise) is
    ``shipped_root()`` itself.

    The copy inside the package wins: that is what was installed. The source checkout is
    recognised by its pyproject.toml beside the package, so an installed package never
    picks up unrelated ``migrations/`` folders that other distributions leave in
    site-packages."""
    package = files("lms_plugin")
    if not isinstance(package, Path):
        # Alembic and the content loader read real files; a zipped package cannot serve.
        raise ShippedFilesMissing(
            f"lms_plugin is not installed as plain files ({package!r}); install it with pip "
            "(which unpacks it) rather than running it from a zip archive."
        )
    packaged = package / PACKAGED
    if _holds_all(packaged):
        return packaged
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and _holds_all(checkout):
        return checkout
    raise ShippedFilesMissing(
        f"The tool's migrations and training content were not found: expected "
        f"{', '.join(n + '/' for n in SHIPPED)} in {packaged} (an installed package) or in "
        f"{checkout} (a source checkout). Reinstall the package from a wheel built with its "
        "setup.py (pip install lms-plugin, or pip install <the project folder>)."
    )
