"""Progress through lessons and the completion of modules."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..columns import PersonRecord, content_slug, content_version, link, row_id, timestamp
from ..extensions import db
from ..i18n import N_
from ..personal_data import declare, yours


class LessonProgress(PersonRecord, db.Model):  # type: ignore[name-defined]
    """A lesson marked complete. Keyed by the lesson's stable id, so editing the text does
    not lose anyone's progress; the module version it was completed under is kept."""

    __tablename__ = "lesson_progress"
    __table_args__ = (UniqueConstraint("user_id", "lesson_id"),)

    module_slug: Mapped[str] = content_slug()
    lesson_id: Mapped[str] = content_slug()
    module_version: Mapped[str] = content_version()
    completed_at: Mapped[datetime] = timestamp(now=True)


declare(yours("lessons_completed", LessonProgress, title=N_("Lessons you completed"),
              description=N_("Each lesson you marked complete, when, and the version of the "
                             "module.")))


class ModuleCompletion(PersonRecord, db.Model):  # type: ignore[name-defined]
    """Recorded once, when the module's rule was first met, with the versions it was met
    under. Never rewritten by later content edits."""

    __tablename__ = "module_completion"
    __table_args__ = (UniqueConstraint("user_id", "module_slug"),)

    module_slug: Mapped[str] = content_slug()
    module_version: Mapped[str] = content_version()
    quiz_version: Mapped[str | None] = content_version()
    quiz_score: Mapped[float | None] = mapped_column(Numeric(5, 2))
    completed_at: Mapped[datetime] = timestamp(now=True)


declare(yours("modules_completed", ModuleCompletion, title=N_("Modules you completed"),
              description=N_("Each module you completed, when, and your best quiz score then.")))


class LearnerModule(db.Model):  # type: ignore[name-defined]
    """Where a person is with a module, kept up to date as they go (first activity, then
    completion), so reports count rows instead of searching every lesson and attempt."""

    __tablename__ = "learner_module"
    __table_args__ = (UniqueConstraint("user_id", "module_slug"),
                      Index("ix_learner_module_module", "module_slug", "completed_at"))

    id: Mapped[int] = row_id()
    user_id: Mapped[int] = link("user")
    module_slug: Mapped[str] = content_slug()
    started_at: Mapped[datetime] = timestamp(now=True)
    completed_at: Mapped[datetime | None] = timestamp()


declare(yours("module_progress", LearnerModule, title=N_("Modules you started"),
              description=N_("When you started and completed each module (for reports' counts).")))


class LearnerProgress(db.Model):  # type: ignore[name-defined]
    """Per person: how many modules started and completed (counters kept with
    LearnerModule), for reports at the scale of a whole organisation."""

    __tablename__ = "learner_progress"

    user_id: Mapped[int] = link("user", primary_key=True)
    modules_started: Mapped[int] = mapped_column(Integer, default=0)
    modules_completed: Mapped[int] = mapped_column(Integer, default=0)


declare(yours("progress_counters", LearnerProgress, title=N_("Your progress counts"),
              description=N_("How many modules you have started and completed (for reports' "
                             "counts).")))
