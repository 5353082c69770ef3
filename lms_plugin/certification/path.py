"""Who is on the peer-supporter path of the training: someone enrolled in a programme.
Registered with training (`register_supporter_path`), which never imports certification."""

from __future__ import annotations

from sqlalchemy import select

from ..extensions import db
from ..users.models import User
from .models import ProgrammeEnrolment


def on_supporter_path(user: User) -> bool:
    return db.session.scalar(select(ProgrammeEnrolment.id).where(
        ProgrammeEnrolment.user_id == user.id).limit(1)) is not None
