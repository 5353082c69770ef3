"""The certification rules engine, every primitive, plus properties (hypothesis): adding
approved evidence never lowers a status, and time passing alone never certifies anyone."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from lms_plugin.certification.rules import (
    CERTIFIED,
    ENROLLED,
    EXPIRING,
    IN_GRACE,
    LAPSED,
    PROVISIONAL,
    READY,
    REVOKED,
    CertificateRecord,
    Evidence,
    HoursEntry,
    ModuleResult,
    Observation,
    add_months,
    due_reminders,
    evaluate_programme,
    next_expiry,
)
from lms_plugin.content.programme_schema import Programme

ROOT = Path(__file__).parents[3] / "certifications"
T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def load(name: str) -> Programme:
    return Programme.model_validate(yaml.safe_load((ROOT / f"{name}.yaml").read_text()))


PEER = load("peer-supporter")
SCHEME = load("certified-peer-specialist")
# Every module either shipped programme requires (the whole peer-supporter path).
ALL_MODULES = {r.module: ModuleResult(90, T0 + timedelta(days=3))
               for r in [*PEER.required_modules, *SCHEME.required_modules]}
OBSERVED = (Observation("first-conversation", True, T0 + timedelta(days=8)),
            Observation("asking-about-suicide", True, T0 + timedelta(days=9)))
SIGNED = frozenset({"code-of-conduct", "confidentiality-limits", "no-identifying-records"})


def practice(hours: float, kind: str = "peer-conversation", supervisor: str = "sup-1",
             day: int = 10) -> HoursEntry:
    return HoursEntry(kind, hours, T0 + timedelta(days=day), supervisor)


def complete(**changes) -> Evidence:
    evidence = Evidence(
        enrolled_at=T0, modules=ALL_MODULES, attestations=SIGNED,
        practice=(practice(20), practice(4, "supervision")), observations=OBSERVED,
    )
    return replace(evidence, **changes)


def at(days: float) -> datetime:
    return T0 + timedelta(days=days)


def test_new_enrolment_is_enrolled_with_a_deadline():
    result = evaluate_programme(PEER, Evidence(enrolled_at=T0), at(1))
    assert result.status == ENROLLED
    assert result.deadline == T0 + timedelta(days=180)
    assert not result.eligible_to_certify


def test_training_done_makes_provisional_and_says_what_is_left():
    evidence = Evidence(enrolled_at=T0, modules=ALL_MODULES, attestations=SIGNED,
                        practice=(practice(12.5),))
    result = evaluate_programme(PEER, evidence, at(20))
    assert result.status == PROVISIONAL
    texts = [r.text for r in result.unmet]
    assert "12.5 of 20 supervised practice hours approved" in texts
    assert "0 of 4 hours of supervision approved" in texts


def test_module_score_below_minimum_is_not_met():
    modules = {**ALL_MODULES, "skills": ModuleResult(75, T0)}
    result = evaluate_programme(PEER, complete(modules=modules), at(20))
    assert result.status == ENROLLED
    [unmet] = result.unmet
    assert unmet.id == "module:skills"
    assert unmet.text == "“Skills” module: best quiz score 75% of 80% needed"


def test_every_requirement_met_is_ready():
    result = evaluate_programme(PEER, complete(), at(20))
    assert result.status == READY and result.eligible_to_certify and not result.unmet


def test_excluded_and_unknown_kinds_do_not_count():
    evidence = complete(practice=(practice(19), practice(10, "admin"), practice(5, "travel"),
                                  practice(4, "supervision")))
    result = evaluate_programme(PEER, evidence, at(20))
    assert result.status == PROVISIONAL
    assert [r.text for r in result.unmet] == ["19 of 20 supervised practice hours approved"]


def test_supervision_is_counted_apart_from_practice():
    evidence = complete(practice=(practice(24),))
    result = evaluate_programme(PEER, evidence, at(20))
    assert [r.id for r in result.unmet] == ["practice:supervision"]


def test_distinct_supervisors():
    one = complete(practice=(practice(250, supervisor="a"), practice(250, supervisor="a"),
                             practice(25, "supervision")))
    scheme_evidence = replace(one, attestations=frozenset({"code-of-ethics"}),
                              waivers=frozenset({"training"}))
    result = evaluate_programme(SCHEME, scheme_evidence, at(30))
    assert [r.text for r in result.unmet] == [
        "Practice approved by 2 different supervisors: 1 so far"]
    two = replace(scheme_evidence, practice=(practice(250, supervisor="a"),
                                             practice(250, supervisor="b"),
                                             practice(25, "supervision")))
    done = evaluate_programme(SCHEME, two, at(30))
    assert done.status == READY
    assert "Practice approved by 2 different supervisors" in [r.text for r in done.requirements]


def test_modules_are_named_by_their_titles():
    result = evaluate_programme(PEER, complete(modules={}), at(20),
                                {"skills": "Skills for listening"})
    texts = [r.text for r in result.unmet]
    assert any(t.startswith("“Skills for listening” module") for t in texts)
    assert not any(t.startswith("Module ") for t in texts)


def test_training_hours_by_domain_for_the_external_scheme():
    training = (HoursEntry("advocacy", 10, at(1)), HoursEntry("mentoring-and-education", 10,
                at(1)), HoursEntry("recovery-and-wellness", 10, at(1)),
                HoursEntry("ethical-responsibility", 12, at(1)))
    evidence = Evidence(enrolled_at=T0, modules=ALL_MODULES, training=training,
                        attestations=frozenset({"code-of-ethics"}))
    result = evaluate_programme(SCHEME, evidence, at(5))
    unmet = [r.text for r in result.unmet if r.id.startswith("training")]
    assert unmet == ["42 of 46 training hours",
                     "12 of 16 training hours in ethical responsibility"]


def test_attestations_must_be_signed():
    result = evaluate_programme(PEER, complete(attestations=frozenset({"code-of-conduct"})),
                                at(20))
    assert {r.id for r in result.unmet} == {"attestation:confidentiality-limits",
                                            "attestation:no-identifying-records"}
    assert result.unmet[0].text.endswith("not signed yet")


def test_waivers_only_where_the_programme_allows():
    modules = {m: r for m, r in ALL_MODULES.items() if m != "awareness"}
    waived = complete(modules=modules, waivers=frozenset({"module:awareness"}))
    assert evaluate_programme(PEER, waived, at(20)).status == READY
    # Attestations are not waivable in the peer-supporter programme.
    not_waivable = complete(attestations=frozenset(),
                            waivers=frozenset({"attestation:code-of-conduct", "attestation"}))
    assert evaluate_programme(PEER, not_waivable, at(20)).status == PROVISIONAL


def test_deadline_passes_and_one_extension_only():
    evidence = Evidence(enrolled_at=T0, modules=ALL_MODULES, attestations=SIGNED)
    assert evaluate_programme(PEER, evidence, at(181)).status == LAPSED
    extended = replace(evidence, extensions=1)
    assert evaluate_programme(PEER, extended, at(181)).status == PROVISIONAL
    assert evaluate_programme(PEER, extended, at(271)).status == LAPSED
    twice = replace(evidence, extensions=2)  # at most one counts
    assert evaluate_programme(PEER, twice, at(271)).status == LAPSED


def cert(issued_days: float, months: int = 24, revoked_days: float | None = None):
    issued = at(issued_days)
    return CertificateRecord(issued, add_months(issued, months),
                             at(revoked_days) if revoked_days is not None else None)


def test_certificate_lifecycle_certified_expiring_grace_lapsed():
    c = cert(30)
    evidence = complete(certificates=(c,))
    expires = c.expires_at
    assert evaluate_programme(PEER, evidence, at(31)).status == CERTIFIED
    assert evaluate_programme(PEER, evidence, expires - timedelta(days=89)).status == EXPIRING
    assert evaluate_programme(PEER, evidence, expires + timedelta(days=1)).status == IN_GRACE
    assert evaluate_programme(PEER, evidence, expires + timedelta(days=31)).status == LAPSED
    result = evaluate_programme(PEER, evidence, at(31))
    assert result.expires_at == expires and result.grace_ends_at == expires + timedelta(days=30)


def test_revoked_is_revoked_at_once():
    evidence = complete(certificates=(cert(30, revoked_days=40),))
    assert evaluate_programme(PEER, evidence, at(39)).status == CERTIFIED
    assert evaluate_programme(PEER, evidence, at(40)).status == REVOKED


def test_renewal_counts_only_this_period_and_needs_sub_minimums():
    c = cert(30)
    window = c.expires_at - timedelta(days=30)
    before_period = HoursEntry("self-care", 8, at(10))  # before the certificate: no carry-over
    ce = (before_period, HoursEntry("self-care", 1, at(100)),
          HoursEntry("boundaries-and-ethics", 1, at(200)), HoursEntry("listening", 5, at(300)))
    evidence = complete(certificates=(c,), continuing_education=ce)
    result = evaluate_programme(PEER, evidence, window)
    assert result.status == EXPIRING and not result.eligible_to_renew
    assert [r.text for r in result.unmet] == [
        "7 of 8 continuing education hours this period",
        "1 of 2 continuing education hours in boundaries and ethics",
    ]
    more = replace(evidence, continuing_education=(
        *ce, HoursEntry("boundaries-and-ethics", 1, window - timedelta(days=1))))
    renewed = evaluate_programme(PEER, more, window)
    assert renewed.eligible_to_renew
    # Renewal runs on from the old expiry date.
    assert next_expiry(PEER, renewed, window) == add_months(c.expires_at, 24)


def test_renewal_is_possible_in_grace_but_not_before_the_window():
    c = cert(30)
    ce = (HoursEntry("boundaries-and-ethics", 2, at(60)), HoursEntry("self-care", 6, at(60)))
    evidence = complete(certificates=(c,), continuing_education=ce)
    assert not evaluate_programme(PEER, evidence, at(90)).eligible_to_renew  # too early
    assert evaluate_programme(PEER, evidence,
                              c.expires_at + timedelta(days=10)).eligible_to_renew
    assert not evaluate_programme(PEER, evidence,
                                  c.expires_at + timedelta(days=40)).eligible_to_renew


def test_a_renewed_certificate_is_the_current_one():
    first = cert(30)
    second = CertificateRecord(first.expires_at - timedelta(days=20),
                               add_months(first.expires_at, 24))
    evidence = complete(certificates=(first, second))
    result = evaluate_programme(PEER, evidence, first.expires_at + timedelta(days=100))
    assert result.status == CERTIFIED and result.expires_at == second.expires_at


def test_reminders_come_due_at_their_offsets():
    expires = at(800)
    assert due_reminders(PEER, expires, expires - timedelta(days=91)) == []
    assert due_reminders(PEER, expires, expires - timedelta(days=30)) == [90, 30]
    assert due_reminders(PEER, expires, expires) == [90, 30, 7]


def test_add_months_clamps_to_month_end():
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 2, 28, tzinfo=UTC)
    assert add_months(datetime(2024, 2, 29, tzinfo=UTC), 24) == datetime(2026, 2, 28, tzinfo=UTC)


# --- properties ---------------------------------------------------------------------------

RANK = {LAPSED: 0, ENROLLED: 1, PROVISIONAL: 2, READY: 3}
kinds = st.sampled_from(["peer-conversation", "check-in", "supervision", "admin", "debrief",
                         "role-play"])
entries = st.builds(HoursEntry, kind=kinds, hours=st.floats(0, 30).map(lambda h: round(h, 1)),
                    on=st.integers(0, 400).map(at),
                    supervisor=st.sampled_from(["a", "b", None]))
modules = st.dictionaries(st.sampled_from(["awareness", "skills", "boundaries"]),
                          st.builds(ModuleResult, score=st.floats(0, 100),
                                    completed_at=st.just(at(2))))
evidences = st.builds(
    Evidence, enrolled_at=st.just(T0), modules=modules,
    practice=st.lists(entries, max_size=6).map(tuple),
    attestations=st.frozensets(st.sampled_from(sorted(SIGNED))),
    waivers=st.frozensets(st.sampled_from(["module", "practice", "module:skills"])),
    extensions=st.integers(0, 2),
)


@settings(max_examples=300, deadline=None)
@given(evidences, entries, st.integers(0, 500))
def test_adding_approved_evidence_never_lowers_the_status(evidence, extra, day):
    now = at(day)
    before = evaluate_programme(PEER, evidence, now).status
    more = replace(evidence, practice=(*evidence.practice, extra))
    after = evaluate_programme(PEER, more, now).status
    assert RANK[after] >= RANK[before]


@settings(max_examples=300, deadline=None)
@given(evidences, st.sampled_from(["awareness", "skills", "boundaries"]),
       st.floats(0, 100), st.integers(0, 500))
def test_a_better_module_result_never_lowers_the_status(evidence, module, score, day):
    now = at(day)
    before = evaluate_programme(PEER, evidence, now).status
    current = evidence.modules.get(module)
    best = max(score, current.score) if current else score
    more = replace(evidence, modules={**evidence.modules, module: ModuleResult(best, at(2))})
    assert RANK[evaluate_programme(PEER, more, now).status] >= RANK[before]


@settings(max_examples=300, deadline=None)
@given(evidences, st.integers(0, 500), st.integers(0, 2000))
def test_time_passing_alone_never_certifies(evidence, day, later):
    """From any day (before the deadline too), with only the evidence logged by then, later
    days never make a person ready. (It used to start at day 400, past every deadline, where
    nothing could make them ready: a test that could not fail.)"""
    now = at(day)
    evidence = replace(evidence, practice=tuple(e for e in evidence.practice if e.on <= now))
    first = evaluate_programme(PEER, evidence, now)
    second = evaluate_programme(PEER, evidence, at(day + later))
    if first.status != READY:
        assert second.status != READY
    assert not second.eligible_to_renew  # no certificate: nothing to renew


def test_requirements_in_plain_words_before_enrolment():
    from lms_plugin.certification.rules import describe_requirements

    lines = describe_requirements(SCHEME, {})
    assert any("different supervisors" in line for line in lines)
    assert lines[-1].startswith("All within ")
    assert not any(" of 0 " in line or line.startswith("Module ") for line in lines)
    listener = describe_requirements(PEER, {"skills": "Skills for listening"})
    assert any("“Skills for listening” module" in line for line in listener)
