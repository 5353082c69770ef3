"""Bounds on the claims of a signed launch, checked before anything is stored (issue 11).

A platform's signature says who sent a claim, not that the tool can store it. Per claim:

- Anywhere in the token: no NUL and no broken Unicode (lone surrogates). PostgreSQL
  cannot store either, and no LMS can hold them in its own database, so a token carrying
  one is malformed: refused.
- Identifiers (`sub`, `context.id`, `resource_link.id`, each `role_scope_mentor` entry,
  `nonce`): strings of at most 255 characters with no control characters, else refused.
  Truncating would make two people (or courses, or links) one, so the launch is refused
  rather than stored under a different id. 255 is OpenID Connect's limit for `sub`.
- Lists: at most 1,000 `roles`, `role_scope_mentor` entries and custom parameters, else
  refused; a supervisor with more trainees than that is not a real roster, and the list
  replaces what we hold, so a partial list would silently drop people.
- URLs the tool keeps (the roster and grade service URLs): at most 1,000 characters,
  the columns' size, else refused (a cut URL would point somewhere else).
- Display text (`name`, `given_name`, `family_name`, `email`, the context's title and label,
  the department custom parameter): any length, cut to their columns when recorded
  (`users.services.record_launch`): a shortened name still names the same person.

Pure: no Flask, no database. `check_claim_bounds` raises `LaunchError` with a message for
the person and their LMS administrator; `LaunchClaims.parse` reads a validated launch once
into the typed values the rest of the tool uses (nothing else reads the raw claims).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..i18n import N_
from ..inputs import control_characters
from .errors import LaunchError, Term

# The claim names of LTI 1.3 and its services (the only place they are spelled out).
CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
RESOURCE_LINK, DEEP_LINKING = "LtiResourceLinkRequest", "LtiDeepLinkingRequest"
PREFIXES = (CLAIM, "https://purl.imsglobal.org/spec/lti-nrps/claim/",
            "https://purl.imsglobal.org/spec/lti-ags/claim/",
            "https://purl.imsglobal.org/spec/lti-dl/claim/")

MAX_ID_LENGTH = 255
MAX_ENTRIES = 1000
MAX_URL_LENGTH = 1000

# (claim, key inside it or None): identifiers, bounded and refused when out of bounds.
# Their descriptions are shown in refusals (`Term`: translated with the message).
IDENTIFIERS = {
    ("sub", None): Term(N_("user id (sub)")),
    ("nonce", None): Term("nonce"),
    (CLAIM + "context", "id"): Term(N_("course id (context id)")),
    (CLAIM + "resource_link", "id"): Term(N_("resource link id")),
}
LISTS = {CLAIM + "roles": Term(N_("roles")),
         CLAIM + "role_scope_mentor": Term(N_("mentees (role_scope_mentor)")),
         CLAIM + "custom": Term(N_("custom parameters"))}
URLS = {(NRPS_CLAIM, "context_memberships_url"): Term(N_("roster service URL")),
        (AGS_CLAIM, "lineitems"): Term(N_("grade service URL (lineitems)")),
        (AGS_CLAIM, "lineitem"): Term(N_("grade service URL (lineitem)"))}
STRINGS = (CLAIM + "message_type", CLAIM + "version")  # compared with known values


def check_claim_bounds(claims: Mapping[str, Any]) -> None:
    """Refuse a launch whose claims the tool cannot store as they are (see above).
    Claims that are absent are left to the checks that require them."""
    _refuse_unstorable_text(claims)
    for name in STRINGS:
        if name in claims and not isinstance(claims[name], str):
            raise LaunchError(N_("The id_token's %(claim)s claim is not a string."),
                              claim=_label(name))
    for (name, key), label in IDENTIFIERS.items():
        value = _get(claims, name, key)
        if value is not None:
            _check_identifier(value, label)
    for name, label in LISTS.items():
        value = claims.get(name)
        if isinstance(value, list | dict) and len(value) > MAX_ENTRIES:
            raise LaunchError(
                N_("The id_token carries %(count)s %(label)s; this tool accepts at most "
                   "%(most)s. Ask your LMS administrator to check the tool's settings."),
                count=len(value), label=label, most=MAX_ENTRIES)
    mentees = claims.get(CLAIM + "role_scope_mentor")
    if isinstance(mentees, list):
        for mentee in mentees:
            _check_identifier(mentee, Term(N_("mentee id (role_scope_mentor)")))
    for (name, key), label in URLS.items():
        url = _get(claims, name, key)
        if isinstance(url, str) and len(url) > MAX_URL_LENGTH:
            raise LaunchError(
                N_("The id_token's %(label)s is %(length)s characters long; this tool "
                   "keeps URLs of at most %(most)s."),
                label=label, length=len(url), most=MAX_URL_LENGTH)


def _get(claims: Mapping[str, Any], name: str, key: str | None) -> Any:
    value = claims.get(name)
    if key is None:
        return value
    return value.get(key) if isinstance(value, dict) else None


def _check_identifier(value: Any, label: Term) -> None:
    if not isinstance(value, str):
        raise LaunchError(N_("The id_token's %(label)s is not a string."), label=label)
    if len(value) > MAX_ID_LENGTH:
        raise LaunchError(
            N_("The id_token's %(label)s is %(length)s characters long; LTI identifiers "
               "are at most %(most)s. Ask your LMS administrator to check the LMS."),
            label=label, length=len(value), most=MAX_ID_LENGTH)
    if control_characters(value, kept=()):
        raise LaunchError(N_("The id_token's %(label)s contains a control character."),
                          label=label)


def _refuse_unstorable_text(claims: Mapping[str, Any]) -> None:
    # Iterative: a deeply nested token must not exhaust the interpreter's stack.
    pending: list[tuple[str, Any]] = [(_label(k), v) for k, v in claims.items()]
    for key in claims:
        _check_text(key, Term(N_("claim names")))
    while pending:
        path, value = pending.pop()
        if isinstance(value, str):
            _check_text(value, path)
        elif isinstance(value, dict):
            for key, item in value.items():
                _check_text(key, path)
                pending.append((f"{path}.{key}"[:120], item))
        elif isinstance(value, list):
            pending.extend((path, item) for item in value)


def _check_text(text: str, where: str) -> None:
    if "\x00" in text or not _encodable(text):
        raise LaunchError(
            N_("Text in the id_token (%(where)s) contains a NUL character or is not valid "
               "Unicode, which this tool cannot store. Ask your LMS administrator to check "
               "the LMS."), where=where)


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")  # fails on lone surrogates ("\ud800"), which JSON allows
    except UnicodeEncodeError:
        return False
    return True


def _label(name: str) -> str:
    for prefix in PREFIXES:
        if name.startswith(prefix):
            return name[len(prefix):]
    return name[:120]


def _str(value: Any, limit: int | None = None) -> str | None:
    """A non-blank string, cut to `limit` (display text, see the module docstring)."""
    if not isinstance(value, str) or not value.strip():
        return None
    return value[:limit] if limit else value


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _url(value: Any) -> str | None:
    """An http(s) URL; longer ones were refused by `check_claim_bounds`, so the cut to the
    column's size never changes a URL that got this far."""
    if isinstance(value, str) and value.startswith(("http://", "https://")):
        return value[:MAX_URL_LENGTH]
    return None


@dataclass(frozen=True)
class LaunchClaims:
    """A validated launch, read once. Text is cut to the columns that keep it; absent or
    malformed optional claims are None or empty."""

    issuer: str
    sub: str
    message_type: str
    name: str | None = None
    email: str | None = None
    lti_roles: tuple[str, ...] = ()
    mentees: tuple[str, ...] = ()
    context_id: str | None = None
    context_title: str | None = None
    context_label: str | None = None
    memberships_url: str | None = None  # Names and Role Provisioning Service
    resource_link_id: str | None = None
    lineitems_url: str | None = None  # Assignment and Grade Services
    lineitem_url: str | None = None
    ags_scopes: tuple[str, ...] = ()
    has_ags: bool = False
    custom: Mapping[str, str] = field(default_factory=dict)
    return_url: str | None = None  # launch_presentation.return_url
    locale: str | None = None  # launch_presentation.locale ("es-ES"): see lms_plugin.i18n
    platform_url: str | None = None  # tool_platform.url
    deep_link_return_url: str | None = None
    accept_multiple: bool = True  # deep linking: may several items be returned

    @property
    def is_deep_linking(self) -> bool:
        return self.message_type == DEEP_LINKING

    def custom_text(self, name: str, limit: int) -> str | None:
        """A custom parameter's value, or None when absent or an unexpanded substitution
        variable (`$Person.address.timezone` when the LMS does not know it)."""
        value = _str(self.custom.get(name))
        return None if value is None or value.startswith("$") else value.strip()[:limit]

    @classmethod
    def parse(cls, raw: Mapping[str, Any]) -> LaunchClaims:
        parts = (_str(raw.get("given_name"), 120), _str(raw.get("family_name"), 120))
        context, link = _dict(raw.get(CLAIM + "context")), _dict(raw.get(CLAIM + "resource_link"))
        ags, nrps = _dict(raw.get(AGS_CLAIM)), _dict(raw.get(NRPS_CLAIM))
        settings = _dict(raw.get(DL_CLAIM + "deep_linking_settings"))
        roles, mentees = raw.get(CLAIM + "roles"), raw.get(CLAIM + "role_scope_mentor")
        scopes = ags.get("scope")
        presentation = _dict(raw.get(CLAIM + "launch_presentation"))
        return cls(
            issuer=str(raw["iss"]), sub=str(raw["sub"]),
            message_type=str(raw.get(CLAIM + "message_type") or RESOURCE_LINK),
            name=_str(raw.get("name"), 255) or " ".join(p for p in parts if p) or None,
            email=_str(raw.get("email"), 320),
            lti_roles=tuple(r for r in roles if isinstance(r, str))
            if isinstance(roles, list) else (),
            mentees=tuple(dict.fromkeys(str(m)[:MAX_ID_LENGTH] for m in mentees if m))
            if isinstance(mentees, list) else (),
            context_id=str(context["id"])[:MAX_ID_LENGTH] if _str(context.get("id"), 255)
            else None,
            context_title=_str(context.get("title"), 500),
            context_label=_str(context.get("label"), 255),
            memberships_url=_str(nrps.get("context_memberships_url"), MAX_URL_LENGTH),
            resource_link_id=str(link["id"])[:MAX_ID_LENGTH] if link.get("id") else None,
            lineitems_url=_url(ags.get("lineitems")), lineitem_url=_url(ags.get("lineitem")),
            ags_scopes=tuple(s for s in scopes if isinstance(s, str))
            if isinstance(scopes, list) else (),
            has_ags=AGS_CLAIM in raw,
            custom={str(k): str(v) for k, v in _dict(raw.get(CLAIM + "custom")).items()
                    if isinstance(v, str | int | float | bool)},
            return_url=_str(presentation.get("return_url")),
            locale=_str(presentation.get("locale"), 35),
            platform_url=_str(_dict(raw.get(CLAIM + "tool_platform")).get("url")),
            deep_link_return_url=_str(settings.get("deep_link_return_url")),
            accept_multiple=bool(settings.get("accept_multiple", True)),
        )
