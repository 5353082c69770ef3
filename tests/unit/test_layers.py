"""The layers contract (pyproject.toml [tool.importlinter]) holds on the code, and it is not
a contract that cannot fail: an upward import, or two floors swapped, breaks it. Checked
on a copy of the package, with import-linter itself."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]
LINT = Path(sys.executable).parent / "lint-imports"


def contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"][
        "contracts"]


def ini(found: list[dict]) -> str:
    lines = ["[importlinter]", "root_package = lms_plugin", ""]
    for n, contract in enumerate(found):
        lines.append(f"[importlinter:contract:{n}]")
        for key, value in contract.items():
            if isinstance(value, list):
                lines.append(f"{key} =")
                lines += [f"    {item}" for item in value]
            else:
                lines.append(f"{key} = {value}")
        lines.append("")
    return "\n".join(lines)


def lint(tmp: Path, found: list[dict]) -> subprocess.CompletedProcess[str]:
    (tmp / "layers.ini").write_text(ini(found))
    env = dict(os.environ, PYTHONPATH=str(tmp))
    return subprocess.run([str(LINT), "--config", "layers.ini", "--no-cache"], cwd=tmp,
                          env=env, capture_output=True, text=True, timeout=300)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "lms_plugin", tmp_path / "lms_plugin",
                    ignore=shutil.ignore_patterns("_shipped", "__pycache__", "static",
                                                  "templates"))
    return tmp_path


def test_the_code_keeps_its_layers(copy):
    kept = lint(copy, contracts())
    assert kept.returncode == 0, kept.stdout + kept.stderr
    assert "0 broken" in kept.stdout


def test_an_upward_import_breaks_the_contract(copy):
    models = copy / "lms_plugin" / "users" / "models.py"
    models.write_text(models.read_text() + "\nfrom lms_plugin.reporting import views  # up\n")
    broken = lint(copy, contracts())
    assert broken.returncode != 0
    assert "lms_plugin.users is not allowed to import lms_plugin.reporting" in broken.stdout


def test_each_floor_is_in_its_place(copy):
    """Swapping quiz and training (training reads quiz's attempt queries) breaks it: the
    order is what the code relies on, not a list that any order would satisfy."""
    found = contracts()
    layers = found[0]["layers"]
    i, j = layers.index("training"), layers.index("quiz")
    layers[i], layers[j] = layers[j], layers[i]
    broken = lint(copy, found)
    assert broken.returncode != 0
    assert "lms_plugin.training is not allowed to import lms_plugin.quiz" in broken.stdout


def test_a_floor_left_out_breaks_the_contract(copy):
    """The contract is exhaustive: a package taken off the list is not simply unchecked."""
    found = contracts()
    found[0]["layers"].remove("training")
    broken = lint(copy, found)
    assert broken.returncode != 0
    assert "lms_plugin.training" in broken.stdout
    assert "not listed as layers" in broken.stdout
