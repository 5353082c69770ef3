"""Certificate documents: a PDF (WeasyPrint) with a QR code to the verification page, and
an Open Badges 3.0 credential as a VC-JWT signed with the tool's key (checkable against
/lti/jwks). Verification of a presented badge lives here too."""

from __future__ import annotations

import hashlib
import time
import uuid
from datetime import UTC, datetime
from typing import Any

import jwt
import segno
from flask import render_template
from markupsafe import Markup

from ..lti.keys import get_signing_key, query_published_keys
from .models import Certificate

OB3_CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]


def qr_svg(url: str) -> Markup:
    svg = segno.make(url, error="m").svg_inline(scale=4, dark="#1b1f24")
    return Markup(svg)  # noqa: S704 - segno's own SVG of a URL we built


def certificate_pdf(certificate: Certificate, programme_title: str, verify_url: str) -> bytes:
    from weasyprint import HTML

    html = render_template("certification/certificate_pdf.html", certificate=certificate,
                           programme_title=programme_title, verify_url=verify_url,
                           qr=qr_svg(verify_url))
    return HTML(string=html).write_pdf()


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
        "validUntil": _iso(certificate.expires_at),
        "name": programme_title,
        "credentialSubject": {
            "type": ["AchievementSubject"],
            "identifier": [_identity(certificate)],
            "achievement": {
                "id": f"{base_url}/programmes/{certificate.programme_slug}",
                "type": ["Achievement"],
                "name": programme_title,
                "description": programme_description,
                "criteria": {"narrative": (
                    "Completed the required training and supervised practice, and signed "
                    "the programme's attestations, under programme version "
                    f"{certificate.programme_version}.")},
            },
        },
        "credentialStatus": {"id": verify_url + ".json", "type": "1EdTechRevocationList"},
    }
    issued = int(certificate.issued_at.replace(tzinfo=certificate.issued_at.tzinfo or UTC)
                 .timestamp())
    expires = int(certificate.expires_at.replace(tzinfo=certificate.expires_at.tzinfo or UTC)
                  .timestamp())
    subject = uuid.uuid5(uuid.NAMESPACE_URL, str(credential["id"]))
    payload = {"iss": base_url, "jti": credential["id"], "sub": f"urn:uuid:{subject}",
               "nbf": issued, "iat": int(time.time()), "exp": expires, "vc": credential}
    return jwt.encode(payload, key.private_key_pem, algorithm="RS256",
                      headers={"kid": key.kid, "typ": "JWT"})


class BadgeRejected(Exception):
    pass


def read_badge(token: str, base_url: str) -> dict[str, Any]:
    """Check a presented badge: our signature (any published key), our issuer, a
    well-formed credential. Returns the payload; the caller checks the certificate."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise BadgeRejected("This is not a signed badge (a JWT).") from None
    if header.get("alg") != "RS256":
        raise BadgeRejected("The badge is not signed with RS256.")
    keys = {k.kid: k for k in query_published_keys()}
    key = keys.get(header.get("kid", ""))
    if key is None:
        raise BadgeRejected("The badge was not signed by one of this tool's published keys.")
    try:
        payload = jwt.decode(token, key.public_key_pem, algorithms=["RS256"],
                             options={"verify_exp": False, "require": ["iss", "vc"]})
    except jwt.InvalidSignatureError:
        raise BadgeRejected("The badge's signature does not match: it has been altered.") \
            from None
    except jwt.PyJWTError as exc:
        raise BadgeRejected(f"The badge is not valid: {exc}.") from None
    if payload.get("iss") != base_url:
        raise BadgeRejected("The badge names another issuer.")
    vc = payload.get("vc")
    if not isinstance(vc, dict) or "OpenBadgeCredential" not in vc.get("type", []):
        raise BadgeRejected("The badge is not an Open Badges credential.")
    return payload
