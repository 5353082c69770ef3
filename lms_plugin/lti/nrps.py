"""Roster sync through the Names and Role Provisioning Service: people who never launched
are counted (as not started) in reports. Enqueued at launch at most once per
`LMS_PLUGIN_ROSTER_SYNC_SECONDS` per course (or by an admin), run by the worker, following
`rel=next` pages one at a time so memory does not grow with the roster."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import requests
import sqlalchemy as sa
from flask import current_app
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.utils import add_param_to_url
from sqlalchemy import select, update

from ..extensions import db
from ..jobs.outbox import enqueue
from ..users.models import Course, Enrollment, User
from ..users.roles import map_roles
from .ags import DeliveryError, StoreServiceConnector
from .models import Platform
from .outbound import OutboundSession
from .tool_config import registration_for

ROSTER_KIND = "nrps.roster"
MAX_PAGES = 10_000
PAGE_SIZE = 100


def _sync_every() -> timedelta | None:
    """How often a launch may queue a course's roster sync (None: never)."""
    seconds = int(current_app.config.get("LMS_PLUGIN_ROSTER_SYNC_SECONDS", 86400))
    return timedelta(seconds=seconds) if seconds > 0 else None


def _due(last: datetime | None, now: datetime, every: timedelta) -> bool:
    if last is not None and last.tzinfo is None:
        last = last.replace(tzinfo=UTC)
    return last is None or now - last >= every


def request_roster_sync(course: Course, platform_id: int, force: bool = False) -> bool:
    """Queue a sync of this course's roster if it has an NRPS URL and was not synced
    recently. Flushes; the caller commits with whatever else it wrote."""
    every = _sync_every()
    if not course.memberships_url or (every is None and not force):
        return False  # no NRPS, or automatic sync switched off
    now = datetime.now(UTC)
    if not force and every is not None and not _due(course.roster_synced_at, now, every):
        return False
    course.roster_synced_at = now  # requested: a second launch does not queue it again
    enqueue(ROSTER_KIND, {"platform_id": platform_id, "course_id": course.id,
                          "url": course.memberships_url})
    return True


def request_roster_sync_at_launch(course_id: int, memberships_url: str | None,
                                  synced_at: datetime | None, platform_id: int) -> bool:
    """`request_roster_sync` for a launch, from the course as its upsert returned it: no
    query unless a sync is due, then one conditional UPDATE (of launches arriving
    together, only the one that marks the course queues the sync) and the outbox row."""
    every = _sync_every()
    if not memberships_url or every is None:
        return False
    now = datetime.now(UTC)
    if not _due(synced_at, now, every):
        return False
    table = Course.__table__
    marked = db.session.execute(
        update(table).where(table.c.id == course_id,
                            sa.or_(table.c.roster_synced_at.is_(None),
                                   table.c.roster_synced_at <= now - every))
        .values(roster_synced_at=now))
    if not marked.rowcount:  # type: ignore[attr-defined]
        return False
    enqueue(ROSTER_KIND, {"platform_id": platform_id, "course_id": course_id,
                          "url": memberships_url})
    return True


def sync_roster(payload: dict[str, Any]) -> None:
    platform = db.session.get(Platform, payload["platform_id"])
    course = db.session.get(Course, payload["course_id"])
    if platform is None or course is None:
        return  # the registration or course is gone: nothing to sync
    session = OutboundSession()
    service = NamesRolesProvisioningService(
        StoreServiceConnector(registration_for(platform), session),
        {"context_memberships_url": payload["url"]})
    seen: set[int] = set()
    # Ask for pages of a known size; the platform links each page to the next.
    url: str | None = add_param_to_url(payload["url"], "limit", PAGE_SIZE)
    pages = 0
    try:
        while url and pages < MAX_PAGES:
            data = service.get_nrps_data(url)
            body = data.get("body") or {}
            members = body.get("members", []) if isinstance(body, dict) else []
            seen |= _upsert_members(platform.issuer, course, members)
            db.session.commit()
            pages += 1
            # The spec's Link: rel="next" header; some platforms put it in the body.
            following = data.get("next_page_url") or (
                body.get("next") if isinstance(body, dict) else None)
            url = following if following != url else None
    except (LtiServiceException, LtiException, requests.RequestException) as exc:
        db.session.rollback()
        raise DeliveryError(f"roster sync failed: {exc}") from exc
    # People the platform no longer lists are inactive (kept: their history stays). An
    # empty roster is more likely a platform fault than an empty course: leave it.
    if seen:
        gone = [uid for uid in db.session.scalars(select(Enrollment.user_id).where(
            Enrollment.course_id == course.id, Enrollment.active.is_(True))) if uid not in seen]
        for start in range(0, len(gone), 500):
            db.session.execute(update(Enrollment).where(
                Enrollment.course_id == course.id,
                Enrollment.user_id.in_(gone[start:start + 500])).values(active=False))
    course.roster_synced_at = datetime.now(UTC)
    db.session.commit()


def _upsert_members(issuer: str, course: Course, members: list[Any]) -> set[int]:
    seen: set[int] = set()
    for member in members:
        if not isinstance(member, dict) or not isinstance(member.get("user_id"), str):
            continue
        sub = member["user_id"][:255]
        user = db.session.scalars(select(User).where(
            User.organisation_id == course.organisation_id, User.issuer == issuer,
            User.sub == sub)).first()
        if user is None:
            user = User(organisation_id=course.organisation_id, issuer=issuer, sub=sub)
            db.session.add(user)
        name = member.get("name")
        if isinstance(name, str) and name.strip() and not user.name:
            user.name = name[:255]
        email = member.get("email")
        if isinstance(email, str) and email.strip() and not user.email:
            user.email = email[:320]
        db.session.flush()
        enrollment = db.session.scalars(select(Enrollment).where(
            Enrollment.user_id == user.id, Enrollment.course_id == course.id)).first()
        raw = member.get("roles")
        roles: list[str] = [r for r in raw if isinstance(r, str)] if isinstance(raw, list) else []
        if enrollment is None:
            enrollment = Enrollment(user_id=user.id, course_id=course.id, source="roster",
                                    roles=" ".join(sorted(map_roles(roles))) or "learner")
            db.session.add(enrollment)
        elif enrollment.source == "roster":
            enrollment.roles = " ".join(sorted(map_roles(roles))) or enrollment.roles
        enrollment.active = member.get("status", "Active") == "Active"
        db.session.flush()
        seen.add(user.id)
    return seen
