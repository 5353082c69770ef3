"""Programme-evaluation survey storage, built so that nothing in the database ties an
answer to the person who gave it (issue 11, finding 13).

- Answers are never stored one row per person: `SurveyTally` holds how many people chose
  each value of each item, per organisation, phase and department. A submission updates
  every counter of its group (adding 0 to the values not chosen, in one statement), so
  which rows were written last, their physical order (PostgreSQL ctid, SQLite has no
  rowid here) and their transaction ids say nothing about which values were chosen. Rows
  are created all together for a group, with random ids, and carry no time at all.
- A department is counted apart only once at least LMS_PLUGIN_MIN_GROUP_SIZE of its
  people have answered that phase: until then its answers go to the organisation's
  unattributed counters (`UNATTRIBUTED`), so a department of one never holds one
  person's answers.
- `SurveyCompletion` records that someone answered (so they are not asked twice) with a
  random id and no date.

What someone reading the database can still learn, and why it is accepted:
- the counters are the answers of whoever has answered: while fewer than the minimum of
  an organisation have answered a phase, they are those few people's answers, and
  comparing two copies of the database taken either side of one person's answer (two
  nightly backups with one answer between them) shows that answer. Only holding answers
  back until several have arrived, somewhere the database does not keep, would prevent
  that; the tool does not.
- in PostgreSQL, completion rows sit in the order they were inserted (ctid), so the order
  people answered in can be read; the counters hold no order, so this links nobody's
  answers, except that a department's own counters start with the answers of whoever
  answered after the first LMS_PLUGIN_MIN_GROUP_SIZE - 1 of that department.
"""

from __future__ import annotations

import uuid

from sqlalchemy import Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..columns import content_slug, link
from ..extensions import db
from ..i18n import N_
from ..personal_data import declare, yours

PRE, POST = "pre", "post"
UNATTRIBUTED = ""  # SurveyTally.department for answers counted for no department


def random_id() -> str:
    return uuid.uuid4().hex


class SurveyTally(db.Model):  # type: ignore[name-defined]
    __tablename__ = "survey_tally"
    __table_args__ = (UniqueConstraint("organisation_id", "phase", "department", "item_id",
                                       "value"),
                      {"sqlite_with_rowid": False})

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    organisation_id: Mapped[int] = link("organisation")
    phase: Mapped[str] = mapped_column(String(10))  # pre | post
    department: Mapped[str] = mapped_column(String(120))  # or UNATTRIBUTED
    item_id: Mapped[str] = content_slug()
    value: Mapped[int] = mapped_column(Integer)  # 1..5 Likert
    people: Mapped[int] = mapped_column(Integer, default=0, server_default="0")


class SurveyCompletion(db.Model):  # type: ignore[name-defined]
    __tablename__ = "survey_completion"
    __table_args__ = (UniqueConstraint("user_id", "phase"), {"sqlite_with_rowid": False})

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    user_id: Mapped[int] = link("user")
    phase: Mapped[str] = mapped_column(String(10))


declare(yours("surveys_answered", SurveyCompletion, title=N_("Surveys you answered"),
              description=N_("That you answered the before or after survey (not when). Your "
                             "answers themselves are stored with no link to you, so nobody (you "
                             "included) can find them.")))
