"""Shared by the notification tests: a trainee who earns a certificate (hours approved and
rejected, an agreement signed) with e-mail addresses as an LMS would send them, the
worker run once, and reading what the SMTP sink received."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from lms_plugin.certification.attestations import sign_attestation
from lms_plugin.certification.hours import decide_hours, log_hours
from lms_plugin.certification.models import Certificate, LoggedHours
from lms_plugin.demo.mailbox import Received, Sink
from lms_plugin.extensions import db
from lms_plugin.jobs.worker import new_worker_id, run_once
from lms_plugin.users.models import User
from tests.support import factories

BASE = "https://training.example.org"
# Written into a reflection and a quiz score: no e-mail may ever carry them.
REFLECTION = "Reflection-marker: I felt shaken after the conversation"
SCORE = 87.25


def person(name: str, email: str | None, roles: str = "learner",
           issuer: str = factories.ISSUER) -> User:
    found = factories.user(name, roles=roles, issuer=issuer)
    found.email = email  # as record_launch stores it from the LMS's claims
    db.session.flush()
    return found


def ana_and_her_supervisor() -> tuple[User, User]:
    """A trainee enrolled in the sample programme and the mentor her LMS names, both with
    e-mail addresses."""
    trainee = person("Ana", "ana@example.org")
    supervisor = person("Sup", "sup@example.org", "mentor")
    factories.mentor_of(supervisor, trainee)
    factories.enrolled(trainee, "listener")
    return trainee, supervisor


@dataclass
class Trainee:
    trainee: User
    supervisor: User
    approved: list[LoggedHours]
    rejected: LoggedHours
    pending: LoggedHours
    certificate: Certificate


def log(trainee: User, supervisor: User, hours: str, kind: str = "peer-conversation",
        reflection: str | None = REFLECTION) -> LoggedHours:
    return log_hours(trainee, "listener", category="practice", kind=kind,
                     hours=Decimal(hours), activity_date=datetime.now(UTC) - timedelta(days=1),
                     supervisor=supervisor, reflection=reflection)


def certified_trainee(tag: str = "", issuer: str = factories.ISSUER) -> Trainee:
    """Hours approved (3 + 1), one rejected with a reason, one pending, the agreement
    signed: the sample programme issues the certificate. Commits."""
    trainee = person(f"Sam Okafor{tag}", f"sam{tag}@example.org", issuer=issuer)
    supervisor = person(f"Jordan Lee{tag}", f"jordan{tag}@example.org", "mentor", issuer)
    factories.mentor_of(supervisor, trainee)
    factories.completed(trainee, "listening", SCORE)
    factories.enrolled(trainee, "listener")
    approved = [log(trainee, supervisor, "3"), log(trainee, supervisor, "1", "supervision")]
    for entry in approved:
        decide_hours(entry, supervisor, True, "")
    rejected = log(trainee, supervisor, "1")
    decide_hours(rejected, supervisor, False, "Please say what kind of support it was")
    pending = log(trainee, supervisor, "2")
    certificate = sign_attestation(trainee, "listener", "code-of-conduct")
    assert certificate is not None
    db.session.commit()
    return Trainee(trainee, supervisor, approved, rejected, pending, certificate)


def deliver() -> int:
    """The worker, once: every due outbox message."""
    return run_once(new_worker_id())


def arrived(sink: Sink, count: int) -> list[Received]:
    """What the sink holds once `count` messages came (a short wait: SMTP is a socket).
    Fewer by the timeout fails: a test never waits out the timeout and passes anyway."""
    messages = sink.wait_for(count, timeout=10)
    assert len(messages) >= count, (count, sorted(m.subject for m in messages))
    return messages


def to(messages: list[Received], address: str) -> list[Received]:
    return [m for m in messages if address in m.recipients]


def everything(message: Received) -> str:
    """All a reader could see: headers, the text and the HTML."""
    return "\n".join([message.message.as_string(), message.text, message.html])
