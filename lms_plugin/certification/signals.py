"""Events that travel up from certification: packages above (notifications) subscribe, so
certification never imports them. Each is sent inside the transaction that records the
event, after the row is flushed: a receiver's writes (an outbox row) commit with it or
not at all."""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the new Certificate (sender) and `renewal=` once it is issued (a programme's or
# the training certificate).
certificate_issued = _signals.signal("certificate-issued")
# Sent with the LoggedHours entry (sender) once a supervisor approved or rejected it.
hours_decided = _signals.signal("hours-decided")
# Sent with the Certificate (sender) once an admin revoked it.
certificate_revoked = _signals.signal("certificate-revoked")
# Sent with the Reminder (sender) once a renewal reminder came due and was recorded.
reminder_recorded = _signals.signal("reminder-recorded")
