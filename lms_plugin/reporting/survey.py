"""The programme-evaluation survey: a few Likert items before and after the training.
Items are configuration (LMS_PLUGIN_SURVEY_FILE, YAML); the defaults are on. Answers are
only counted, never stored per person (see `models` for how and what remains), and shown
only aggregated and suppressed."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any

import yaml
from flask import Flask, current_app
from pydantic import BaseModel, ConfigDict, Field, StringConstraints
from sqlalchemy import ColumnElement, and_, case, exists, func, literal, select, update
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..i18n import N_
from ..users.models import User
from .models import POST, PRE, UNATTRIBUTED, SurveyCompletion, SurveyTally
from .queries import DEPARTMENT, NO_DEPARTMENT
from .suppression import Box, Cube, build_cube

# The default words, in English in reports; the survey form shows them translated (N_).
SCALE = {1: N_("Strongly disagree"), 2: N_("Disagree"), 3: N_("Neither agree nor disagree"),
         4: N_("Agree"), 5: N_("Strongly agree")}


class Item(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    id: Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]+$", max_length=80)]
    text: Annotated[str, StringConstraints(min_length=1, max_length=300)]


class SurveyConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    items: list[Item] = Field(min_length=1, max_length=12)


DEFAULT = SurveyConfig(items=[
    Item(id="comfort-talking",
         text=N_("I feel comfortable talking about mental health at work.")),
    Item(id="confidence-supporting",
         text=N_("I feel confident I could support a colleague who is struggling.")),
    Item(id="know-where-help", text=N_("I know where to get help for myself or a colleague.")),
    Item(id="need-to-hide",
         text=N_("I feel I would need to hide a mental-health condition at work.")),
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


def answered(user: User, phase: str, known: Mapping[str, bool] | None = None) -> bool:
    """Whether the person answered this phase: from `known` (the progress facts read with
    their progress, `answered_fact`) when it says, else asked."""
    if known is not None and answered_key(phase) in known:
        return known[answered_key(phase)]
    return db.session.scalar(select(SurveyCompletion.id).where(
        SurveyCompletion.user_id == user.id, SurveyCompletion.phase == phase)) is not None


def answered_key(phase: str) -> str:
    return f"survey_answered_{phase}"


def answered_fact(phase: str) -> Callable[[ColumnElement[Any]], ColumnElement[bool]]:
    """Whether the person answered `phase`, as a condition on their id: a progress fact
    (training.register_progress_fact), read with their progress on the programme page."""
    return lambda person_id: exists().where(SurveyCompletion.user_id == person_id,
                                            SurveyCompletion.phase == phase)


def due_phase(user: User, modules_done: int, modules_total: int, started: bool,
              known: Mapping[str, bool] | None = None) -> str | None:
    """Pre before any module is complete; post once every module is."""
    if modules_total and modules_done >= modules_total:
        return None if answered(user, POST, known) else POST
    if modules_done == 0 and not answered(user, PRE, known):
        return PRE
    return None


def record_answers(user: User, phase: str, answers: dict[str, int | None],
                   min_group_size: int | None = None) -> bool:
    """Count the answers, unlinked from the person (see `models`); record that they
    answered. False if they already had (a double submit records nothing more)."""
    if answered(user, phase):
        return False
    db.session.add(SurveyCompletion(user_id=user.id, phase=phase))
    db.session.flush()
    if min_group_size is None:
        min_group_size = int(current_app.config.get("LMS_PLUGIN_MIN_GROUP_SIZE", 5))
    group = _tally_group(user, phase, min_group_size)
    items = [i.id for i in survey_config(current_app).items]
    items += [i for i in answers if i not in items]
    _ensure_counters(user.organisation_id, phase, group, items)
    chosen = [(item, value) for item, value in answers.items() if value is not None]
    added = case(*[(and_(SurveyTally.item_id == item, SurveyTally.value == value), 1)
                   for item, value in chosen], else_=0) if chosen else literal(0)
    # Every counter of the group, chosen or not, in one statement: see `models`.
    db.session.execute(
        update(SurveyTally).where(SurveyTally.organisation_id == user.organisation_id,
                                  SurveyTally.phase == phase, SurveyTally.department == group)
        .values(people=SurveyTally.people + added))
    return True


def _tally_group(user: User, phase: str, min_group_size: int) -> str:
    """The person's department, once at least the minimum of its people (this one
    included) have answered this phase; else the organisation's unattributed counters."""
    department = NO_DEPARTMENT if user.department is None else user.department
    respondents = db.session.scalar(
        select(func.count()).select_from(SurveyCompletion)
        .join(User, User.id == SurveyCompletion.user_id)
        .where(SurveyCompletion.phase == phase,
               User.organisation_id == user.organisation_id,
               func.coalesce(User.department, NO_DEPARTMENT) == department)) or 0
    return department if respondents >= min_group_size else UNATTRIBUTED


def _ensure_counters(organisation_id: int, phase: str, group: str, items: list[str]) -> None:
    """Every counter of the group, made together at zero the first time (so when a row
    was made says nothing about what anyone chose)."""
    for _attempt in range(3):
        have = {(item, value) for item, value in db.session.execute(
            select(SurveyTally.item_id, SurveyTally.value).where(
                SurveyTally.organisation_id == organisation_id, SurveyTally.phase == phase,
                SurveyTally.department == group))}
        missing = [(item, value) for item in items for value in SCALE
                   if (item, value) not in have]
        if not missing:
            return
        try:
            with db.session.begin_nested():
                db.session.add_all([SurveyTally(organisation_id=organisation_id, phase=phase,
                                                department=group, item_id=item,
                                                value=value, people=0)
                                    for item, value in missing])
            return
        except IntegrityError:
            continue  # some were made by a concurrent answer a moment ago: the rest now


def survey_counts(organisation_id: int, items: list[Item], phase: str) -> Cube:
    """How many chose each answer (department, item, value). The department is the
    counters' group: answers counted for no department (UNATTRIBUTED) count in every total
    and are never a table of their own."""
    query = (select(SurveyTally.department, SurveyTally.item_id, SurveyTally.value,
                    func.sum(SurveyTally.people))
             .where(SurveyTally.organisation_id == organisation_id, SurveyTally.phase == phase)
             .group_by(SurveyTally.department, SurveyTally.item_id, SurveyTally.value))
    ids = [i.id for i in items]
    counts: dict[Box, int] = {
        (department, item, str(value)): int(n or 0)
        for department, item, value, n in db.session.execute(query)
        if item in ids and value in SCALE}
    return build_cube((DEPARTMENT, "item", "value"), counts,
                      fixed={"item": ids, "value": [str(v) for v in SCALE]})
