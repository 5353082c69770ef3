"""A realistic demo organisation, so the L&D admin's reports show something: about 200
synthetic employees in 5 departments with a year of training activity (launches, lessons,
quiz attempts, module completions), a few dozen peer-supporter trainees at every stage of
the programme (hours pending, approved and rejected by supervisors; certified, expiring,
in grace, lapsed, revoked) and pre/post survey answers.

Deterministic (one seeded random generator; dates relative to now), idempotent (it runs
once per demo organisation: `seed_demo` does nothing when seeded people are already
there). Bulk inserts for the bulk of rows; certificates, revocation and survey answers
go through the real services, so certificates verify and survey answers are tallied
without names like any other. Only in demo mode: `lms-plugin demo seed`, or on
`./dev demo` start (LMS_PLUGIN_DEMO_SEED)."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from flask import current_app
from sqlalchemy import func, insert, select

from ..certification import clock as certification_clock
from ..certification.certificates import issue_certificate_if_due, revoke_certificate
from ..certification.models import (
    APPROVED,
    PENDING,
    PRACTICE,
    REJECTED,
    AttestationSignature,
    Certificate,
    LoggedHours,
    ProgrammeEnrolment,
    RolePlayObservation,
    SupervisorAssignment,
)
from ..certification.rules import add_months
from ..certification.training_certificate import issue_training_certificate_if_due
from ..content.services import get_catalog
from ..extensions import db
from ..lti.models import Platform
from ..quiz.models import QuizAttempt
from ..reporting.models import POST, PRE, UNATTRIBUTED, SurveyCompletion, SurveyTally
from ..reporting.survey import SCALE, survey_config
from ..training.models import LearnerModule, LearnerProgress, LessonProgress, ModuleCompletion
from ..users.models import ADMIN, INSTRUCTOR, LEARNER, MENTOR, Course, Enrollment, User
from .state import COURSES, DEMO_CLIENT_ID
from .views import issuer

SEED = 2026
SUB_PREFIX = "seed-"
PEOPLE = 200
DEPARTMENTS = ("Operations", "Finance", "People", "Customer Service", "Technology")
PROGRAMME = "peer-supporter"
WELLBEING, PEER = "wellbeing-101", "peer-support"
GIVEN = ("Aisha", "Ben", "Chen", "Daniel", "Ewa", "Fatima", "Gabriel", "Hana", "Ibrahim",
         "Jasmine", "Kwame", "Laura", "Mateo", "Nadia", "Oliver", "Priya", "Quinn", "Rosa",
         "Samuel", "Tomasz", "Uchenna", "Valentina", "Wei", "Ximena", "Yusuf", "Zara",
         "Aroha", "Bilal", "Carmen", "Dmitri", "Esther", "Farid", "Grace", "Hiroshi",
         "Ines", "Jamal", "Keira", "Leon", "Mei", "Nikhil", "Olga", "Pedro", "Rania", "Sean")
FAMILY = ("Adeyemi", "Brennan", "Castillo", "Dubois", "Evans", "Fernandes", "Gupta",
          "Hughes", "Ivanova", "Johansson", "Kaur", "Lopez", "Mensah", "Nguyen", "O'Connor",
          "Patel", "Quigley", "Rahman", "Santos", "Tanaka", "Usman", "Varga", "Williams",
          "Xu", "Yilmaz", "Zielinski", "Abdi", "Bianchi", "Chowdhury", "Davies", "Eze",
          "Fischer", "Gonzalez", "Haddad", "Ito", "Jensen", "Kowalski", "Li", "Murphy",
          "Novak", "Okafor", "Park", "Reyes", "Singh", "Thompson", "Walker")
# Where the trainees stand: (stage as the reports name it, how many).
STAGES = (("certified", 12), ("expiring_30", 2), ("expiring_60", 2), ("expiring_90", 2),
          ("in_grace", 1), ("lapsed", 1), ("revoked", 1), ("ready", 3),
          ("awaiting_approval", 7), ("enrolled", 9))
# Days from now to the certificate's expiry, for the stages that hold one.
EXPIRY_IN = {"expiring_30": 15, "expiring_60": 45, "expiring_90": 75, "in_grace": -10,
             "lapsed": -60}
REFLECTIONS = ("Listened, agreed a follow-up and pointed to the employee assistance line.",
               "A short check-in; talked through options and self-care.",
               "Role-played a first conversation with a colleague who seems withdrawn.",
               "Drop-in session: two conversations, both signposted.")


@dataclass
class SeedReport:
    organisation_id: int
    counts: dict[str, int] = field(default_factory=dict)


def demo_organisation_id() -> int | None:
    """The organisation of the demo LMS's registration, if it is registered yet."""
    return db.session.scalar(select(Platform.organisation_id).where(
        Platform.issuer == issuer(), Platform.client_id == DEMO_CLIENT_ID))


def is_seeded(organisation_id: int) -> bool:
    return db.session.scalar(select(User.id).where(
        User.organisation_id == organisation_id,
        User.sub.startswith(SUB_PREFIX)).limit(1)) is not None


@contextmanager
def _clock(moment: datetime) -> Iterator[None]:
    """Certification's clock at `moment`, so certificates are issued (and
    revoked) by the real rules as of that day."""
    saved: Callable[[], datetime] = certification_clock.clock
    certification_clock.clock = lambda: moment
    try:
        yield
    finally:
        certification_clock.clock = saved


class _Seeder:
    def __init__(self, organisation_id: int, now: datetime):
        self.organisation_id = organisation_id
        self.now = now
        self.rng = random.Random(SEED)
        self.counts: dict[str, int] = {}
        self.practised: dict[int, datetime] = {}  # each trainee's last day of practice
        self.issuer = self._issuer()
        catalog = get_catalog()
        # The peer-supporter path (refreshers are for renewal): most people go through it
        # all, some part of the way, some not yet started.
        self.modules = [m for m in catalog.ordered_modules() if not m.meta.refresher]
        partial = max(len(self.modules) - 1, 1)
        self._reach_weights = [12.0, *[40.0 / partial] * (len(self.modules) - 1), 48.0]
        self.quiz_versions = {slug: q.version for slug, q in catalog.quizzes.items()}
        self.programme = catalog.programmes.get(PROGRAMME)
        self.roleplays = catalog.roleplays

    def _issuer(self) -> str:
        return issuer()

    def put(self, model: Any, rows: list[dict[str, Any]]) -> None:
        for start in range(0, len(rows), 2000):
            db.session.execute(insert(model), rows[start:start + 2000])
        name = model.__tablename__
        self.counts[name] = self.counts.get(name, 0) + len(rows)

    def ago(self, days: float) -> datetime:
        return self.now - timedelta(days=days)

    # --- people and courses -----------------------------------------------------------

    def courses(self) -> dict[str, int]:
        ids = {}
        for key, course in COURSES.items():
            found = db.session.scalars(select(Course).where(
                Course.organisation_id == self.organisation_id, Course.issuer == self.issuer,
                Course.context_id == key)).first()
            if found is None:
                found = Course(organisation_id=self.organisation_id, issuer=self.issuer,
                               context_id=key, title=course["title"], label=course["label"],
                               created_at=self.ago(400))
                db.session.add(found)
                db.session.flush()
            ids[key] = found.id
        return ids

    def people(self) -> list[dict[str, Any]]:
        pairs = [(g, f) for g in GIVEN for f in FAMILY]
        self.rng.shuffle(pairs)
        rows = []
        for n, (given, family) in enumerate(pairs[:PEOPLE + 1]):
            email = f"{given}.{family}".lower().replace("'", "") + "@example.org"
            joined = self.ago(self.rng.uniform(380, 900))
            rows.append({"organisation_id": self.organisation_id, "issuer": self.issuer,
                         "sub": f"{SUB_PREFIX}{n:04d}", "name": f"{given} {family}",
                         "email": email, "department": DEPARTMENTS[n % len(DEPARTMENTS)],
                         "created_at": joined, "last_launch_at": None})
        return rows

    # --- the training ------------------------------------------------------------------

    def training(self, user_ids: list[int], trainees: dict[int, datetime],
                 wellbeing: int) -> tuple[list[dict[str, Any]], dict[int, datetime]]:
        """Lessons, quiz attempts and completions; returns the enrolments and when each
        person was last active."""
        Rows = list[dict[str, Any]]
        lessons: Rows = []
        attempts: Rows = []
        completions: Rows = []
        started: Rows = []
        progress: Rows = []
        enrolments: Rows = []
        last_seen: dict[int, datetime] = {}
        for uid in user_ids:
            roster_only = uid not in trainees and self.rng.random() < 0.12
            enrolments.append({"user_id": uid, "course_id": wellbeing, "roles": LEARNER,
                               "source": "roster" if roster_only else "launch",
                               "active": True, "last_seen_at": self.ago(1)})
            if roster_only:
                continue
            if uid in trainees:  # finished the training well before enrolling as a trainee
                reach, when = len(self.modules), trainees[uid] - timedelta(
                    days=self.rng.uniform(60, 120))
            else:
                reach = self.rng.choices(range(len(self.modules) + 1), self._reach_weights)[0]
                when = self.ago(self.rng.uniform(2, 365))
            last_seen[uid] = when
            finished = begun = 0
            quick = uid in trainees  # trainees went through it briskly
            for m, module in enumerate(self.modules[:reach]):
                begin = when
                if begin >= self.now - timedelta(hours=2):
                    break
                begun += 1
                last = m == reach - 1 and not quick
                wanted = (self.rng.randint(1, len(module.lessons))
                          if last and self.rng.random() < 0.4 else len(module.lessons))
                done_lessons = 0
                for lesson in module.lessons[:wanted]:
                    step = when + timedelta(hours=self.rng.uniform(1, 12 if quick else 72))
                    if step > self.now - timedelta(hours=1):
                        break
                    when, done_lessons = step, done_lessons + 1
                    lessons.append({"user_id": uid, "module_slug": module.slug,
                                    "lesson_id": lesson.meta.id,
                                    "module_version": module.version, "completed_at": when})
                passed_at, best = self._quiz(uid, module, done_lessons, when, attempts,
                                             wellbeing, quick)
                if passed_at is not None:
                    when = passed_at
                    completions.append({
                        "user_id": uid, "module_slug": module.slug,
                        "module_version": module.version,
                        "quiz_version": self.quiz_versions.get(module.slug),
                        "quiz_score": best, "completed_at": passed_at})
                    finished += 1
                started.append({"user_id": uid, "module_slug": module.slug,
                                "started_at": begin, "completed_at": passed_at})
                last_seen[uid] = when
                if passed_at is None:
                    break
                when += timedelta(days=self.rng.uniform(1, 7 if quick else 30))
            if begun:
                progress.append({"user_id": uid, "modules_started": begun,
                                 "modules_completed": finished})
        self.put(LessonProgress, lessons)
        self.put(QuizAttempt, attempts)
        self.put(ModuleCompletion, completions)
        self.put(LearnerModule, started)
        self.put(LearnerProgress, progress)
        return enrolments, last_seen

    def _quiz(self, uid: int, module: Any, done_lessons: int, when: datetime,
              attempts: list[dict[str, Any]], course_id: int,
              must_pass: bool) -> tuple[datetime | None, float | None]:
        slug = module.meta.completion.quiz
        if done_lessons < len(module.lessons):
            return None, None
        if not slug:  # a module without a quiz is complete with its lessons
            return when, None
        tries = self.rng.choices((1, 2, 3), (60, 30, 10))[0]
        best: float | None = None
        for attempt in range(tries):
            when += timedelta(hours=self.rng.uniform(0.5, 48))
            if when > self.now - timedelta(minutes=30):
                break
            score = float(self.rng.choice((50, 60, 70, 80, 90, 100) if attempt < tries - 1
                                          and not must_pass else (80, 90, 100)))
            if attempt < tries - 1:
                score = min(score, 70.0)
            elif not must_pass and self.rng.random() < 0.08:
                score = 60.0  # gave up for now after a failed try
            passed = score >= 80
            best = max(best or 0.0, score)
            attempts.append({"user_id": uid, "course_id": course_id, "quiz_slug": slug,
                             "quiz_version": self.quiz_versions.get(slug, "v1"),
                             "layout_json": "[]", "answers_json": "{}",
                             "started_at": when - timedelta(minutes=12), "submitted_at": when,
                             "score": score, "passed": passed})
            if passed:
                return when, best
        return None, best

    # --- the programme -----------------------------------------------------------------

    def trainee_plan(self, user_ids: list[int]) -> dict[int, tuple[str, datetime]]:
        """Each trainee's stage and the day they enrolled."""
        chosen = self.rng.sample(user_ids, sum(n for _, n in STAGES))
        plan = {}
        for uid, stage in zip(chosen, [s for s, n in STAGES for _ in range(n)], strict=True):
            if stage in EXPIRY_IN:
                issued = add_months(self.now + timedelta(days=EXPIRY_IN[stage]), -24)
            elif stage in ("certified", "revoked"):
                issued = self.ago(self.rng.uniform(60, 600))
            else:
                plan[uid] = (stage, self.ago(self.rng.uniform(
                    70 if stage == "ready" else 20, 160)))
                continue
            plan[uid] = (stage, issued - timedelta(days=self.rng.uniform(70, 110)))
        return plan

    def programme_activity(self, plan: dict[int, tuple[str, datetime]], peer: int,
                           supervisors: list[int], admin: User) -> list[dict[str, Any]]:
        assert self.programme is not None
        practice = self.programme.document.practice
        enrolments, hours, signatures, assignments, course = [], [], [], [], []
        observations: list[dict[str, Any]] = []
        for n, (uid, (stage, enrolled)) in enumerate(sorted(plan.items())):
            supervisor = supervisors[n % len(supervisors)]
            if supervisor == uid:
                supervisor = supervisors[(n + 1) % len(supervisors)]
            enrolments.append({"user_id": uid, "programme_slug": PROGRAMME,
                               "enrolled_at": enrolled, "extensions": 0})
            course.append({"user_id": uid, "course_id": peer, "roles": LEARNER,
                           "source": "launch", "active": True, "last_seen_at": self.ago(2)})
            assignments.append({"supervisor_id": supervisor, "trainee_id": uid,
                                "assigned_by_id": admin.id, "assigned_at": enrolled})
            full = stage not in ("enrolled", "awaiting_approval")
            need = practice.supervised_hours if full else self.rng.randint(2, 12)
            supervision = practice.supervision_hours if full else self.rng.randint(0, 2)
            day = enrolled + timedelta(days=3)
            for kind, total in ((practice.counts[0], need), (practice.supervision_kinds[0],
                                                             supervision)):
                left = float(total)
                while left > 0:
                    size = min(left, float(self.rng.choice((1, 2))))
                    left -= size
                    day += timedelta(days=self.rng.uniform(1, 4))
                    hours.append(self._entry(uid, supervisor, kind, size, day, APPROVED))
            self.practised[uid] = day
            if full:  # the observed skills check, passed early in their practice
                observations += self._observations(uid, supervisor, enrolled)
            if stage == "awaiting_approval":
                for _ in range(self.rng.randint(1, 3)):
                    hours.append(self._entry(uid, supervisor, practice.counts[1], 1.0,
                                             self.ago(self.rng.uniform(1, 10)), PENDING))
            if stage == "enrolled" and n % 3 == 0:
                hours.append(self._entry(uid, supervisor, "travel", 1.0,
                                         self.ago(self.rng.uniform(5, 15)), REJECTED))
            attestations = [a.id for a in self.programme.document.attestations]
            if stage == "ready":
                attestations = attestations[:-1]  # one still to sign: not certified yet
            signatures += [{"user_id": uid, "programme_slug": PROGRAMME, "attestation_id": a,
                            "programme_version": self.programme.version,
                            "signed_at": enrolled + timedelta(days=1)} for a in attestations]
        self.put(ProgrammeEnrolment, enrolments)
        self.put(LoggedHours, hours)
        self.put(AttestationSignature, signatures)
        self.put(SupervisorAssignment, assignments)
        self.put(RolePlayObservation, observations)
        return course

    def _observations(self, uid: int, supervisor: int, enrolled: datetime
                      ) -> list[dict[str, Any]]:
        """Role-plays marked competent on every point, as many as the programme needs."""
        assert self.programme is not None
        observed = self.programme.document.observed_practice
        if observed is None:
            return []
        rows = []
        for n, slug in enumerate(observed.roleplays[:observed.competent_roleplays]):
            content = self.roleplays[slug]
            marks = {c.id: "competent" for c in content.document.rubric}
            rows.append({"user_id": uid, "programme_slug": PROGRAMME, "roleplay_id": slug,
                         "roleplay_version": content.version, "supervisor_id": supervisor,
                         "marks_json": json.dumps(marks, sort_keys=True), "competent": True,
                         "observed_at": enrolled + timedelta(days=2 + n)})
        return rows

    def _entry(self, uid: int, supervisor: int, kind: str, size: float, day: datetime,
               status: str) -> dict[str, Any]:
        day = min(day, self.now - timedelta(hours=2))
        decided = status != PENDING
        return {"user_id": uid, "programme_slug": PROGRAMME, "category": PRACTICE,
                "kind": kind, "hours": Decimal(str(size)),
                "activity_date": day.replace(hour=12, minute=0, second=0, microsecond=0),
                "supervisor_id": supervisor, "reflection": self.rng.choice(REFLECTIONS),
                "status": status, "decided_by_id": supervisor if decided else None,
                "decided_at": day + timedelta(hours=20) if decided else None,
                "decision_reason": ("Travel time does not count as practice."
                                    if status == REJECTED else None),
                "submissions": 1, "created_at": day + timedelta(hours=1)}

    def certificates(self, plan: dict[int, tuple[str, datetime]], admin: User) -> None:
        for uid, (stage, _) in sorted(plan.items()):
            if stage in ("enrolled", "awaiting_approval", "ready"):
                continue
            person = db.session.get(User, uid)
            assert person is not None
            moment = self.practised[uid] + timedelta(days=2)
            if stage in EXPIRY_IN:
                moment = add_months(self.now + timedelta(days=EXPIRY_IN[stage]), -24)
            with _clock(moment):
                certificate = issue_certificate_if_due(person, PROGRAMME)
            if certificate is None:
                raise RuntimeError(f"the demo seed's trainee {uid} ({stage}) is not ready")
            if stage == "revoked":
                with _clock(self.ago(20)):
                    revoke_certificate(
                        certificate, admin, "Left the peer-supporter role at their request.")

    # --- the survey ---------------------------------------------------------------------

    def survey(self, user_ids: list[int], finished: set[int], started: set[int],
               departments: dict[int, str]) -> None:
        """Answers counted the way `reporting.survey.record_answers` counts them (no row
        per person; a department's own counters only once enough of it has answered),
        in bulk: one person at a time through it would take most of the seed's time."""
        items = [i.id for i in survey_config(current_app).items]
        minimum = int(current_app.config.get("LMS_PLUGIN_MIN_GROUP_SIZE", 5))
        completions: list[dict[str, Any]] = []
        tally: dict[tuple[str, str, str, int], int] = {}
        respondents: dict[tuple[str, str], int] = {}
        for uid in user_ids:
            for phase, shift in ((PRE, 0), (POST, 1)):
                if (phase == PRE and (uid not in started or self.rng.random() > 0.8)) or (
                        phase == POST and (uid not in finished or self.rng.random() > 0.9)):
                    continue
                department = departments[uid]
                respondents[(phase, department)] = respondents.get((phase, department), 0) + 1
                group = department if respondents[(phase, department)] >= minimum \
                    else UNATTRIBUTED
                for item in items:
                    # After the training people lean towards agreeing (and away from
                    # needing to hide a condition); the extremes stay for everyone before.
                    lean = -shift if "hide" in item else shift
                    low, high = ((1, 4) if lean < 0 else (2, 5)) if shift else (1, 5)
                    value = min(high, max(low, round(self.rng.gauss(3 + 0.6 * lean, 1.2))))
                    tally.setdefault((phase, group, item, value), 0)
                    if self.rng.random() >= 0.03:  # a few prefer not to say
                        tally[(phase, group, item, value)] += 1
                completions.append({"user_id": uid, "phase": phase})
        groups = {(phase, group) for phase, group, _, _ in tally}
        self.put(SurveyCompletion, completions)
        self.put(SurveyTally, [
            {"organisation_id": self.organisation_id, "phase": phase, "department": group,
             "item_id": item, "value": value,
             "people": tally.get((phase, group, item, value), 0)}
            for phase, group in sorted(groups) for item in items for value in SCALE])
        self.counts["survey answers"] = len(completions)

    def run(self) -> SeedReport:
        courses = self.courses()
        people = self.people()
        self.put(User, people)
        ids = dict(db.session.execute(select(User.sub, User.id).where(
            User.organisation_id == self.organisation_id,
            User.sub.startswith(SUB_PREFIX))).all())
        everyone = [ids[s] for s in sorted(ids)]
        departments = {ids[row["sub"]]: row["department"] for row in people}
        # Loaded once and held: the certificates and launches below find them here.
        loaded = list(db.session.scalars(select(User).where(User.id.in_(everyone))))
        assert len(loaded) == len(everyone)
        admin_id, learners = everyone[0], everyone[1:]
        admin = db.session.get(User, admin_id)
        assert admin is not None
        admin.department = "People"
        plan = self.trainee_plan(learners) if self.programme is not None else {}
        # Supervisors: four of the longest-certified trainees.
        certified = sorted((enrolled, uid) for uid, (stage, enrolled) in plan.items()
                           if stage == "certified")
        supervisors = [uid for _, uid in certified[:4]]
        enrolments, last_seen = self.training(
            learners, {uid: enrolled for uid, (_, enrolled) in plan.items()},
            courses[WELLBEING])
        enrolments.append({"user_id": admin_id, "course_id": courses[WELLBEING],
                           "roles": f"{ADMIN} {INSTRUCTOR}", "source": "launch",
                           "active": True, "last_seen_at": self.ago(1)})
        if plan:
            enrolments += self.programme_activity(plan, courses[PEER], supervisors, admin)
            enrolments += [{"user_id": s, "course_id": courses[PEER], "roles": MENTOR,
                            "source": "launch", "active": True, "last_seen_at": self.ago(3)}
                           for s in supervisors]
            # A supervisor is a learner of the peer-support course and its mentor.
            enrolments = [e for e in enrolments if not (
                e["user_id"] in supervisors and e["course_id"] == courses[PEER]
                and e["roles"] == LEARNER)]
            for e in enrolments:
                if e["user_id"] in supervisors and e["course_id"] == courses[PEER]:
                    e["roles"] = f"{LEARNER} {MENTOR}"
        self.put(Enrollment, enrolments)
        for uid, when in last_seen.items():  # launches: the last one, and one a day ago
            person = db.session.get(User, uid)
            if person is not None:
                person.last_launch_at = max(when, self.ago(self.rng.uniform(0, 30)))
        admin.last_launch_at = self.ago(1)
        db.session.flush()
        self.certificates(plan, admin)
        finished = set(db.session.scalars(select(LearnerProgress.user_id).where(
            LearnerProgress.user_id.in_(learners),
            LearnerProgress.modules_completed >= len(self.modules))))
        for uid in sorted(finished):
            completed = db.session.scalar(select(ModuleCompletion.completed_at).where(
                ModuleCompletion.user_id == uid).order_by(ModuleCompletion.completed_at.desc()))
            person = db.session.get(User, uid)
            assert person is not None and completed is not None
            with _clock(completed):
                issue_training_certificate_if_due(person)
        self.survey(learners, finished, set(last_seen), departments)
        db.session.flush()
        self.counts["certificate"] = db.session.scalar(
            select(func.count()).select_from(Certificate).join(
                User, User.id == Certificate.user_id).where(
                User.organisation_id == self.organisation_id)) or 0
        return SeedReport(self.organisation_id, self.counts)


def seed_demo(organisation_id: int | None = None, now: datetime | None = None) -> \
        SeedReport | None:
    """Seed the demo organisation once; None when there is none yet or it is seeded.
    Flushes; the caller commits."""
    organisation_id = organisation_id or demo_organisation_id()
    if organisation_id is None or is_seeded(organisation_id):
        return None
    return _Seeder(organisation_id, now or datetime.now(UTC)).run()
