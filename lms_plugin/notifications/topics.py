"""The kinds of e-mail the tool sends (pure data): each one's subject, whether a person
may turn it off, and how it is described on the preferences page.

Essential: what changes a person's standing or rights, which they must hear about even
if they turned everything else off: a certificate issued, revoked, expired or lapsed,
and their erasure request received and done. Non-essential (each may be turned off):
hours decided (the tool shows them too), renewal reminders (shown in the tool too) and a
supervisor's daily digest."""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import N_

CERTIFICATE_ISSUED = "certificate_issued"
CERTIFICATE_REVOKED = "certificate_revoked"
CERTIFICATE_EXPIRED = "certificate_expired"
CERTIFICATE_LAPSED = "certificate_lapsed"
HOURS_DECIDED = "hours_decided"
RENEWAL_REMINDER = "renewal_reminder"
SUPERVISOR_DIGEST = "supervisor_digest"
ERASURE_REQUESTED = "erasure_requested"
ERASURE_DONE = "erasure_done"


@dataclass(frozen=True)
class Topic:
    key: str
    subject: str  # translated when the e-mail is written (N_)
    essential: bool
    label: str  # on the preferences page, translated there (N_)


TOPICS: dict[str, Topic] = {t.key: t for t in (
    Topic(CERTIFICATE_ISSUED, N_("Your certificate has been issued"), True,
          N_("A certificate issued to you, with its verification link")),
    Topic(CERTIFICATE_REVOKED, N_("Your certificate has been revoked"), True,
          N_("A certificate of yours revoked")),
    Topic(CERTIFICATE_EXPIRED, N_("Your certificate has expired"), True,
          N_("A certificate of yours expired (renewal still open)")),
    Topic(CERTIFICATE_LAPSED, N_("Your certificate has lapsed"), True,
          N_("A certificate of yours lapsed (the renewal period ended)")),
    Topic(ERASURE_REQUESTED, N_("We have your request to erase your records"), True,
          N_("Your request to erase your records received")),
    Topic(ERASURE_DONE, N_("Your records have been erased"), True,
          N_("Your records erased")),
    Topic(HOURS_DECIDED, N_("Your supervisor decided on your logged hours"), False,
          N_("Logged hours approved or rejected by your supervisor")),
    Topic(RENEWAL_REMINDER, N_("Your certificate is due for renewal"), False,
          N_("Reminders before a certificate expires")),
    Topic(SUPERVISOR_DIGEST, N_("Logged hours waiting for your decision"), False,
          N_("A daily summary of logged hours waiting for your decision (supervisors)")),
)}

OPTIONAL = tuple(key for key, topic in TOPICS.items() if not topic.essential)


def may_opt_out(topic: str) -> bool:
    return topic in OPTIONAL
