"""Credentials people can use: the LinkedIn link, the signatory, and the Open Badges 3.0
baked PNG (the credential in an iTXt chunk with keyword `openbadgecredential`)."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from lms_plugin.certification.documents import (
    badge_image,
    bake_png,
    linkedin_add_url,
    parse_signatory,
    unbake_png,
)
from tests.support.badges import baked_itxt, png_chunks


def test_baking_puts_the_credential_in_an_uncompressed_itxt_chunk_before_the_image_end():
    token = "eyJhbGciOiJSUzI1NiJ9.eyJ2YyI6e319.c2lnbmF0dXJl"
    baked = bake_png(badge_image("Mental health at work: training completed"), token)
    assert baked_itxt(baked) == ("openbadgecredential", 0, token)
    kinds = [k for k, _ in png_chunks(baked)]
    assert kinds[0] == b"IHDR" and kinds[-1] == b"IEND"
    assert kinds.index(b"iTXt") < kinds.index(b"IEND")
    assert unbake_png(baked) == token
    assert unbake_png(badge_image("Plain")) is None  # an unbaked image has none


def test_linkedin_link_fills_in_the_certification():
    url = linkedin_add_url(
        name="Certified Listener", organisation="Acme & Sons",
        issued=datetime(2026, 3, 9, tzinfo=UTC), expires_at=datetime(2029, 3, 9, tzinfo=UTC),
        cert_url="https://tool.example/verify/ABCDEFGHJKLMNPQRSTUV",
        cert_id="ABCDEFGHJKLMNPQRSTUV")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "www.linkedin.com",
                                                        "/profile/add")
    assert parse_qs(parts.query) == {
        "startTask": ["CERTIFICATION_NAME"], "name": ["Certified Listener"],
        "organizationName": ["Acme & Sons"], "issueYear": ["2026"], "issueMonth": ["3"],
        "expirationYear": ["2029"], "expirationMonth": ["3"],
        "certUrl": ["https://tool.example/verify/ABCDEFGHJKLMNPQRSTUV"],
        "certId": ["ABCDEFGHJKLMNPQRSTUV"],
    }


def test_linkedin_link_of_a_certificate_that_does_not_expire_has_no_expiry():
    url = linkedin_add_url(name="Training completed", organisation="Acme",
                           issued=datetime(2026, 11, 30, tzinfo=UTC), expires_at=None,
                           cert_url="https://tool.example/verify/X", cert_id="X")
    query = parse_qs(urlsplit(url).query)
    assert "expirationYear" not in query and "expirationMonth" not in query
    assert query["issueMonth"] == ["11"]


def test_signatory_is_name_then_role():
    assert parse_signatory("Dr Amara Okoye, Head of People") == ("Dr Amara Okoye",
                                                                 "Head of People")
    assert parse_signatory("Amara Okoye") == ("Amara Okoye", None)
    assert parse_signatory("  ") == (None, None)
