"""The programme-evaluation survey: a few Likert items before and after the training.
Items are configuration (LMS_PLUGIN_SURVEY_FILE, YAML); the defaults are on. Answers are
stored without a link to the person and shown only aggregated and suppressed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import yaml
from flask import Flask
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import func, select

from ..extensions import db
from ..users.models import User
from .models import POST, PRE, SurveyCompletion, SurveyResponse
from .suppression import CountTable

SCALE = {1: "Strongly disagree", 2: "Disagree", 3: "Neither agree nor disagree", 4: "Agree",
         5: "Strongly agree"}


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$", max_length=80)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=300)]


class SurveyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    items: list[Item] = Field(min_length=1, max_length=12)


DEFAULT = SurveyConfig(items=[
    Item(id="comfort-talking", text="I feel comfortable talking about mental health at work."),
    Item(id="confidence-supporting",
         text="I feel confident I could support a colleague who is struggling."),
    Item(id="know-where-help", text="I know where to get help for myself or a colleague."),
    Item(id="need-to-hide", text="I feel I would need to hide a mental-health condition at work."),
])


def survey_config(app: Flask) -> SurveyConfig:
    cached = app.extensions.get("survey_config")
    if cached is None:
        cached = DEFAULT
        path = app.config.get("LMS_PLUGIN_SURVEY_FILE")
        if path:
            try:
                cached = SurveyConfig.model_validate(yaml.safe_load(Path(path).read_text()))
            except (OSError, ValueError, yaml.YAMLError) as exc:
                app.logger.error("survey file %s is not valid, using the defaults: %s",
                                 path, exc)
        app.extensions["survey_config"] = cached
    return cached


def answered(user: User, phase: str) -> bool:
    return db.session.scalar(select(SurveyCompletion.id).where(
        SurveyCompletion.user_id == user.id, SurveyCompletion.phase == phase)) is not None


def due_phase(user: User, modules_done: int, modules_total: int, started: bool) -> str | None:
    """Pre before any module is complete; post once every module is."""
    if modules_total and modules_done >= modules_total:
        return None if answered(user, POST) else POST
    if modules_done == 0 and not answered(user, PRE):
        return PRE
    return None


def record_answers(user: User, phase: str, answers: dict[str, int | None]) -> bool:
    """Store the answers unlinked from the person; record that they answered. False if they
    already had (a double submit records nothing more)."""
    if answered(user, phase):
        return False
    today = datetime.now(UTC).date()
    db.session.add(SurveyCompletion(user_id=user.id, phase=phase, on=today))
    db.session.flush()
    monday = today - timedelta(days=today.weekday())
    for item_id, value in answers.items():
        if value is not None:
            db.session.add(SurveyResponse(phase=phase, item_id=item_id, value=value,
                                          issuer=user.issuer, organisation_id=user.organisation_id,
                                          department=user.department,
                                          week=monday))
    db.session.flush()
    return True


@dataclass(frozen=True)
class SurveyTables:
    pre: CountTable
    post: CountTable


def survey_tables(organisation_id: int, items: list[Item], department: str | None = None
                  ) -> SurveyTables:
    def table(phase: str) -> CountTable:
        query = (select(SurveyResponse.item_id, SurveyResponse.value, func.count())
                 .where(SurveyResponse.organisation_id == organisation_id,
                        SurveyResponse.phase == phase)
                 .group_by(SurveyResponse.item_id, SurveyResponse.value))
        if department is not None:
            query = query.where(func.coalesce(SurveyResponse.department, "Not recorded")
                                == department)
        counts: dict[tuple[str, str], Any] = {
            (item, str(value)): int(n) for item, value, n in db.session.execute(query)}
        return CountTable(tuple(i.id for i in items), tuple(str(v) for v in SCALE), counts)

    return SurveyTables(table(PRE), table(POST))
