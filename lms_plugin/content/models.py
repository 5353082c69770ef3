"""Content versions as synced into the database. The tool serves from here, so a broken
file on disk never takes it down, and every version an attempt or certificate was earned
under stays readable."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..columns import content_slug, content_version, row_id, timestamp
from ..extensions import db


class ContentVersion(db.Model):  # type: ignore[name-defined]
    __tablename__ = "content_version"
    __table_args__ = (UniqueConstraint("kind", "slug", "version"),)

    id: Mapped[int] = row_id()
    kind: Mapped[str] = mapped_column(String(20))  # module | quiz
    slug: Mapped[str] = content_slug()
    version: Mapped[str] = content_version()
    payload: Mapped[str] = mapped_column(Text)  # JSON of the validated content
    is_current: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    synced_at: Mapped[datetime] = timestamp(now=True)
