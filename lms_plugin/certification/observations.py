"""Observed role-plays: a supervisor marks a scripted role-play against its rubric; the
programme's observed skills check counts the scripts marked competent on every criterion
(rules.observed_requirements). Services: flush, never commit."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime

from flask_babel import gettext
from sqlalchemy import select

from ..audit import audit
from ..content.loader import RolePlayContent
from ..content.schema import RubricMark, observation_competent
from ..extensions import db
from ..users.models import User
from .models import RolePlayObservation
from .rules import Observation

MARKS: tuple[RubricMark, ...] = ("competent", "not_yet")


class ObservationError(ValueError):
    """A marking that cannot be recorded; the message says why, in plain words."""


def observations_of(user: User, slug: str) -> tuple[Observation, ...]:
    return tuple(
        Observation(o.roleplay_id, o.competent, _aware(o.observed_at))
        for o in db.session.scalars(select(RolePlayObservation).where(
            RolePlayObservation.user_id == user.id,
            RolePlayObservation.programme_slug == slug).order_by(RolePlayObservation.id)))


def history(user: User, slug: str) -> list[RolePlayObservation]:
    return list(db.session.scalars(select(RolePlayObservation).where(
        RolePlayObservation.user_id == user.id, RolePlayObservation.programme_slug == slug)
        .order_by(RolePlayObservation.observed_at.desc(), RolePlayObservation.id.desc())))


def parse_marks(content: RolePlayContent, form: Mapping[str, str]) -> dict[str, RubricMark]:
    """`mark-<criterion>` fields: each criterion marked competent or not yet, none left out."""
    marks: dict[str, RubricMark] = {}
    missing = []
    for criterion in content.document.rubric:
        value = form.get(f"mark-{criterion.id}", "")
        if value == "competent":
            marks[criterion.id] = "competent"
        elif value == "not_yet":
            marks[criterion.id] = "not_yet"
        else:
            missing.append(criterion.criterion)
    if missing:
        raise ObservationError(gettext(
            "Mark every point of the rubric, competent or not yet. Not marked: %(missing)s",
            missing="; ".join(missing)))
    return marks


def record_observation(trainee: User, supervisor: User, slug: str, content: RolePlayContent,
                       marks: dict[str, RubricMark]) -> RolePlayObservation:
    """Record a marking the caller has checked the supervisor may make."""
    observation = RolePlayObservation(
        user_id=trainee.id, programme_slug=slug, roleplay_id=content.slug,
        roleplay_version=content.version, supervisor_id=supervisor.id,
        marks_json=json.dumps(marks, sort_keys=True),
        competent=observation_competent(content.document.rubric, marks))
    db.session.add(observation)
    db.session.flush()
    audit("roleplay.observe", supervisor, trainee, observation, programme=slug,
          roleplay=content.slug, competent=observation.competent)
    return observation


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)
