"""Certificate documents: a PDF (WeasyPrint) with the organisation's name, logo and
signatory and a QR code to the verification page; an Open Badges 3.0 credential as a
VC-JWT signed with the tool's key (checkable against /lti/jwks), also baked into a PNG
badge image; and the "Add to LinkedIn profile" link. Verification of a presented badge
lives here too."""

from __future__ import annotations

import base64
import hashlib
import io
import mimetypes
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import jwt
import segno
from flask import current_app, render_template
from flask_babel import gettext
from markupsafe import Markup
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from ..content.services import get_catalog
from ..extensions import db
from ..lti.keys import get_signing_key, query_published_keys
from ..users.models import Organisation, User
from .models import Certificate
from .training_certificate import (
    NO_EXPIRY,
    TRAINING_DESCRIPTION,
    TRAINING_SLUG,
    TRAINING_TITLE,
)

OB3_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def qr_svg(url: str) -> Markup:
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#1b1f24")
    return Markup(svg)  # noqa: S704 - segno's own SVG of a URL we built


@dataclass(frozen=True)
class Issuer:
    """Who the certificate is from, as printed on it: the organisation's name (from
    configuration, else the holder's organisation), an optional logo (a data: URL of the
    configured PNG or SVG file) and an optional signatory ("Name, Role")."""

    organisation: str
    logo: str | None
    signatory_name: str | None
    signatory_role: str | None


def parse_signatory(value: str) -> tuple[str | None, str | None]:
    """ "Name, Role" -> (name, role); "Name" -> (name, None); "" -> (None, None)."""
    name, _, role = value.partition(",")
    return (name.strip() or None, role.strip() or None)


def logo_data_url(path: str) -> str | None:
    """The configured logo as a data: URL (PNG or SVG only), or None when unset. A missing
    or unsupported file is logged and left out: the certificate is still issued."""
    if not path:
        return None
    file = Path(path)
    kind = mimetypes.guess_type(file.name)[0]
    if kind not in {"image/png", "image/svg+xml"}:
        current_app.logger.warning("LMS_PLUGIN_CERTIFICATE_LOGO %r is not a .png or .svg "
                                   "file; certificates are made without a logo", path)
        return None
    try:
        data = file.read_bytes()
    except OSError as exc:
        current_app.logger.warning("LMS_PLUGIN_CERTIFICATE_LOGO %r cannot be read (%s); "
                                   "certificates are made without a logo", path, exc)
        return None
    return f"data:{kind};base64,{base64.b64encode(data).decode()}"


def issuer_for(certificate: Certificate) -> Issuer:
    config = current_app.config
    organisation = config.get("LMS_PLUGIN_CERTIFICATE_ORGANISATION") or ""
    if not organisation:
        holder = db.session.get(User, certificate.user_id)
        found = db.session.get(Organisation, holder.organisation_id) if holder else None
        organisation = found.name if found else config["LMS_PLUGIN_TOOL_NAME"]
    name, role = parse_signatory(config.get("LMS_PLUGIN_CERTIFICATE_SIGNATORY") or "")
    return Issuer(organisation, logo_data_url(config.get("LMS_PLUGIN_CERTIFICATE_LOGO") or ""),
                  name, role)


def describe(certificate: Certificate) -> tuple[str, str]:
    """The certificate's title and description: the training's, or its programme's."""
    if certificate.programme_slug == TRAINING_SLUG:
        return TRAINING_TITLE, TRAINING_DESCRIPTION
    content = get_catalog().programmes.get(certificate.programme_slug)
    if content is None:
        return certificate.programme_slug.replace("-", " ").capitalize(), ""
    return content.document.title, content.document.description


def expires(certificate: Certificate) -> datetime | None:
    """When it expires, or None for a certificate that does not (completed training)."""

    aware = certificate.expires_at if certificate.expires_at.tzinfo else \
        certificate.expires_at.replace(tzinfo=UTC)
    return None if aware >= NO_EXPIRY else aware


def certificate_pdf_html(certificate: Certificate, verify_url: str) -> str:

    title, _ = describe(certificate)
    training = certificate.programme_slug == TRAINING_SLUG
    return render_template("certification/certificate_pdf.html", certificate=certificate,
                           heading=gettext("Certificate of completion") if training
                           else gettext("Certificate"),
                           lead=gettext("has been awarded") if training
                           else gettext("has met the requirements of"),
                           programme_title=title, verify_url=verify_url,
                           qr=qr_svg(verify_url), issuer=issuer_for(certificate),
                           expires=expires(certificate))


def certificate_pdf(certificate: Certificate, verify_url: str) -> bytes:
    # Imported here, not at the top: weasyprint loads Pango through cffi, about a second of
    # start-up that every process (web workers, the worker, each CLI command) would pay
    # for a PDF most of them never render.
    from weasyprint import HTML

    return HTML(string=certificate_pdf_html(certificate, verify_url)).write_pdf()


LINKEDIN_ADD = "https://www.linkedin.com/profile/add"


def linkedin_add_url(*, name: str, organisation: str, issued: datetime,
                     expires_at: datetime | None, cert_url: str, cert_id: str) -> str:
    """LinkedIn's "Add to profile" link for a certification, filled in: the person
    confirms it on LinkedIn; nothing is sent from here."""
    params: dict[str, str | int] = {
        "startTask": "CERTIFICATION_NAME", "name": name, "organizationName": organisation,
        "issueYear": issued.year, "issueMonth": issued.month,
    }
    if expires_at is not None:
        params.update(expirationYear=expires_at.year, expirationMonth=expires_at.month)
    params.update(certUrl=cert_url, certId=cert_id)
    return f"{LINKEDIN_ADD}?{urlencode(params)}"


# Open Badges 3.0 baking: an iTXt chunk with this keyword, uncompressed, holding the
# credential (here the compact JWS of the VC-JWT).
BAKED_KEYWORD = "openbadgecredential"


def badge_image(title: str, size: int = 400) -> bytes:
    """A plain round badge with the title, as PNG bytes."""
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((8, 8, size - 8, size - 8), fill=(29, 90, 122, 255),
                 outline=(15, 55, 76, 255), width=10)
    draw.ellipse((40, 40, size - 40, size - 40), outline=(255, 255, 255, 255), width=4)
    font = ImageFont.load_default(size=26)
    words, lines, line = title.split(), [], ""
    for word in words:
        trial = f"{line} {word}".strip()
        if draw.textlength(trial, font=font) > size * 0.66 and line:
            lines.append(line)
            line = word
        else:
            line = trial
    lines.append(line)
    text = "\n".join(lines[:5])
    draw.multiline_text((size / 2, size / 2), text, font=font, fill=(255, 255, 255, 255),
                        anchor="mm", align="center", spacing=6)
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def bake_png(image: bytes, credential: str) -> bytes:
    """The PNG with the credential baked in (Open Badges 3.0: iTXt `openbadgecredential`)."""
    info = PngInfo()
    info.add_itxt(BAKED_KEYWORD, credential, lang="", tkey="", zip=False)
    out = io.BytesIO()
    with Image.open(io.BytesIO(image)) as picture:
        picture.save(out, format="PNG", pnginfo=info)
    return out.getvalue()


def unbake_png(data: bytes) -> str | None:
    """The credential baked into a PNG, or None."""
    with Image.open(io.BytesIO(data)) as picture:
        value = picture.text.get(BAKED_KEYWORD) if hasattr(picture, "text") else None
    return str(value) if value is not None else None


def _iso(value: datetime) -> str:
    aware = value if value.tzinfo else value.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _identity(certificate: Certificate) -> dict[str, Any]:
    email = certificate.user.email
    kind, value = ("emailAddress", email.lower()) if email else ("name", certificate.holder_name)
    salt = hashlib.sha256(certificate.code.encode()).hexdigest()[:16]
    digest = hashlib.sha256((value + salt).encode()).hexdigest()
    return {"type": "IdentityObject", "identityType": kind, "hashed": True,
            "identityHash": f"sha256${digest}", "salt": salt}


def open_badge(certificate: Certificate, *, base_url: str, programme_title: str,
               programme_description: str, issuer_name: str, verify_url: str) -> str:
    key = get_signing_key()
    credential = {
        "@context": OB3_CONTEXT,
        "id": f"{base_url}/verify/{certificate.code}",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": base_url, "type": ["Profile"], "name": issuer_name},
        "validFrom": _iso(certificate.issued_at),
        "name": programme_title,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [_identity(certificate)],
            "achievement": {
                "id": f"{base_url}/programmes/{certificate.programme_slug}",
                "type": ["Achievement"],
                "name": programme_title,
                "description": programme_description,
                "criteria": {"narrative": _criteria(certificate)},
            },
        },
        "credentialStatus": {"id": verify_url + ".json", "type": "1EdTechRevocationList"},
    }
    until = expires(certificate)
    if until is not None:
        credential["validUntil"] = _iso(until)
    issued = int(certificate.issued_at.replace(tzinfo=certificate.issued_at.tzinfo or UTC)
                 .timestamp())
    subject = uuid.uuid5(uuid.NAMESPACE_URL, str(credential["id"]))
    payload = {"iss": base_url, "jti": credential["id"], "sub": f"urn:uuid:{subject}",
               "nbf": issued, "iat": int(time.time()), "vc": credential}
    if until is not None:
        payload["exp"] = int(until.timestamp())
    return jwt.encode(payload, key.private_key_pem, algorithm="RS256",
                      headers={"kid": key.kid, "typ": "JWT"})


def _criteria(certificate: Certificate) -> str:

    if certificate.programme_slug == TRAINING_SLUG:
        return "Completed every module of the training, including each module's quiz."
    return ("Completed the required training and supervised practice, and signed the "
            f"programme's attestations, under programme version "
            f"{certificate.programme_version}.")


class BadgeRejected(Exception):
    pass


def read_badge(token: str, base_url: str) -> dict[str, Any]:
    """Check a presented badge: our signature (any published key), our issuer, a
    well-formed credential. Returns the payload; the caller checks the certificate."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise BadgeRejected(gettext("This is not a signed badge (a JWT).")) from None
    if header.get("alg") != "RS256":
        raise BadgeRejected(gettext("The badge is not signed with RS256."))
    keys = {k.kid: k for k in query_published_keys()}
    key = keys.get(header.get("kid", ""))
    if key is None:
        raise BadgeRejected(gettext(
            "The badge was not signed by one of this tool's published keys."))
    try:
        payload = jwt.decode(token, key.public_key_pem, algorithms=["RS256"],
                             options={"verify_exp": False, "require": ["iss", "vc"]})
    except jwt.InvalidSignatureError:
        raise BadgeRejected(gettext(
            "The badge's signature does not match: it has been altered.")) \
            from None
    except jwt.PyJWTError as exc:
        raise BadgeRejected(gettext("The badge is not valid: %(reason)s.",
                                    reason=str(exc))) from None
    if payload.get("iss") != base_url:
        raise BadgeRejected(gettext("The badge names another issuer."))
    vc = payload.get("vc")
    if not isinstance(vc, dict) or "OpenBadgeCredential" not in vc.get("type", []):
        raise BadgeRejected(gettext("The badge is not an Open Badges credential."))
    return payload
