"""Build step: put the top-level migrations/ and default content into the built package.

Everything else about the package is in pyproject.toml. The project keeps migrations/,
modules/, quizzes/ and certifications/ at the top level, where people edit them; a wheel
can only carry files inside its packages. So build_py copies those folders into the built
package as lms_plugin/_shipped/<folder>, and lms_plugin/resources.py finds them there at
run time through importlib.resources (or, in a source checkout, at the top level).

Why a copy at build time rather than a setuptools package-dir mapping of the folders into
lms_plugin: the folders are data, not Python packages (modules/awareness/lessons/ holds
Markdown), so a mapping would have to name every sub-folder as a package and change with
each new module; and an editable install (`pip install -e '.[dev]'`, which ./dev uses)
serves mapped packages through an import hook, where they are import names with no folder
under lms_plugin/ for importlib.resources to walk. With the copy, an editable install is
exactly what it was (nothing is copied; the top-level folders are read in place, so an
edited lesson or a new migration needs no reinstall), and a wheel holds plain files that
Alembic and the content loader read as they are. MANIFEST.in puts the same folders into
the sdist, so a wheel built from the sdist (`python -m build`) carries them too.
"""

from __future__ import annotations

import os
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
SHIPPED = ("migrations", "modules", "quizzes", "certifications", "roleplays")
TARGET = ("lms_plugin", "_shipped")


def shipped_files() -> list[Path]:
    """Every file of the shipped folders, relative to the project (no bytecode)."""
    found: list[Path] = []
    for name in SHIPPED:
        top = HERE / name
        if not top.is_dir():
            raise SystemExit(
                f"{top} is missing: a package built without it cannot run "
                "`lms-plugin db upgrade` or serve the training. Build from the project "
                "folder, or from an sdist whose MANIFEST.in grafts it."
            )
        for path in sorted(top.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in {
                ".pyc", ".pyo",
            }:
                found.append(path.relative_to(HERE))
    return found


class BuildPyWithShipped(build_py):
    def _shipped_mapping(self) -> dict[str, str]:
        return {
            os.path.join(self.build_lib, *TARGET, *rel.parts): str(HERE / rel)
            for rel in shipped_files()
        }

    def run(self) -> None:
        super().run()
        if self.editable_mode:
            return  # an editable install reads the top-level folders in place
        for target, source in self._shipped_mapping().items():
            self.mkpath(os.path.dirname(target))
            self.copy_file(source, target, preserve_mode=False)

    def get_outputs(self, include_bytecode: bool = True) -> list[str]:
        outputs = list(super().get_outputs(include_bytecode))
        if self.editable_mode:
            return outputs  # already from get_output_mapping
        return outputs + list(self._shipped_mapping())

    def get_output_mapping(self) -> dict[str, str]:
        # Also used by `pip install -e . --config-settings editable_mode=strict`, which
        # links each output to its source.
        return {**super().get_output_mapping(), **self._shipped_mapping()}


setup(cmdclass={"build_py": BuildPyWithShipped})
