"""Reading what a page says."""

from __future__ import annotations

import re


def lang(page: str) -> str:
    """The page's language, as its <html lang> says."""
    found = re.search(r'<html lang="([^"]+)"', page)
    assert found, page[:200]
    return found.group(1)
