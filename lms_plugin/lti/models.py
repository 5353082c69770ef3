"""Tool configuration kept in the database: platforms, deployments and our signing keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, String, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..columns import PersonRecord, content_slug, link, row_id, timestamp
from ..extensions import db
from ..i18n import N_
from ..personal_data import declare, yours


class Platform(db.Model):  # type: ignore[name-defined]
    """One registration of the tool with an LMS. An issuer may hold several (Canvas does)."""

    __tablename__ = "platform"
    __table_args__ = (UniqueConstraint("issuer", "client_id"),)

    id: Mapped[int] = row_id()
    organisation_id: Mapped[int] = link("organisation", index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    issuer: Mapped[str] = mapped_column(String(500), index=True)
    # A dynamic registration made without the registration key waits for an operator
    # (`lms-plugin platform approve`), as Moodle leaves a new tool pending; no launch
    # is accepted until then.
    approved: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    client_id: Mapped[str] = mapped_column(String(255))
    auth_login_url: Mapped[str] = mapped_column(String(1000))
    auth_token_url: Mapped[str] = mapped_column(String(1000))
    # The `aud` of our token requests when it is not the token URL (set only by an admin:
    # Canvas publishes a bare host as `authorization_server` but accepts only the token URL).
    auth_audience: Mapped[str | None] = mapped_column(String(1000))
    keyset_url: Mapped[str | None] = mapped_column(String(1000))
    # Origins of the LMS pages that framed the tool, learned from signed launches
    # (launch_presentation.return_url and the like), space-separated, newest last:
    # Canvas frames from the school's own domain, not its issuer's. Shown to operators.
    frame_origins: Mapped[str | None] = mapped_column(Text)
    # Registered through /lti/register rather than by an operator.
    registered_dynamically: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false())
    # Accept (and record) a deployment id this client's signed launch names for the first
    # time: Canvas creates deployments when the tool is installed, after registration.
    accept_new_deployments: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=false())
    # A fixed public key (PEM) for platforms registered by hand without a key set URL.
    public_key_pem: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = timestamp(now=True)

    deployments: Mapped[list[Deployment]] = relationship(
        back_populates="platform", cascade="all, delete-orphan"
    )

    def __repr__(self) -> str:
        return f"<Platform {self.issuer} {self.client_id}>"


class Deployment(db.Model):  # type: ignore[name-defined]
    __tablename__ = "deployment"
    __table_args__ = (UniqueConstraint("platform_id", "deployment_id"),)

    id: Mapped[int] = row_id()
    platform_id: Mapped[int] = link("platform")
    deployment_id: Mapped[str] = mapped_column(String(255))
    # How it became known: "operator" (platform add), "registration" (named in a dynamic
    # registration) or "first launch" (accepted from a signed launch, see Platform).
    added_by: Mapped[str] = mapped_column(String(20), default="operator",
                                          server_default="operator")
    created_at: Mapped[datetime] = timestamp(now=True)

    platform: Mapped[Platform] = relationship(back_populates="deployments")


class ToolKey(db.Model):  # type: ignore[name-defined]
    """An RSA key pair the tool signs with. The newest active key signs; retired keys
    stay published until `retired_at`, so tokens signed before a rotation still verify."""

    __tablename__ = "tool_key"

    id: Mapped[int] = row_id()
    kid: Mapped[str] = mapped_column(String(100), unique=True)
    private_key_pem: Mapped[str] = mapped_column(Text)
    public_key_pem: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = timestamp(now=True)
    # Set when a newer key took over signing; the key is still published.
    superseded_at: Mapped[datetime | None] = timestamp()
    # Set when the key is withdrawn from the key set altogether.
    retired_at: Mapped[datetime | None] = timestamp()

    @property
    def is_published(self) -> bool:
        return self.retired_at is None

    @property
    def is_signing(self) -> bool:
        return self.retired_at is None and self.superseded_at is None


class AgsEndpoint(PersonRecord, db.Model):  # type: ignore[name-defined]
    """Where a person's grades for a resource link go: the AGS claim of their latest launch
    from it. The module it opens (custom module=) says which quiz scores belong there."""

    __tablename__ = "ags_endpoint"
    __table_args__ = (UniqueConstraint("user_id", "platform_id", "resource_link_id"),)

    platform_id: Mapped[int] = link("platform")
    course_id: Mapped[int | None] = link("course")
    resource_link_id: Mapped[str] = mapped_column(String(255))
    module_slug: Mapped[str | None] = content_slug()
    lineitems_url: Mapped[str | None] = mapped_column(String(1000))
    lineitem_url: Mapped[str | None] = mapped_column(String(1000))
    scopes: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = timestamp(now=True)


declare(yours("grade_endpoints", AgsEndpoint, title=N_("Where your grades go"),
              description=N_("The gradebook addresses your LMS gave with your launches, to send "
                             "your scores to.")))


class AgsLineItem(db.Model):  # type: ignore[name-defined]
    """Line items we found or created in a line-item container, so each score post need
    not page through the course's gradebook again."""

    __tablename__ = "ags_line_item"
    __table_args__ = (UniqueConstraint("platform_id", "lineitems_url", "resource_id"),)

    id: Mapped[int] = row_id()
    platform_id: Mapped[int] = link("platform")
    lineitems_url: Mapped[str] = mapped_column(String(1000))
    resource_id: Mapped[str] = content_slug()
    lineitem_url: Mapped[str] = mapped_column(String(1000))
