"""The tool's own signing keys: generated on first use, rotated, published at /lti/jwks."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwcrypto.jwk import JWK
from sqlalchemy import select

from ..extensions import db
from .models import ToolKey


def new_rsa_key() -> tuple[str, str, str]:
    """A new 2048-bit RSA key pair: (kid, private PEM, public PEM). The kid is the RFC 7638
    thumbprint, as lti1p3platform names its keys too."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private_pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public_pem = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    ).decode()
    return JWK.from_pem(public_pem.encode()).thumbprint(), private_pem, public_pem


def _new_key() -> ToolKey:
    kid, private_pem, public_pem = new_rsa_key()
    return ToolKey(kid=kid, private_key_pem=private_pem, public_key_pem=public_pem)


def public_jwk(key: ToolKey) -> dict[str, Any]:
    jwk: dict[str, Any] = json.loads(JWK.from_pem(key.public_key_pem.encode()).export_public())
    jwk.update({"kid": key.kid, "alg": "RS256", "use": "sig"})
    return jwk


def _query_signing_key() -> ToolKey | None:
    return db.session.scalars(
        select(ToolKey)
        .where(ToolKey.retired_at.is_(None), ToolKey.superseded_at.is_(None))
        .order_by(ToolKey.created_at.desc(), ToolKey.id.desc())
    ).first()


def get_signing_key() -> ToolKey:
    """The key the tool signs with now; made on first use.

    The first key is written in its own short transaction, so the request that happens to
    make it holds no write lock while it goes on (SQLite allows one writer at a time)."""
    key = _query_signing_key()
    if key is None:
        new = _new_key()
        with db.engine.begin() as conn:
            conn.execute(
                ToolKey.__table__.insert().values(
                    kid=new.kid,
                    private_key_pem=new.private_key_pem,
                    public_key_pem=new.public_key_pem,
                    created_at=datetime.now(UTC),
                )
            )
        key = _query_signing_key()
        assert key is not None
    return key


def query_published_keys() -> list[ToolKey]:
    return list(
        db.session.scalars(
            select(ToolKey).where(ToolKey.retired_at.is_(None)).order_by(ToolKey.id)
        )
    )


def get_jwks() -> dict[str, list[dict[str, Any]]]:
    return {"keys": [public_jwk(k) for k in query_published_keys()]}


def rotate_keys() -> ToolKey:
    """A new key signs from now on; the previous ones stay published until retired."""
    now = datetime.now(UTC)
    for key in db.session.scalars(
        select(ToolKey).where(ToolKey.superseded_at.is_(None), ToolKey.retired_at.is_(None))
    ):
        key.superseded_at = now
    key = _new_key()
    db.session.add(key)
    db.session.flush()
    return key


class ToolKeyError(Exception):
    pass


def retire_key(kid: str) -> ToolKey:
    """Withdraw a superseded key from the key set. The signing key cannot be retired."""
    key = db.session.scalars(select(ToolKey).where(ToolKey.kid == kid)).first()
    if key is None:
        raise ToolKeyError(f"No key with kid {kid!r}.")
    if key.is_signing:
        raise ToolKeyError("That key is the one signing now; rotate first, then retire it.")
    if key.retired_at is None:
        key.retired_at = datetime.now(UTC)
    return key
