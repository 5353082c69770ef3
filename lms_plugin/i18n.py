"""The tool's languages (Flask-Babel). English is the source language and the fallback;
Spanish is shipped (`translations/es/LC_MESSAGES/messages.po`, compiled to `.mo`).

The locale of a request is, in order: the one the LMS sent with the person's launch
(`launch_presentation.locale`, kept in the session by `remember_launch`, since a person may
launch from a Spanish course today and an English one tomorrow), then the browser's
`Accept-Language`, then English. The time zone is the one the LMS sent at launch (custom
parameter `timezone`, see `certification.entries.zone_from_launch`), else UTC; pages show
times in UTC plus the zone's name, and `static/local-time.js` shows them in the browser's own
zone in the page's language.

Catalogs: `pybabel extract -F babel.cfg -o lms_plugin/translations/messages.pot .`, then
`pybabel update -i lms_plugin/translations/messages.pot -d lms_plugin/translations` and
`pybabel compile -d lms_plugin/translations` (or `./dev translations`)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask, has_request_context, request, session
from flask_babel import Babel, get_locale, get_translations, refresh
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from .dates import zone_named

LOCALES = ("en", "es")
DEFAULT_LOCALE = "en"
LOCALE_KEY, ZONE_KEY = "locale", "timezone"
TRANSLATIONS = Path(__file__).parent / "translations"

babel = Babel()


def supported(tag: str | None) -> str | None:
    """The shipped language of a BCP 47 tag ("es-ES", "es_MX", "ES"), or None."""
    if not tag or len(tag) > 35:
        return None
    language = tag.replace("_", "-").split("-", 1)[0].strip().lower()
    return language if language in LOCALES else None


def remember_launch(locale_tag: str | None, zone_name: str | None) -> None:
    """Keep what a launch said about the person's language and time zone in the session
    (called after the session is started, so the previous person's choice never stays)."""
    locale = supported(locale_tag)
    if locale:
        session[LOCALE_KEY] = locale
    zone = zone_named(zone_name)
    if zone is not None:
        session[ZONE_KEY] = str(zone)
    refresh()  # Flask-Babel keeps a request's choice: the rest of this one uses these


def select_locale() -> str:
    if not has_request_context():
        return DEFAULT_LOCALE  # the worker and the CLI: English
    chosen = supported(session.get(LOCALE_KEY))
    if chosen:
        return chosen
    return request.accept_languages.best_match(LOCALES) or DEFAULT_LOCALE


def select_timezone() -> str | None:
    if not has_request_context():
        return None
    zone = session.get(ZONE_KEY)
    return zone if isinstance(zone, str) else None


def N_(text: str) -> str:
    """Marks a constant for extraction (babel.cfg's default keywords); it is translated
    where it is shown (`_(text)` in a template, `gettext(text)` in a view)."""
    return text


def current_locale() -> str:
    """The language of this request ("en" outside one)."""
    locale = get_locale()
    return locale.language if locale is not None else DEFAULT_LOCALE


def init_app(app: Flask) -> None:
    app.config.setdefault("BABEL_TRANSLATION_DIRECTORIES", str(TRANSLATIONS))
    babel.init_app(app, default_locale=DEFAULT_LOCALE, locale_selector=select_locale,
                   timezone_selector=select_timezone)
    app.jinja_env.policies["ext.i18n.trimmed"] = True
    # Flask-Babel's template gettext looks the catalog up through the request context on
    # every string (about a third of a page's rendering); the catalog is looked up once
    # per render instead, when the template's context is made.
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=_gettext, ngettext=_ngettext, pgettext=_pgettext, npgettext=_npgettext,
        newstyle=True)
    app.context_processor(lambda: {CATALOG: get_translations()})
    app.jinja_env.globals["current_locale"] = current_locale
    app.jinja_env.globals["in_english"] = in_english


CATALOG = "_lms_plugin_catalog"


def _catalog(context: Context) -> Any:
    """The render's catalog (put in its context by the context processor), or Flask-Babel's
    lookup for a template rendered without it (an imported macro, a string template)."""
    found = context.get(CATALOG)
    return found if found is not None else get_translations()


@pass_context
def _gettext(context: Context, string: str) -> str:
    return str(_catalog(context).ugettext(string))


@pass_context
def _ngettext(context: Context, singular: str, plural: str, n: int) -> str:
    return str(_catalog(context).ungettext(singular, plural, n))


@pass_context
def _pgettext(context: Context, where: str, string: str) -> str:
    return str(_catalog(context).upgettext(where, string))


@pass_context
def _npgettext(context: Context, where: str, singular: str, plural: str, n: int) -> str:
    return str(_catalog(context).unpgettext(where, singular, plural, n))


def in_english() -> Markup:
    """` lang="en"` for an element holding content written only in English (module titles,
    quiz questions) on a page in another language, so screen readers read it as English;
    nothing on an English page."""
    return Markup("") if current_locale() == "en" else Markup(' lang="en"')
