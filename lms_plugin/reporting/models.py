"""Programme-evaluation survey storage. A response row carries no link to the person:
only the phase, the item, the answer, the cohort and the week. Whether someone has
answered is recorded apart (SurveyCompletion) so they are not asked twice, and the two
cannot be joined: neither holds an id or a timestamp finer than a day of the other."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..extensions import db

PRE, POST = "pre", "post"


class SurveyResponse(db.Model):  # type: ignore[name-defined]
    __tablename__ = "survey_response"
    __table_args__ = (Index("ix_survey_response_item", "phase", "item_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phase: Mapped[str] = mapped_column(String(10))  # pre | post
    item_id: Mapped[str] = mapped_column(String(80))
    value: Mapped[int] = mapped_column(Integer)  # 1..5 Likert
    issuer: Mapped[str] = mapped_column(String(500))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True)
    department: Mapped[str | None] = mapped_column(String(120))
    week: Mapped[date] = mapped_column(Date)  # the Monday of the week it was given


class SurveyCompletion(db.Model):  # type: ignore[name-defined]
    __tablename__ = "survey_completion"
    __table_args__ = (UniqueConstraint("user_id", "phase"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id", ondelete="CASCADE"))
    phase: Mapped[str] = mapped_column(String(10))
    on: Mapped[date] = mapped_column(Date)
