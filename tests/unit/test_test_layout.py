"""Tests share what they need through conftest.py fixtures and tests/support/, never by
importing another test file (a fixture imported that way runs under two names, and
moving or deleting one test file breaks others)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parents[1]
TEST_PACKAGES = ("tests.unit", "tests.functional", "tests.e2e", "tests.install")


def imports_of_test_files(source: str) -> list[str]:
    """The modules under the test folders (not tests.support) that this source imports."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = ([alias.name for alias in node.names] if isinstance(node, ast.Import)
                 else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
        found += [name for name in names if name.startswith(TEST_PACKAGES)]
    return found


def test_no_test_file_imports_another():
    offenders = {str(path.relative_to(TESTS)): imports_of_test_files(path.read_text())
                 for path in TESTS.rglob("*.py") if "support" not in path.parts}
    assert not {path: found for path, found in offenders.items() if found}


def test_an_import_of_a_test_file_is_found():
    assert imports_of_test_files(
        "from tests.functional.reporting.test_scope_pass import two_seeded\n"
        "import tests.unit.test_layers\nfrom tests.support import factories\n") == [
        "tests.functional.reporting.test_scope_pass", "tests.unit.test_layers"]
