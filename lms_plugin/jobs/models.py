"""The outbox: facts to report to the LMS, written in the same transaction as the fact."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..columns import row_id, timestamp
from ..extensions import db


class OutboxMessage(db.Model):  # type: ignore[name-defined]
    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_message_due", "sent_at", "available_at"),)

    id: Mapped[int] = row_id()
    kind: Mapped[str] = mapped_column(String(40))
    payload_json: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = timestamp(now=True)
    available_at: Mapped[datetime] = timestamp(now=True)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    locked_by: Mapped[str | None] = mapped_column(String(100))
    locked_until: Mapped[datetime | None] = timestamp()
    sent_at: Mapped[datetime | None] = timestamp()

    @property
    def payload(self) -> dict[str, Any]:
        return json.loads(self.payload_json)
