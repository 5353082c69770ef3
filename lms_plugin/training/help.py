"""The "get help now" resources: the organisation's (configuration) and international
crisis lines (defaults), in the reader's language where the data has it (`translations`:
the same line's words in that language, and what the line offers in it, such as 988's
Spanish option; never a number the line does not have)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from flask import Flask
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field, HttpUrl

from ..phones import phone_links


class LineWords(BaseModel):
    """A line's words in another language; what is left out stays as in English."""

    model_config = ConfigDict(extra="forbid")
    name: str | None = None
    region: str | None = None
    contact: str | None = None


class Line(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    region: str
    contact: str
    url: HttpUrl | None = None
    translations: dict[str, LineWords] = Field(default_factory=dict)  # by language ("es")

    def in_language(self, language: str) -> Line:
        words = self.translations.get(language)
        if words is None:
            return self
        return self.model_copy(update=words.model_dump(exclude_none=True))

    @property
    def contact_html(self) -> Markup:
        """The contact text, escaped, with its phone numbers as tel: (or sms:) links."""
        return phone_links(self.contact, contact=True)


DEFAULT_LINES = [
    Line.model_validate(line)
    for line in (
        {"name": "Samaritans", "region": "UK and Ireland",
         "contact": "Call 116 123 (free, any time)", "url": "https://www.samaritans.org",
         "translations": {"es": {"region": "Reino Unido e Irlanda",
                                 "contact": "Llama al 116 123 (gratis, a cualquier hora)"}}},
        {"name": "988 Suicide & Crisis Lifeline", "region": "United States",
         "contact": "Call or text 988. Deaf or hard of hearing: American Sign Language by "
                    "videophone (dial 988), or TTY: dial 711 then 988",
         "url": "https://988lifeline.org",
         # In Spanish: call 988 and press 2, or text AYUDA to 988 (988's Spanish
         # subnetwork; Washington State Department of Health, "The Spanish Subnetwork").
         "translations": {"es": {
             "region": "Estados Unidos",
             "contact": "Llama o envía un mensaje de texto al 988. En español: llama al 988 y "
                        "marca 2, o envía AYUDA por mensaje de texto al 988. Personas sordas o "
                        "con dificultades auditivas: lengua de señas americana (ASL) por "
                        "videoteléfono (marca 988), o TTY: marca 711 y después 988"}}},
        {"name": "9-8-8 Suicide Crisis Helpline", "region": "Canada",
         "contact": "Call or text 988", "url": "https://988.ca",
         "translations": {"es": {"region": "Canadá",
                                 "contact": "Llama o envía un mensaje de texto al 988"}}},
        {"name": "Lifeline", "region": "Australia", "contact": "Call 13 11 14",
         "url": "https://www.lifeline.org.au",
         "translations": {"es": {"contact": "Llama al 13 11 14"}}},
        {"name": "Find A Helpline", "region": "Other countries",
         "contact": "Free, confidential helplines in over 130 countries",
         "url": "https://findahelpline.com",
         "translations": {"es": {"region": "Otros países",
                                 "contact": "Líneas de ayuda gratuitas y confidenciales en más "
                                            "de 130 países"}}},
    )
]

EMERGENCY = {
    "en": "If you or someone else is in immediate danger, call your local emergency number "
          "now (for example 112 in the EU, 999 in the UK, 911 in the US and Canada, 000 in "
          "Australia).",
    "es": "Si tú u otra persona están en peligro inmediato, llama ahora a tu número local de "
          "emergencias (por ejemplo, 112 en la UE, 999 en el Reino Unido, 911 en Estados "
          "Unidos y Canadá, 000 en Australia).",
}


class HelpResources(BaseModel):
    model_config = ConfigDict(extra="forbid")
    emergency: str = EMERGENCY["en"]
    emergency_translations: dict[str, str] = Field(default_factory=dict)  # by language
    eap: str | None = None  # e.g. "Call 0800 000 000, 24 hours, or visit ..."
    eap_url: HttpUrl | None = None
    hr_policy_url: HttpUrl | None = None
    organisation_contacts: list[Line] = Field(default_factory=list)
    crisis_lines: list[Line] = Field(default_factory=lambda: list(DEFAULT_LINES))

    def localized(self, language: str) -> HelpResources:
        """The same resources in that language where the data has it, else as written."""
        emergency = self.emergency_translations.get(language) or (
            EMERGENCY.get(language, self.emergency) if self.emergency == EMERGENCY["en"]
            else self.emergency)
        return self.model_copy(update={
            "emergency": emergency,
            "organisation_contacts": [c.in_language(language)
                                      for c in self.organisation_contacts],
            "crisis_lines": [c.in_language(language) for c in self.crisis_lines],
        })

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
