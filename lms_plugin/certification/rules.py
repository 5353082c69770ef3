"""evaluate_programme: a pure function of (programme, evidence, now).

It says where a person stands (status), which requirement is met or not, with the numbers
("12.5 of 20 supervised practice hours approved"), and the dates that matter. It decides;
the services act (issue a certificate, send a reminder). No Flask, no database.
"""

from __future__ import annotations

import calendar
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, time, timedelta, timezone

from flask_babel import gettext, ngettext

from ..content.programme_schema import Programme
from ..i18n import N_

ENROLLED = "enrolled"
PROVISIONAL = "provisional"  # training done, supervised practice under way, deadline set
READY = "ready"  # every requirement met: a certificate is due now
CERTIFIED = "certified"
EXPIRING = "expiring"  # certified, inside the renewal window
IN_GRACE = "in_grace"  # expired, inside the grace period: renewal still possible
LAPSED = "lapsed"
REVOKED = "revoked"

FIRST_DAY_BEGINS = timezone(timedelta(hours=14))  # where a calendar day starts first

STATUS_LABELS = {  # translated where shown (N_)
    ENROLLED: N_("Enrolled"), PROVISIONAL: N_("Provisional"), READY: N_("Ready to certify"),
    CERTIFIED: N_("Certified"), EXPIRING: N_("Certified, renewal due"),
    IN_GRACE: N_("Expired, in grace"), LAPSED: N_("Lapsed"), REVOKED: N_("Revoked"),
}


@dataclass(frozen=True)
class HoursEntry:
    """Approved hours: practice or supervision (kind = activity), training or continuing
    education (kind = domain)."""

    kind: str
    hours: float
    on: datetime
    supervisor: str | None = None


@dataclass(frozen=True)
class ModuleResult:
    """A completed module: the best quiz score it was completed with (100 when it has no
    quiz), and when."""

    score: float
    completed_at: datetime


@dataclass(frozen=True)
class CertificateRecord:
    """A certificate issued in this programme. The latest decides the standing: certified,
    expiring, in grace or lapsed by its dates, revoked from `revoked_at` on."""

    issued_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class Observation:
    """A role-play a supervisor observed: `competent` when every rubric criterion was."""

    roleplay: str
    competent: bool
    on: datetime


@dataclass(frozen=True)
class Evidence:
    enrolled_at: datetime
    modules: Mapping[str, ModuleResult] = field(default_factory=dict)
    training: Sequence[HoursEntry] = ()
    practice: Sequence[HoursEntry] = ()
    attestations: frozenset[str] = frozenset()
    waivers: frozenset[str] = frozenset()
    continuing_education: Sequence[HoursEntry] = ()
    certificates: Sequence[CertificateRecord] = ()
    extensions: int = 0
    reenrolled_at: datetime | None = None  # enrolled afresh after a lapse
    observations: Sequence[Observation] = ()


@dataclass(frozen=True)
class Requirement:
    id: str
    label: str
    have: float
    need: float
    unit: str  # hours | percent | supervisors | signed | completed
    waived: bool = False

    @property
    def met(self) -> bool:
        return self.waived or self.have >= self.need

    @property
    def text(self) -> str:
        """In the request's language (gettext; English outside a request)."""
        label, have, need = self.label, _num(self.have), _num(self.need)
        if self.waived:
            return gettext("%(label)s: waived", label=label)
        if self.unit == "percent":
            return (gettext("%(label)s: best quiz score %(have)s%% of %(need)s%% needed",
                            label=label, have=have, need=need) if self.have else
                    gettext("%(label)s: not completed yet", label=label))
        if self.unit == "signed":
            return (gettext("%(label)s: signed", label=label) if self.met else
                    gettext("%(label)s: not signed yet", label=label))
        if self.unit == "roleplays":
            return gettext("%(label)s: %(have)s of %(need)s different role-plays marked "
                           "competent", label=label, have=have, need=need)
        if self.unit == "supervisors":  # "2 different supervisors", never "1 of 1 ..."
            text = (gettext("Practice approved by a supervisor") if self.need == 1 else
                    gettext("Practice approved by %(need)s different supervisors", need=need))
            return text if self.met else gettext("%(text)s: %(have)s so far", text=text,
                                                 have=have)
        return gettext("%(have)s of %(need)s %(label)s", have=have, need=need, label=label)


@dataclass(frozen=True)
class Evaluation:
    status: str
    requirements: tuple[Requirement, ...]
    renewal_requirements: tuple[Requirement, ...] = ()
    deadline: datetime | None = None  # to become certified (enrolled / provisional)
    expires_at: datetime | None = None
    renewal_opens_at: datetime | None = None
    grace_ends_at: datetime | None = None

    @property
    def eligible_to_certify(self) -> bool:
        return self.status == READY

    @property
    def eligible_to_renew(self) -> bool:
        return self.status in (EXPIRING, IN_GRACE) and all(
            r.met for r in self.renewal_requirements)

    @property
    def unmet(self) -> list[Requirement]:
        reqs = self.renewal_requirements if self.status in (EXPIRING, IN_GRACE) else \
            self.requirements
        return [r for r in reqs if not r.met]


def _num(value: float) -> str:
    return f"{value:g}"


def add_months(moment: datetime, months: int) -> datetime:
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    day = min(moment.day, calendar.monthrange(year, month)[1])
    return moment.replace(year=year, month=month, day=day)


def _sum(entries: Sequence[HoursEntry], kinds: set[str] | None, now: datetime,
         since: datetime | None = None) -> float:
    return round(sum(
        e.hours for e in entries
        if (kinds is None or e.kind in kinds) and e.on <= now and (since is None or e.on >= since)
    ), 2)


def _waived(programme: Programme, evidence: Evidence, requirement_id: str) -> bool:
    group = requirement_id.split(":", 1)[0]
    allowed = requirement_id in programme.waivable or group in programme.waivable
    return allowed and (requirement_id in evidence.waivers or group in evidence.waivers)


def module_label(slug: str, titles: Mapping[str, str] | None = None) -> str:
    """A module as people know it: its title ("“Listening well” module")."""
    title = (titles or {}).get(slug) or slug.replace("-", " ").capitalize()
    return gettext("“%(title)s” module", title=title)


def training_requirements(programme: Programme, evidence: Evidence, now: datetime,
                          titles: Mapping[str, str] | None = None) -> list[Requirement]:
    reqs = []
    for required in programme.required_modules:
        result = evidence.modules.get(required.module)
        rid = f"module:{required.module}"
        reqs.append(Requirement(
            rid, module_label(required.module, titles), result.score if result else 0.0,
            required.min_quiz_score, "percent", _waived(programme, evidence, rid)))
    hours = programme.training_hours
    if hours.total:
        reqs.append(Requirement(
            "training:total", gettext("training hours"), _sum(evidence.training, None, now),
            hours.total, "hours", _waived(programme, evidence, "training:total")))
    for domain, need in sorted(hours.domains.items()):
        rid = f"training:{domain}"
        reqs.append(Requirement(
            rid, gettext("training hours in %(domain)s", domain=domain.replace("-", " ")),
            _sum(evidence.training, {domain}, now), need, "hours",
            _waived(programme, evidence, rid)))
    for attestation in programme.attestations:
        rid = f"attestation:{attestation.id}"
        reqs.append(Requirement(
            rid, attestation.title, 1.0 if attestation.id in evidence.attestations else 0.0,
            1.0, "signed"))
    return reqs


def practice_requirements(programme: Programme, evidence: Evidence, now: datetime
                          ) -> list[Requirement]:
    practice = programme.practice
    counted = [e for e in evidence.practice if e.kind in practice.counts and e.on <= now]
    reqs = []
    if practice.supervised_hours:
        reqs.append(Requirement(
            "practice:supervised", gettext("supervised practice hours approved"),
            _sum(counted, None, now), practice.supervised_hours, "hours",
            _waived(programme, evidence, "practice:supervised")))
    if practice.supervision_hours:
        reqs.append(Requirement(
            "practice:supervision", gettext("hours of supervision approved"),
            _sum(evidence.practice, set(practice.supervision_kinds), now),
            practice.supervision_hours, "hours",
            _waived(programme, evidence, "practice:supervision")))
    if practice.distinct_supervisors:
        supervisors = {e.supervisor for e in counted if e.supervisor}
        reqs.append(Requirement(
            "practice:supervisors", gettext("different supervisors"),
            float(len(supervisors)), float(practice.distinct_supervisors), "supervisors",
            _waived(programme, evidence, "practice:supervisors")))
    return reqs


def observed_requirements(programme: Programme, evidence: Evidence, now: datetime
                          ) -> list[Requirement]:
    """The observed skills check: so many different role-plays of the programme's list
    marked competent on every criterion by a supervisor. A "not yet" never cancels an
    earlier pass; trying the same script again until it is competent is the point."""
    observed = programme.observed_practice
    if observed is None:
        return []
    passed = {o.roleplay for o in evidence.observations
              if o.competent and o.on <= now and o.roleplay in observed.roleplays}
    return [Requirement(
        "observed:roleplays", gettext("Observed skills check"), float(len(passed)),
        float(observed.competent_roleplays), "roleplays",
        _waived(programme, evidence, "observed:roleplays"))]


def renewal_requirements(programme: Programme, evidence: Evidence, period_start: datetime,
                         now: datetime) -> list[Requirement]:
    """Continuing education counted only inside the current certificate's period: hours
    from an earlier period never carry over."""
    renewal = programme.renewal
    ce = evidence.continuing_education
    reqs = []
    if renewal.hours:
        reqs.append(Requirement("renewal:total",
                                gettext("continuing education hours this period"),
                                _sum(ce, None, now, period_start), renewal.hours, "hours"))
    for domain, need in sorted(renewal.sub_minimums.items()):
        reqs.append(Requirement(
            f"renewal:{domain}", gettext("continuing education hours in %(domain)s",
                                         domain=domain.replace("-", " ")),
            _sum(ce, {domain}, now, period_start), need, "hours"))
    return reqs


def counted_evidence(programme: Programme, evidence: Evidence) -> Evidence:
    """The evidence that counts in the person's present cycle. After a re-enrolment the
    programme's `reenrolment` rule decides: approved hours count only from the day
    `hours_within_days` before the day of re-enrolling; modules, attestations and
    waivers carry over; earlier certificates are history (they no longer decide the
    status), and the deadline runs from re-enrolling (whose service counts extensions
    afresh)."""
    since = evidence.reenrolled_at
    if since is None:
        return evidence
    # Hours are logged by calendar day: every entry dated on the first counted day, in any
    # time zone, counts (its moment is never before that day began at UTC+14).
    first_day = (since - timedelta(days=programme.reenrolment.hours_within_days)).date()
    hours_from = datetime.combine(first_day, time(0), FIRST_DAY_BEGINS)

    def recent(entries: Sequence[HoursEntry]) -> tuple[HoursEntry, ...]:
        return tuple(e for e in entries if e.on >= hours_from)

    return replace(
        evidence, training=recent(evidence.training), practice=recent(evidence.practice),
        continuing_education=recent(evidence.continuing_education),
        certificates=tuple(c for c in evidence.certificates if c.issued_at >= since))


def evaluate_programme(programme: Programme, evidence: Evidence, now: datetime,
                       titles: Mapping[str, str] | None = None) -> Evaluation:
    """`titles`: module titles by slug, for the requirements' wording only."""
    evidence = counted_evidence(programme, evidence)
    requirements = tuple(training_requirements(programme, evidence, now, titles)
                         + practice_requirements(programme, evidence, now)
                         + observed_requirements(programme, evidence, now))
    issued = [c for c in evidence.certificates if c.issued_at <= now]
    if issued:
        current = max(issued, key=lambda c: c.issued_at)
        renewal_opens = current.expires_at - timedelta(days=programme.renewal.window_days)
        grace_ends = current.expires_at + timedelta(days=programme.renewal.grace_days)
        renewal = tuple(renewal_requirements(programme, evidence, current.issued_at, now))
        dates = {"expires_at": current.expires_at, "renewal_opens_at": renewal_opens,
                 "grace_ends_at": grace_ends}
        if current.revoked_at is not None and current.revoked_at <= now:
            status = REVOKED
        elif now < renewal_opens:
            status = CERTIFIED
        elif now < current.expires_at:
            status = EXPIRING
        elif now < grace_ends:
            status = IN_GRACE
        else:
            status = LAPSED
        return Evaluation(status, requirements, renewal, **dates)

    extensions = min(evidence.extensions, programme.provisional.max_extensions)
    deadline = (evidence.reenrolled_at or evidence.enrolled_at) + timedelta(
        days=programme.provisional.deadline_days
        + extensions * programme.provisional.extension_days)
    # Provisional once the training itself is done; attestations may be signed any time.
    training_ids = {r.id for r in requirements if r.id.startswith(("module:", "training:"))}
    if all(r.met for r in requirements):
        status = READY
    elif now > deadline:
        status = LAPSED
    elif all(r.met for r in requirements if r.id in training_ids):
        status = PROVISIONAL
    else:
        status = ENROLLED
    return Evaluation(status, requirements, deadline=deadline)


def _hours(value: float) -> str:
    return ngettext("%(hours)s hour", "%(hours)s hours", 1 if value == 1 else 2,
                    hours=_num(value))


def _words(kinds: Sequence[str]) -> str:
    names = [k.replace("-", " ") for k in kinds]
    return names[0] if len(names) == 1 else gettext(
        "%(some)s or %(last)s", some=", ".join(names[:-1]), last=names[-1])


def describe_requirements(programme: Programme, titles: Mapping[str, str] | None = None
                          ) -> list[str]:
    """Every requirement in plain words, for someone deciding whether to enrol."""
    lines = [gettext("Complete the %(module)s and score at least %(score)s%% in its quiz",
                     module=module_label(r.module, titles), score=_num(r.min_quiz_score))
             for r in programme.required_modules]
    hours = programme.training_hours
    if hours.total:
        lines.append(gettext("%(hours)s of structured training", hours=_hours(hours.total)))
    for domain, need in sorted(hours.domains.items()):
        lines.append(gettext("including %(hours)s of training in %(domain)s",
                             hours=_hours(need), domain=domain.replace("-", " ")))
    practice = programme.practice
    if practice.supervised_hours:
        lines.append(gettext("%(hours)s of supervised practice (%(kinds)s), each entry "
                             "approved by your supervisor",
                             hours=_hours(practice.supervised_hours),
                             kinds=_words(practice.counts)))
    if practice.supervision_hours:
        lines.append(gettext("%(hours)s of supervision with your supervisor",
                             hours=_hours(practice.supervision_hours)))
    if practice.distinct_supervisors > 1:
        lines.append(gettext("Practice approved by %(need)s different supervisors",
                             need=practice.distinct_supervisors))
    observed = programme.observed_practice
    if observed is not None:
        lines.append(ngettext(
            "An observed skills check: %(num)d different role-play marked competent on "
            "every point of the rubric by your supervisor",
            "An observed skills check: %(num)d different role-plays marked competent on "
            "every point of the rubric by your supervisor", observed.competent_roleplays))
    lines += [gettext("Sign the “%(title)s” statement", title=a.title)
              for a in programme.attestations]
    lines.append(gettext("All within %(days)s days of enrolling",
                         days=programme.provisional.deadline_days))
    return lines


def next_expiry(programme: Programme, evaluation: Evaluation, now: datetime) -> datetime:
    """A new certificate runs `validity_months`; a renewal runs on from the old expiry, so
    renewing early loses nothing and renewing late gains nothing."""
    if evaluation.eligible_to_renew and evaluation.expires_at is not None:
        return add_months(evaluation.expires_at, programme.validity_months)
    return add_months(now, programme.validity_months)


def due_reminders(programme: Programme, expires_at: datetime, now: datetime) -> list[int]:
    """The reminder offsets (days before expiry) that have come due by now."""
    return [d for d in sorted(programme.reminder_days, reverse=True)
            if now >= expires_at - timedelta(days=d)]


def may_reenrol(evaluation: Evaluation) -> bool:
    """Lapsed (a certificate past its grace period, or the deadline to certify missed):
    the person may enrol afresh. A revoked certificate never (an admin decided that)."""
    return evaluation.status == LAPSED
