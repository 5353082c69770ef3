"""What e-mail was decided (one row per event: the dedupe key) and who turned which kind
of e-mail off."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..columns import PersonRecord, timestamp
from ..extensions import db
from ..i18n import N_
from ..personal_data import declare, yours


class Notification(PersonRecord, db.Model):  # type: ignore[name-defined]
    """One e-mail about one event to one person. `dedupe_key` is unique: however often an
    event is signalled or a worker retries, one row, hence one e-mail. `context_json`
    holds only what the template needs (a programme title, a verification link, a
    supervisor's reason): never a score, a reflection or anything about health.
    `to_address` is set only when the address must outlive the person's record (erasure
    done) and is cleared once the e-mail is sent."""

    __tablename__ = "notification"

    topic: Mapped[str] = mapped_column(String(40))
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)
    context_json: Mapped[str] = mapped_column(Text, default="{}")
    to_address: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = timestamp(now=True)
    sent_at: Mapped[datetime | None] = timestamp()
    # Why it was not sent: "opted out", "no address" (then sent_at stays empty).
    skipped: Mapped[str | None] = mapped_column(String(40))

    @property
    def context(self) -> dict[str, Any]:
        return json.loads(self.context_json or "{}")


declare(yours("emails", Notification, title=N_("E-mails to you"),
              description=N_("Each e-mail the tool sent you or has waiting (what it was about, "
                             "when), with what it said: a programme, a certificate code, a "
                             "supervisor's reason. Never your answers, scores or reflections."),
              on_erasure=N_("Removed; an e-mail not yet sent is then not sent. One last e-mail "
                            "tells you the erasure is done; your address is kept only until it is "
                            "sent.")))


class NotificationOptOut(PersonRecord, db.Model):  # type: ignore[name-defined]
    """A person turned off one kind of non-essential e-mail."""

    __tablename__ = "notification_opt_out"
    __table_args__ = (UniqueConstraint("user_id", "topic"),)

    topic: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = timestamp(now=True)


declare(yours("email_settings", NotificationOptOut, title=N_("E-mails you turned off"),
              description=N_("The kinds of e-mail you chose not to receive.")))
