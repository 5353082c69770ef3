"""What a launch tells us about grade passback."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from ..extensions import db
from ..users.models import Course, User
from .models import AgsEndpoint

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
AGS_CLAIM = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"


def record_ags_endpoint(
    user: User, platform_id: int, course: Course | None, claims: dict[str, Any]
) -> AgsEndpoint | None:
    """Keep the AGS claim of this person's latest launch from this resource link."""
    ags = claims.get(AGS_CLAIM)
    link = claims.get(CLAIM + "resource_link")
    if not isinstance(ags, dict) or not isinstance(link, dict) or not link.get("id"):
        return None
    raw_scopes = ags.get("scope")
    scopes: list[Any] = raw_scopes if isinstance(raw_scopes, list) else []
    custom = claims.get(CLAIM + "custom")
    module = custom.get("module") if isinstance(custom, dict) else None
    endpoint = db.session.scalars(
        select(AgsEndpoint).where(
            AgsEndpoint.user_id == user.id,
            AgsEndpoint.platform_id == platform_id,
            AgsEndpoint.resource_link_id == str(link["id"])[:255],
        )
    ).first()
    if endpoint is None:
        endpoint = AgsEndpoint(
            user_id=user.id, platform_id=platform_id, resource_link_id=str(link["id"])[:255]
        )
        db.session.add(endpoint)
    endpoint.course_id = course.id if course else None
    endpoint.module_slug = str(module)[:80] if isinstance(module, str) and module else None
    endpoint.lineitems_url = _url(ags.get("lineitems"))
    endpoint.lineitem_url = _url(ags.get("lineitem"))
    endpoint.scopes = " ".join(s for s in scopes if isinstance(s, str))
    endpoint.updated_at = datetime.now(UTC)
    db.session.flush()
    return endpoint


def _url(value: Any) -> str | None:
    return value[:1000] if isinstance(value, str) and value.startswith(("http://", "https://")) \
        else None
