"""The "get help now" resources: the organisation's (configuration) and international
crisis lines (defaults)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from flask import Flask
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from ..phones import phone_links


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    region: str
    contact: str
    url: HttpUrl | None = None

    @property
    def contact_html(self) -> Markup:
        """The contact text, escaped, with its phone numbers as tel: (or sms:) links."""
        return phone_links(self.contact, contact=True)


DEFAULT_LINES = [
    Line.model_validate(line)
    for line in (
        {"name": "Samaritans", "region": "UK and Ireland",
         "contact": "Call 116 123 (free, any time)", "url": "https://www.samaritans.org"},
        {"name": "988 Suicide & Crisis Lifeline", "region": "United States",
         "contact": "Call or text 988. Deaf or hard of hearing: American Sign Language by "
                    "videophone (dial 988), or TTY: dial 711 then 988",
         "url": "https://988lifeline.org"},
        {"name": "9-8-8 Suicide Crisis Helpline", "region": "Canada",
         "contact": "Call or text 988", "url": "https://988.ca"},
        {"name": "Lifeline", "region": "Australia", "contact": "Call 13 11 14",
         "url": "https://www.lifeline.org.au"},
        {"name": "Find A Helpline", "region": "Other countries",
         "contact": "Free, confidential helplines in over 130 countries",
         "url": "https://findahelpline.com"},
    )
]

class HelpResources(BaseModel):
    model_config = ConfigDict(extra="forbid")
    emergency: str = (
        "If you or someone else is in immediate danger, call your local emergency number "
        "now (for example 112 in the EU, 999 in the UK, 911 in the US and Canada, 000 in "
        "Australia)."
    )
    eap: str | None = None  # e.g. "Call 0800 000 000, 24 hours, or visit ..."
    eap_url: HttpUrl | None = None
    hr_policy_url: HttpUrl | None = None
    organisation_contacts: list[Line] = Field(default_factory=list)
    crisis_lines: list[Line] = Field(default_factory=lambda: list(DEFAULT_LINES))

    @property
    def emergency_html(self) -> Markup:
        return phone_links(self.emergency)

    @property
    def eap_html(self) -> Markup:
        return phone_links(self.eap or "", contact=True)


def help_resources(app: Flask) -> HelpResources:
    """From LMS_PLUGIN_HELP_FILE (YAML) when set; a broken file falls back to the defaults
    so the help page itself never fails."""
    cached = app.extensions.get("help_resources")
    if cached is not None:
        return cached
    path = app.config.get("LMS_PLUGIN_HELP_FILE")
    resources = HelpResources()
    if path:
        try:
            data: Any = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
            resources = HelpResources.model_validate(data)
        except Exception:
            app.logger.exception("LMS_PLUGIN_HELP_FILE %s could not be used", path)
    app.extensions["help_resources"] = resources
    return resources
