"""The Spanish catalog is complete: every UI string extracted from the code and templates
(as `./dev translations` extracts them, from babel.cfg) has a Spanish translation with the
same placeholders, and the shipped .mo is the .po compiled."""

from __future__ import annotations

import re
from io import BytesIO
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po

from lms_plugin.i18n import LOCALES, TRANSLATIONS

ROOT = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")
KEYWORDS = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}


def placeholders(text: str) -> list[str]:
    return sorted(a or b for a, b in PLACEHOLDER.findall(text))


def extracted() -> dict[str, tuple[str, ...]]:
    """msgid -> the msgids of the message (one, or singular and plural), from the source."""
    with open(ROOT / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    found: dict[str, tuple[str, ...]] = {}
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=KEYWORDS):
        ids = (message,) if isinstance(message, str) else tuple(message)
        found[ids[0]] = ids
    return found


def catalog(language: str):
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.po", "rb") as po:
        return read_po(po, locale=language)


SPANISH = [language for language in LOCALES if language != "en"]


def test_extraction_finds_the_ui_strings():
    messages = extracted()
    assert "Get help now" in messages  # a template
    assert len(messages) > 200


@pytest.mark.parametrize("language", SPANISH)
def test_every_string_has_a_translation_with_the_same_placeholders(language):
    translated = catalog(language)
    missing, fuzzy, different = [], [], []
    for msgid, ids in extracted().items():
        message = translated.get(msgid)
        strings = () if message is None else (
            (message.string,) if isinstance(message.string, str) else message.string)
        if not strings or not all(strings):
            missing.append(msgid)
            continue
        if message.fuzzy:
            fuzzy.append(msgid)
        for index, text in enumerate(strings):
            source = ids[min(index, len(ids) - 1)]  # the singular, then the plural
            if placeholders(text) != placeholders(source):
                different.append((msgid, text))
    assert not missing, f"{len(missing)} strings without a {language} translation " \
        f"(run ./dev translations, then translate them): {missing[:20]}"
    assert not fuzzy, f"fuzzy translations to check: {fuzzy[:20]}"
    assert not different, f"placeholders differ from the English: {different[:10]}"


@pytest.mark.parametrize("language", SPANISH)
def test_the_shipped_mo_is_the_po_compiled(language):
    compiled = BytesIO()
    write_mo(compiled, catalog(language))
    compiled.seek(0)
    with open(TRANSLATIONS / language / "LC_MESSAGES" / "messages.mo", "rb") as mo:
        shipped = read_mo(mo)
    fresh = read_mo(compiled)
    def messages(catalog_):
        return {str(m.id): str(m.string) for m in catalog_ if m.id}

    assert messages(shipped) == messages(fresh), \
        "run ./dev translations (pybabel compile) and commit the .mo"


def test_a_changed_placeholder_is_caught():
    assert placeholders("Hola %(nombre)s") != placeholders("Hello %(name)s")
    assert placeholders("{count} personas") == placeholders("{count} people")
