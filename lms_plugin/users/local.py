"""Local admin accounts for L&D admins who do not come through the LMS: scrypt password
hashes (werkzeug), lockout after repeated failures, a fresh session on every login."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from flask_babel import gettext
from werkzeug.security import check_password_hash, generate_password_hash

from ..extensions import db
from .models import ADMIN, Course, Enrollment, LocalCredential, Organisation, User

# Local accounts are not people of any LMS: their own issuer keeps them apart.
LOCAL_ISSUER = "local"
MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=15)
MIN_LENGTH = 12


# Checked when the email is unknown, so timing does not tell which emails exist: a hash
# made once (werkzeug's scrypt, the parameters every admin's hash has; a test keeps them
# equal), written here rather than made at import (0.1 s on every command and process
# start) or on first use (the first unknown email would then answer slower than a known).
DUMMY_HASH = ("scrypt:32768:8:1$2Zc7vI3ZgtA3sdM6$e6a67bad88ec88ba7dfcd4c291ddd5cfd5c4cffe1ceb"
              "f053677131005c4ed5409b23ff67dd993c0db7a64a0b1d47d7b9e422a151b807d29d17fd0bc1"
              "23467ef4")


class LocalLoginError(Exception):
    pass




def create_local_admin(organisation: Organisation, email: str, name: str, password: str,
                       operator: bool = False) -> User:
    email = email.strip().lower()
    if "@" not in email:
        raise LocalLoginError(gettext("Give the admin's email address."))
    if len(password) < MIN_LENGTH:
        raise LocalLoginError(gettext("Use a password of at least %(count)s characters.",
                                      count=MIN_LENGTH))
    if db.session.query(LocalCredential).filter_by(email=email).first() is not None:
        raise LocalLoginError(gettext("There is already a local admin with that email."))
    user = User(organisation_id=organisation.id, issuer=LOCAL_ISSUER, sub=f"local:{email}",
                name=name.strip() or email, email=email)
    db.session.add(user)
    db.session.flush()
    course = db.session.query(Course).filter_by(
        organisation_id=organisation.id, issuer=LOCAL_ISSUER, context_id="local-admins").first()
    if course is None:
        course = Course(organisation_id=organisation.id, issuer=LOCAL_ISSUER,
                        context_id="local-admins", title="Local admins")
        db.session.add(course)
        db.session.flush()
    db.session.add(Enrollment(user_id=user.id, course_id=course.id, roles=ADMIN))
    db.session.add(LocalCredential(user_id=user.id, email=email, failed_attempts=0,
                                   is_operator=operator,
                                   password_hash=generate_password_hash(password,
                                                                        method="scrypt")))
    db.session.flush()
    return user


@dataclass(frozen=True)
class LoginResult:
    user: User | None
    message: str
    credential: LocalCredential | None = None


def check_login(email: str, password: str, now: datetime | None = None) -> LoginResult:
    """The user on success; otherwise a message that does not say whether the email exists
    (except that a locked account says it is locked, which is what the owner needs)."""
    now = now or datetime.now(UTC)
    credential = db.session.query(LocalCredential).filter_by(
        email=email.strip().lower()).first()
    if credential is None:
        check_password_hash(DUMMY_HASH, password)
        return LoginResult(None, gettext("The email or password is not right."))
    locked = credential.locked_until
    if locked is not None:
        locked = locked if locked.tzinfo else locked.replace(tzinfo=UTC)
        if locked > now:
            return LoginResult(None, gettext(
                "Too many wrong passwords: this account is locked until %(time)s UTC. Try "
                "again then.", time=locked.strftime("%H:%M")))
    if not check_password_hash(credential.password_hash, password):
        credential.failed_attempts += 1
        if credential.failed_attempts >= MAX_FAILURES:
            credential.locked_until = now + LOCKOUT
            credential.failed_attempts = 0
        db.session.flush()
        return LoginResult(None, gettext("The email or password is not right."))
    credential.failed_attempts, credential.locked_until = 0, None
    credential.last_login_at = now
    db.session.flush()
    return LoginResult(credential.user, "", credential)
