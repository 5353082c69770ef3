"""What a refused launch or login raises, with the message shown to the person.

The message and title are English templates marked for translation (`N_`), with their
values kept apart (`%(name)s`), so the page translates them in the person's language
(`lti.views.launch_error`) while `message` stays the English text (logs, tests). A value
that is one of our own words (a claim's description) is a `Term`, translated with the
message; other values (issuers, key ids, URLs) are shown as they are. Raised without an
app or a request (`claims` is pure); only `shown` needs the request's locale."""

from __future__ import annotations

from collections.abc import Callable

from flask_babel import format_number, gettext

from ..i18n import N_

DEFAULT_TITLE = N_("This launch could not be accepted")


class Term(str):
    """A word of ours inside a launch error's message (e.g. "user id (sub)"), translated
    with it; mark its English with `N_`."""

    __slots__ = ()


Value = str | int


class LaunchError(Exception):
    """A launch or login we refuse. `message` and `title` are English; `shown` gives them
    in the request's language."""

    def __init__(self, message: str, status: int = 400, title: str | None = None,
                 **values: Value):
        self.template = message
        self.values = values
        self.message = _fill(message, values, str, _english_number)
        super().__init__(self.message)
        self.status = status
        self.title = title or DEFAULT_TITLE

    def shown(self) -> tuple[str, str]:
        """(title, message) in the request's language, numbers written its way."""
        return gettext(self.title), _fill(self.template, self.values, gettext, format_number)


def _english_number(value: int) -> str:
    return f"{value:,}"


def _fill(template: str, values: dict[str, Value], translate: Callable[[str], str],
          number: Callable[[int], str]) -> str:
    text = translate(template)
    if not values:
        return text  # a message from a library may hold a "%" of its own
    return text % {
        name: number(value) if isinstance(value, int)
        else translate(value) if isinstance(value, Term) else value
        for name, value in values.items()
    }
