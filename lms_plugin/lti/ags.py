"""Assignment and Grade Services: which line items a score goes to (at submit time, into
the outbox) and sending it (in the worker), on pylti1p3's AGS client."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

import requests
from pylti1p3.assignments_grades import AssignmentsGradesService
from pylti1p3.exception import LtiException, LtiServiceException
from pylti1p3.grade import Grade
from pylti1p3.lineitem import LineItem
from pylti1p3.service_connector import ServiceConnector
from sqlalchemy import ColumnElement, select

from ..extensions import db
from ..i18n import N_
from ..jobs.models import OutboxMessage
from ..jobs.outbox import enqueue
from ..personal_data import DELETE, Item, Person, declare
from ..store import get_store
from ..users.models import User
from .models import AgsEndpoint, AgsLineItem, Platform
from .outbound import OutboundSession
from .tool_config import registration_for

SCORE = "https://purl.imsglobal.org/spec/lti-ags/scope/score"
LINEITEM = "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem"
LINEITEM_TAG = "lms-plugin-quiz"
SCORE_KIND = "ags.score"


def score_progress(passed: bool, tries_left: int | None) -> tuple[str, str]:
    """(activityProgress, gradingProgress) for a graded quiz try. Pure.

    The AGS score service (LTI AGS 2.0, Score publish service) defines activityProgress as
    Initialized, Started, InProgress, Submitted or Completed: `Submitted` is "submitted at
    least once but the user is still able to make further submissions", `Completed` is
    "the user has completed the activity". So a try that did not pass, with tries left, is
    `Submitted`; only a pass, or the last try used, is `Completed`. The score itself is
    final either way, so gradingProgress is `FullyGraded` (platforms may ignore a score
    with any other value)."""
    done = passed or tries_left == 0
    return ("Completed" if done else "Submitted", "FullyGraded")


def enqueue_score(
    user: User,
    module_slug: str,
    label: str,
    score_given: float,
    timestamp: datetime,
    comment: str | None = None,
    activity_progress: str = "Completed",
) -> int:
    """Write one outbox row per line item this score belongs in; return how many.

    A link made for this module (deep linking, with its own line item) gets it there; any
    course the person launched from with a line-item container gets it in a line item
    for this module, found or created by resourceId."""
    endpoints = list(db.session.scalars(select(AgsEndpoint).where(AgsEndpoint.user_id == user.id)))
    score = {
        "userId": user.sub,
        "scoreGiven": round(float(score_given), 2),
        "scoreMaximum": 100,
        "activityProgress": activity_progress,
        "gradingProgress": "FullyGraded",
        "timestamp": timestamp.isoformat(),
    }
    if comment:
        score["comment"] = comment
    targets: dict[tuple[int, str], dict[str, Any]] = {}
    covered_courses: set[tuple[int, int | None]] = set()
    for ep in endpoints:
        if SCORE in ep.scopes.split() and ep.lineitem_url and ep.module_slug == module_slug:
            targets[(ep.platform_id, ep.lineitem_url)] = {
                "platform_id": ep.platform_id,
                "ags": {"scope": ep.scopes.split(), "lineitem": ep.lineitem_url},
            }
            covered_courses.add((ep.platform_id, ep.course_id))
    for ep in endpoints:
        scopes = ep.scopes.split()
        if not (SCORE in scopes and LINEITEM in scopes and ep.lineitems_url):
            continue
        if (ep.platform_id, ep.course_id) in covered_courses:
            continue
        targets.setdefault((ep.platform_id, ep.lineitems_url), {
            "platform_id": ep.platform_id,
            "ags": {"scope": scopes, "lineitems": ep.lineitems_url},
            "lineitem": {"resourceId": module_slug, "label": label, "scoreMaximum": 100,
                         "tag": LINEITEM_TAG},
        })
    for target in targets.values():
        enqueue(SCORE_KIND, {**target, "score": score})
    return len(targets)


def _scores_for(person: Person) -> ColumnElement[bool]:
    """Scores waiting for (or sent to) the person's LMS: `enqueue_score`'s payload names
    them by their LMS id (`userId`) on one of their issuer's registrations."""
    needle = '"userId": ' + json.dumps(person.sub)
    platforms = set(db.session.scalars(select(Platform.id).where(
        Platform.issuer == person.issuer)))
    ids = [
        message_id for message_id, payload in db.session.execute(
            select(OutboxMessage.id, OutboxMessage.payload_json).where(
                OutboxMessage.kind == SCORE_KIND,
                OutboxMessage.payload_json.contains(needle, autoescape=True)))
        if _names(payload, person.sub, platforms)
    ]
    return OutboxMessage.id.in_(ids)


def _names(payload: str, sub: str, platforms: set[int]) -> bool:
    try:
        data = json.loads(payload)
        return bool(data["score"]["userId"] == sub and data["platform_id"] in platforms)
    except (ValueError, KeyError, TypeError):
        return False


declare(Item("grades_for_the_lms", OutboxMessage, title=N_("Scores sent to your LMS"),
             description=N_("Your quiz scores as sent (or waiting to be sent) to your LMS's "
                            "gradebook, with your LMS id."),
             links=(), where=_scores_for, erasure=DELETE,
             on_erasure=N_("Removed; a score not yet sent to your LMS is then not sent.")))


class StoreServiceConnector(ServiceConnector):
    """Access tokens cached in the shared store until they expire, for every process."""

    def _key(self, scope_key: str) -> str:
        return "ags-token:" + hashlib.sha256(
            f"{self._registration.get_client_id()}|{scope_key}".encode()
        ).hexdigest()

    def _get_cached_access_token(self, scope_key: str) -> str | None:
        value = get_store().get(self._key(scope_key))
        return value if isinstance(value, str) else None

    def _cache_access_token(self, scope_key: str, access_token: str, expires_in: float) -> None:
        ttl = int(expires_in or 0) - 60  # a minute's margin
        if ttl > 0:
            get_store().set(self._key(scope_key), access_token, ttl)

    def forget_tokens(self, scopes: list[str]) -> None:
        get_store().delete(self._key(self._scope_key(sorted(scopes))))


class DeliveryError(Exception):
    pass


def deliver_score(payload: dict[str, Any]) -> None:
    platform = db.session.get(Platform, payload["platform_id"])
    if platform is None:
        raise DeliveryError("the platform registration no longer exists")
    session = OutboundSession()
    connector = StoreServiceConnector(registration_for(platform), session)
    ags = AssignmentsGradesService(connector, payload["ags"])
    s = payload["score"]
    grade = (
        Grade()
        .set_score_given(s["scoreGiven"])
        .set_score_maximum(s["scoreMaximum"])
        .set_timestamp(s["timestamp"])
        .set_activity_progress(s["activityProgress"])
        .set_grading_progress(s["gradingProgress"])
        .set_user_id(s["userId"])
    )
    if s.get("comment"):
        grade.set_comment(s["comment"])
    try:
        lineitem = _line_item(ags, platform, payload) if "lineitem" in payload else None
        ags.put_grade(grade, lineitem)
    except LtiServiceException as exc:
        response = getattr(exc, "response", None)
        status = getattr(response, "status_code", None)
        if _superseded(status, getattr(response, "text", "") or ""):
            return  # the LMS already holds a newer score for this person: nothing to send
        if status == 401:
            connector.forget_tokens(payload["ags"]["scope"])
        raise DeliveryError(f"the LMS answered {status or 'an error'}: {exc}") from exc
    except (LtiException, requests.RequestException) as exc:
        raise DeliveryError(f"{exc.__class__.__name__}: {exc}") from exc


def _superseded(status: int | None, body: str) -> bool:
    """The LMS refused a score because it holds a newer one: Moodle answers 409 when the
    timestamp is not newer than the stored grade's (gradebookservices scores resource);
    Canvas answers 400 "Provided timestamp of ... before last updated timestamp of ..."
    (Lti::IMS::ScoresController). Retrying either would never succeed."""
    if status == 409:
        return True
    return status == 400 and "before last updated timestamp" in body


def _line_item(ags: AssignmentsGradesService, platform: Platform, payload: dict[str, Any]
               ) -> LineItem:
    container = payload["ags"]["lineitems"]
    spec = payload["lineitem"]
    cached = db.session.scalars(
        select(AgsLineItem).where(
            AgsLineItem.platform_id == platform.id,
            AgsLineItem.lineitems_url == container,
            AgsLineItem.resource_id == spec["resourceId"],
        )
    ).first()
    if cached is not None:
        return LineItem({"id": cached.lineitem_url})
    found = ags.find_or_create_lineitem(
        LineItem()
        .set_resource_id(spec["resourceId"])
        .set_label(spec["label"])
        .set_score_maximum(spec["scoreMaximum"])
        .set_tag(spec["tag"]),
        condition=lambda li: li.get("resourceId") == spec["resourceId"]
        and li.get("tag") == spec["tag"],
    )
    if not found.get_id():
        raise DeliveryError("the LMS created a line item without an id")
    db.session.add(AgsLineItem(platform_id=platform.id, lineitems_url=container,
                               resource_id=spec["resourceId"], lineitem_url=found.get_id()))
    db.session.commit()
    return found
