"""Quiz attempts: the questions drawn, in the order shown, the answers given, the result,
and the quiz version it was all taken on."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    Index,
    Integer,
    Numeric,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..columns import PersonRecord, content_slug, content_version, link, row_id, timestamp
from ..extensions import db
from ..i18n import N_
from ..personal_data import declare, kept, yours


class QuizAttempt(db.Model):  # type: ignore[name-defined]
    __tablename__ = "quiz_attempt"
    __table_args__ = (Index("ix_quiz_attempt_user_quiz", "user_id", "quiz_slug"),)

    id: Mapped[int] = row_id()
    user_id: Mapped[int] = link("user")
    course_id: Mapped[int | None] = link("course", ondelete="SET NULL")
    quiz_slug: Mapped[str] = content_slug()
    quiz_version: Mapped[str] = content_version()
    # JSON: [{"id": question id, "options": [ids in display order], "parts": {part: [...]}}]
    layout_json: Mapped[str] = mapped_column(Text)
    # JSON: {question id: {question or part id: [chosen option ids]}}
    answers_json: Mapped[str] = mapped_column(Text, default="{}")
    started_at: Mapped[datetime] = timestamp(now=True)
    # A timed quiz: when the try ends. The server is the authority; None: untimed.
    deadline_at: Mapped[datetime | None] = timestamp()
    # JSON: [question ids flagged for review]
    flagged_json: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    submitted_at: Mapped[datetime | None] = timestamp()
    score: Mapped[float | None] = mapped_column(Numeric(5, 2))
    passed: Mapped[bool | None] = mapped_column(Boolean)

    @property
    def layout(self) -> list[dict[str, Any]]:
        return json.loads(self.layout_json)

    @property
    def answers(self) -> dict[str, dict[str, list[str]]]:
        return json.loads(self.answers_json or "{}")

    @property
    def flagged(self) -> list[str]:
        return json.loads(self.flagged_json or "[]")

    @property
    def is_submitted(self) -> bool:
        return self.submitted_at is not None


declare(yours("quiz_attempts", QuizAttempt, title=N_("Your quiz attempts"),
              description=N_("The questions you were given, the answers you chose and your score. "
                             "Answers are cleared after the retention period; scores stay.")))


class QuizAllowance(PersonRecord, db.Model):  # type: ignore[name-defined]
    """An L&D admin's grant to one person on one quiz: tries beyond the quiz's limit, and
    when the cool-down was last lifted. One row per person and quiz; each grant adds to
    it and is in the audit log with its reason."""

    __tablename__ = "quiz_allowance"
    __table_args__ = (UniqueConstraint("user_id", "quiz_slug"),)

    quiz_slug: Mapped[str] = content_slug()
    extra_attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cooldown_lifted_at: Mapped[datetime | None] = timestamp()
    granted_by_id: Mapped[int | None] = link("user", ondelete="SET NULL")
    reason: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = timestamp(now=True)


declare(yours("quiz_allowances", QuizAllowance, title=N_("Extra quiz tries given to you"),
              description=N_("Tries beyond a quiz's limit, or a wait lifted, that an L&D admin "
                             "gave you, and why.")),
        kept("quiz_allowances_you_granted", QuizAllowance, title=N_("Extra quiz tries you gave"),
             description=N_("Extra tries and lifted waits you gave others as an admin, with your "
                            "reason."),
             column="granted_by_id"))
