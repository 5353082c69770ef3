"""Find a peer supporter: certified supporters who opted in. A listing shows only while
its owner holds a current, unrevoked certificate, checked in the query itself, so opting
out, expiry, lapse or revocation removes them at once."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from sqlalchemy import ColumnElement, exists, select

from ..audit import audit
from ..extensions import db
from ..users.models import User
from .clock import now
from .models import Certificate, DirectoryListing
from .training_certificate import TRAINING_SLUG


def _certified(user_id: Any) -> ColumnElement[bool]:
    return exists().where(
        Certificate.user_id == user_id, Certificate.in_force(),
        Certificate.programme_slug != TRAINING_SLUG,  # completing training is not certification
        Certificate.expires_at > now())


def may_list(user: User) -> bool:
    return bool(db.session.scalar(select(_certified(user.id))))


def listed_supporters(viewer: User) -> list[tuple[User, DirectoryListing]]:
    """Listings visible to a colleague in the same organisation."""
    rows = db.session.execute(
        select(User, DirectoryListing).join(DirectoryListing, DirectoryListing.user_id == User.id)
        .where(User.organisation_id == viewer.organisation_id, _certified(User.id))
        .order_by(User.name, User.id))
    return [(user, listing) for user, listing in rows]


def get_listing(user: User) -> DirectoryListing | None:
    return db.session.scalars(select(DirectoryListing).where(
        DirectoryListing.user_id == user.id)).first()


def save_listing(user: User, *, contact: str, languages: str, availability: str
                 ) -> DirectoryListing:
    if not may_list(user):
        raise PermissionError(gettext("Only certified peer supporters can be listed."))
    listing = get_listing(user) or DirectoryListing(user_id=user.id)
    listing.contact, listing.languages = contact.strip(), languages.strip()
    listing.availability, listing.updated_at = availability.strip(), now()
    db.session.add(listing)
    db.session.flush()
    audit("directory.opt_in", user, user, listing)
    return listing


def remove_listing(user: User) -> None:
    listing = get_listing(user)
    if listing is not None:
        db.session.delete(listing)
        db.session.flush()
        audit("directory.opt_out", user, user, None)
