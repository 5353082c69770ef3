"""Report benchmark: seed an organisation of N learners (default 100,000) across 200
courses and 20 departments with realistic progress, quiz attempts, programme enrolments,
hours and certificates; then time every dashboard view and the CSV exports, and measure
the exports' peak memory at two lengths (it must not grow with the length).

    .venv/bin/python bench/reports.py                 # SQLite and PostgreSQL
    .venv/bin/python bench/reports.py --db sqlite --learners 20000

PostgreSQL: the schema `reports_bench` of the database `test` on 127.0.0.1:5432 (trust
auth) is dropped and created (set BENCH_PG_URL and BENCH_PG_SCHEMA to use others);
`--reuse` keeps what an earlier run seeded. Figures are printed; the README keeps the latest.
"""

from __future__ import annotations

import argparse
import gc
import os
import platform
import random
import statistics
import sys
import tempfile
import time
import tracemalloc
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, text  # noqa: E402

PG_BASE = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")
PG_SCHEMA = os.environ.get("BENCH_PG_SCHEMA", "reports_bench")
PG_URL = f"{PG_BASE}?options=-csearch_path%3D{PG_SCHEMA}"
ISSUER = "https://lms.bench.example"
MODULES = {"awareness": 6, "skills": 6, "boundaries": 6}
CHUNK = 5000


def make_app(url: str) -> Any:
    from lms_plugin import create_app

    instance = tempfile.mkdtemp(prefix="bench-")
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "WTF_CSRF_ENABLED": False, "LMS_PLUGIN_CONTENT_DIR": str(ROOT),
                      "TESTING": True, "LMS_PLUGIN_REPORT_CACHE_SECONDS": 0})
    app.instance_path = instance
    from lms_plugin.serve import settle

    settle()  # as each worker of `lms-plugin serve` does once its app is made
    return app


def reset_postgres() -> None:
    """An empty schema of our own (other people use the same database)."""
    admin = create_engine(PG_BASE, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{PG_SCHEMA}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{PG_SCHEMA}"'))
    admin.dispose()


def chunks(rows: list[dict[str, Any]]) -> Any:
    for start in range(0, len(rows), CHUNK):
        yield rows[start:start + CHUNK]


def seed(app: Any, learners: int, rng: random.Random) -> dict[str, int]:
    from flask_migrate import upgrade

    from lms_plugin.certification.models import Certificate, LoggedHours, ProgrammeEnrolment
    from lms_plugin.content.services import sync_content
    from lms_plugin.extensions import db
    from lms_plugin.quiz.models import QuizAttempt
    from lms_plugin.reporting.models import SurveyTally
    from lms_plugin.training.models import (
        LearnerModule,
        LearnerProgress,
        LessonProgress,
        ModuleCompletion,
    )
    from lms_plugin.users.models import Course, Enrollment, Organisation, User

    counts: dict[str, int] = {}
    with app.app_context():
        upgrade(directory=str(ROOT / "migrations"))
        sync_content(ROOT)
        db.session.commit()
        conn = db.session.connection()
        now = datetime.now(UTC)

        def put(model: Any, rows: list[dict[str, Any]]) -> None:
            for part in chunks(rows):
                conn.execute(insert(model), part)
            counts[model.__tablename__] = counts.get(model.__tablename__, 0) + len(rows)

        put(Organisation, [{"id": 1, "name": "Bench organisation", "created_at": now}])
        put(Course, [{"id": c + 1, "organisation_id": 1, "issuer": ISSUER,
                      "context_id": f"course-{c}",
                      "title": f"Course {c:03d}", "created_at": now} for c in range(200)])
        departments = [f"Department {d:02d}" for d in range(20)]
        # The admin who views the reports, and the learners.
        put(User, [{"id": 1, "organisation_id": 1, "issuer": ISSUER, "sub": "admin",
                    "name": "Bench Admin",
                    "department": None, "created_at": now}] + [
            {"id": i + 2, "organisation_id": 1, "issuer": ISSUER, "sub": f"u{i}",
             "name": f"Learner {i}",
             "department": departments[rng.randrange(20)] if rng.random() > 0.03 else None,
             "created_at": now} for i in range(learners)])
        enrol, progress, completions, attempts = [], [], [], []
        learner_modules, learner_progress = [], []
        for i in range(learners):
            uid = i + 2
            for course in {rng.randrange(200) + 1 for _ in range(1 + (rng.random() < 0.2))}:
                enrol.append({"user_id": uid, "course_id": course, "roles": "learner",
                              "source": "roster" if rng.random() < 0.25 else "launch",
                              "active": rng.random() > 0.02, "last_seen_at": now})
            # Realistic funnel: a quarter never start; fewer finish each later module.
            reach = rng.choices([0, 1, 2, 3], weights=[25, 30, 20, 25])[0]
            finished = 0
            for m, (module, lessons) in enumerate(MODULES.items()):
                if m >= reach:
                    break
                done = rng.randint(1, lessons) if m == reach - 1 else lessons
                when = now - timedelta(days=rng.randrange(120))
                for lesson in range(done):
                    progress.append({"user_id": uid, "module_slug": module,
                                     "lesson_id": f"{module}-{lesson}", "module_version": "v1",
                                     "completed_at": when})
                if done == lessons:
                    tries = rng.randint(1, 3)
                    best = 0.0
                    for _ in range(tries):
                        score = float(rng.choice([50, 60, 70, 80, 90, 100]))
                        best = max(best, score)
                        attempts.append({"user_id": uid, "quiz_slug": module,
                                         "quiz_version": "v1", "layout_json": "[]",
                                         "answers_json": "{}", "started_at": when,
                                         "submitted_at": when, "score": score,
                                         "passed": score >= 80})
                    if best >= 80:
                        finished += 1
                        completions.append({"user_id": uid, "module_slug": module,
                                            "module_version": "v1", "quiz_version": "v1",
                                            "quiz_score": best, "completed_at": when})
                learner_modules.append({
                    "user_id": uid, "module_slug": module, "started_at": when,
                    "completed_at": completions[-1]["completed_at"] if completions and
                    completions[-1]["user_id"] == uid and
                    completions[-1]["module_slug"] == module else None})
            if reach:
                learner_progress.append({"user_id": uid, "modules_started": reach,
                                         "modules_completed": finished})
        put(Enrollment, enrol)
        put(LessonProgress, progress)
        put(QuizAttempt, attempts)
        put(ModuleCompletion, completions)
        put(LearnerModule, learner_modules)
        put(LearnerProgress, learner_progress)
        # 5% enrol as peer supporters; most log hours; some are certified.
        trainees = rng.sample(range(2, learners + 2), learners // 20)
        put(ProgrammeEnrolment, [{"user_id": u, "programme_slug": "peer-supporter",
                                  "enrolled_at": now - timedelta(days=200), "extensions": 0}
                                 for u in trainees])
        hours, certificates = [], []
        for n, uid in enumerate(trainees):
            for _ in range(rng.randint(0, 8)):
                hours.append({"user_id": uid, "programme_slug": "peer-supporter",
                              "category": "practice", "kind": rng.choice(
                                  ["peer-conversation", "check-in", "supervision"]),
                              "hours": rng.choice([1, 2, 3]), "status": rng.choice(
                                  ["approved", "approved", "pending", "rejected"]),
                              "activity_date": now - timedelta(days=rng.randrange(100)),
                              "submissions": 1, "created_at": now})
            if rng.random() < 0.4:
                issued = now - timedelta(days=rng.randrange(800))
                certificates.append({
                    "user_id": uid, "programme_slug": "peer-supporter",
                    "programme_version": "v1", "code": f"BENCH{n:015d}",
                    "holder_name": f"Learner {uid}", "issued_at": issued,
                    "expires_at": issued + timedelta(days=730),
                    "revoked_at": now if rng.random() < 0.02 else None,
                    "current_key": f"{uid}:peer-supporter", "evidence_json": "{}"})
        put(LoggedHours, hours)
        put(Certificate, certificates)
        answers: dict[tuple[str, str, str, int], int] = {}
        for _ in range(learners // 2):
            key = (rng.choice(["pre", "post"]), departments[rng.randrange(20)], rng.choice(
                ["comfort-talking", "confidence-supporting", "know-where-help",
                 "need-to-hide"]), rng.randint(1, 5))
            answers[key] = answers.get(key, 0) + 1
        put(SurveyTally, [{"id": uuid.uuid4().hex, "organisation_id": 1, "phase": phase,
                           "department": department, "item_id": item, "value": value,
                           "people": people}
                          for (phase, department, item, value), people in answers.items()])
        db.session.commit()
        if db.engine.dialect.name == "postgresql":
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
                c.execute(text("ANALYZE"))
        else:
            db.session.execute(text("ANALYZE"))
            db.session.commit()
    return counts


def vacuum(engine: Any) -> None:
    """After a bulk fold-in, what autovacuum does (it is off on the bench's server):
    the maintained tables' dead rows go and their statistics are current."""
    if engine.dialect.name != "postgresql":
        return
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        for table in ("report_count", "report_learner", "report_dirty"):
            conn.execute(text(f"VACUUM ANALYZE {table}"))


def maintain(app: Any) -> None:
    """The maintained report counts, as the tool keeps them: the migration (on a schema
    an earlier version seeded) and the seed's inserts marked every learner through the
    triggers; one refresh folds them in (what the first dashboard or the worker does).
    Then: do they agree with a count from scratch (the one pass), and what does a
    refresh cost per changed person (1,000 learners marked as a write would)."""
    from flask_migrate import upgrade

    from lms_plugin.extensions import db
    from lms_plugin.reporting.maintained import refresh
    from lms_plugin.reporting.services import counts_agree

    with app.app_context(), app.test_request_context():
        upgrade(directory=str(ROOT / "migrations"))
        start = time.perf_counter()
        people = refresh()
        db.session.commit()
        print(f"maintained counts: {people:,} marks folded in "
              f"{time.perf_counter() - start:.1f}s")
        vacuum(db.engine)
        start = time.perf_counter()
        agree = counts_agree(1)
        print(f"maintained counts equal a count from scratch (scope.count_scope): {agree} "
              f"({(time.perf_counter() - start) * 1000:.0f} ms to check)")
        assert agree, "the maintained counts drifted from a count from scratch"
        db.session.execute(text("INSERT INTO report_dirty (user_id) SELECT id FROM \"user\" "
                                "WHERE id % 100 = 7"))  # 1,000 learners
        db.session.commit()
        start = time.perf_counter()
        people = refresh()
        db.session.commit()
        took = (time.perf_counter() - start) * 1000
        print(f"refresh of {people:,} changed learners: {took:.0f} ms "
              f"({took / max(people, 1):.2f} ms each)")
        db.session.commit()
        vacuum(db.engine)


def signed_in_client(app: Any) -> Any:
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = "1"
        session["_fresh"] = True
        session["roles"] = ["admin"]
        session["session_version"] = 1
    return client


RUNS = 3


def forget_cached_reports(app: Any) -> None:
    """Drop every report and pass the store holds (the bench uses the database store), so
    "first view after the warm-up" measures a view the cache has not seen."""
    with app.app_context():
        from sqlalchemy import delete

        from lms_plugin.extensions import db
        from lms_plugin.store import SharedState

        db.session.execute(delete(SharedState).where(SharedState.key.like("report%")))
        db.session.commit()


def timed(client: Any, url: str, runs: int = 0) -> tuple[float, float, int]:
    times = []
    status = 0
    for _ in range(runs or RUNS):
        start = time.perf_counter()
        response = client.get(url)
        body = response.get_data()
        times.append((time.perf_counter() - start) * 1000)
        status = response.status_code
        assert status == 200, (url, status, body[:300])
    return statistics.median(times), max(times), status


def export_time(client: Any, url: str, runs: int) -> tuple[float, float, int]:
    """Streaming the export as a client reads it, untraced (tracemalloc, which
    `export_memory` needs, makes every Python line several times slower): median and
    worst seconds, and its number of lines."""
    times, lines = [], 0
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        lines = 0
        for chunk in response.response:
            lines += chunk.count("\n") if isinstance(chunk, str) else chunk.count(b"\n")
        response.close()
        times.append(time.perf_counter() - start)
    return statistics.median(times), max(times), lines


def export_memory(client: Any, url: str) -> tuple[float, int]:
    """Peak Python memory while streaming the export, and its number of lines."""
    tracemalloc.start()
    response = client.get(url)
    lines = 0
    for chunk in response.response:
        lines += chunk.count("\n") if isinstance(chunk, str) else chunk.count(b"\n")
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    response.close()
    return peak / 1024 / 1024, lines


def old_path(modules: list[str], programmes: list[Any]) -> None:
    """Before issue 15: each report's own statements (14, each finding the learners in
    scope again), kept in `reporting.queries` as the reference the pass is tested against."""
    from lms_plugin.reporting import queries as q

    scope = q.Filters(1)
    q.module_progress(scope, modules)
    q.progress_by_course(scope, modules)
    q.progress_by_department(scope, modules)
    q.weekly_completions(scope, modules)
    for programme in programmes:
        q.certification_pipeline(scope, programme)
    q.quiz_results_by_department(scope)


def compare_paths(app: Any) -> None:
    """The same counts, in the same run: the per-table path, the one pass, and a bare
    `SELECT count(*)` of the enrolments as the floor."""
    from lms_plugin.content.services import get_catalog
    from lms_plugin.extensions import db
    from lms_plugin.reporting.maintained import maintained_counts
    from lms_plugin.reporting.scope import count_scope
    from lms_plugin.reporting.services import module_titles

    with app.app_context(), app.test_request_context():
        modules = list(module_titles())
        programmes = [p.document for p in get_catalog().programmes.values()]
        work = {
            "SELECT count(*) FROM enrollment (floor)":
                lambda: db.session.execute(text("SELECT count(*) FROM enrollment")).all(),
            "per-table queries (14)": lambda: old_path(modules, programmes),
            "one pass (scope.count_scope)":
                lambda: count_scope(1, modules, programmes),
            "maintained counts (maintained_counts)":
                lambda: maintained_counts(1, modules, programmes),
        }
        print(f"{'every report count of the organisation':40} {'median ms':>10} {'max ms':>8}")
        for name, call in work.items():
            times = []
            for _ in range(RUNS):
                start = time.perf_counter()
                call()
                times.append((time.perf_counter() - start) * 1000)
                db.session.rollback()
            print(f"{name:40} {statistics.median(times):10.1f} {max(times):8.1f}")


def fresh_dashboards(app: Any, client: Any, views: dict[str, str]) -> None:
    """The target of issue 15: each filter combination's dashboard computed fresh (no
    report cache), as served and not, timed as a whole (wall), and split into what load
    on a shared machine inflates least: this process's CPU, and the SQL statements (how
    many, and their wall time, the server's work plus the round trips)."""
    from sqlalchemy import event

    from lms_plugin.extensions import db
    from lms_plugin.serve import settle

    sql: list[float] = []

    def before(conn: Any, *_: Any) -> None:
        conn.info["bench_started"] = time.perf_counter()

    def after(conn: Any, *_: Any) -> None:
        sql.append(time.perf_counter() - conn.info.pop("bench_started"))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before)
    event.listen(engine, "after_cursor_execute", after)
    runs = max(RUNS, 5)
    try:
        # Compared in the same run: the process as `lms-plugin serve` runs it (start-up's
        # objects frozen, `serve.settle`), and with them in the collector's sight.
        for settled in (False, True):
            gc.unfreeze()
            if settled:
                settle()
            heading = f"fresh dashboard, {'' if settled else 'not '}settled ({runs} runs)"
            print(f"{heading:40} "
                  f"{'wall ms':>10} {'min ms':>8} {'CPU ms':>8} {'SQL n':>6} {'SQL ms':>7}")
            for name, path in views.items():
                walls, cpus, sqls, counts = [], [], [], []
                for _ in range(runs):
                    sql.clear()
                    wall, cpu = time.perf_counter(), time.process_time()
                    response = client.get(path)
                    response.get_data()
                    assert response.status_code == 200, (path, response.status_code)
                    walls.append((time.perf_counter() - wall) * 1000)
                    cpus.append((time.process_time() - cpu) * 1000)
                    sqls.append(sum(sql) * 1000)
                    counts.append(len(sql))
                print(f"{name:40} {statistics.median(walls):10.1f} {min(walls):8.1f} "
                      f"{statistics.median(cpus):8.1f} {statistics.median(counts):6.0f} "
                      f"{statistics.median(sqls):7.1f}")
    finally:
        event.remove(engine, "before_cursor_execute", before)
        event.remove(engine, "after_cursor_execute", after)
    print(f"load average: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


def run(kind: str, url: str, learners: int, reuse: bool = False) -> None:
    rng = random.Random(42)
    app = make_app(url)
    if reuse:
        print(f"\n== {kind}: reusing the data an earlier run seeded")
    else:
        start = time.perf_counter()
        counts = seed(app, learners, rng)
        print(f"\n== {kind}: seeded {learners:,} learners in {time.perf_counter() - start:.0f}s "
              f"({', '.join(f'{k} {v:,}' for k, v in sorted(counts.items()))})")
    maintain(app)
    client = signed_in_client(app)
    with app.app_context():
        from lms_plugin.extensions import db
        from lms_plugin.users.models import Course

        course = db.session.get(Course, 7)
        assert course is not None
    compare_paths(app)
    views = {
        "dashboard (all reports)": "/admin/reports",
        "dashboard, one course": f"/admin/reports?course={course.id}",
        "dashboard, one department": "/admin/reports?department=Department%2003",
        "dashboard, course + department":
            f"/admin/reports?course={course.id}&department=Department%2003",
        "pipeline list (certified)":
            "/admin/reports/list/pipeline-peer-supporter?row=certified",
        "printable summary": "/admin/reports/summary",
    }
    for key in ("modules", "courses", "departments", "weekly", "pipeline-peer-supporter",
                "survey-pre"):
        views[f"table CSV: {key}"] = f"/admin/reports/{key}.csv"
    fresh_dashboards(app, client, {k: v for k, v in views.items()
                                   if k.startswith("dashboard")})
    print(f"{'view (computed fresh: no report cache)':40} {'median ms':>10} {'max ms':>8}")
    for name, path in views.items():
        median, worst, _ = timed(client, path)
        print(f"{name:40} {median:10.1f} {worst:8.1f}")
    app.config["LMS_PLUGIN_REPORT_CACHE_SECONDS"] = 300
    forget_cached_reports(app)  # an earlier run's (or --reuse's) reports would be hits
    with app.app_context():
        from lms_plugin.reporting.services import warm_reports

        start = time.perf_counter()
        warm_reports()  # what the worker does every few minutes
        print(f"worker's warm-up of the pass: {(time.perf_counter() - start) * 1000:.0f} ms")
    print(f"{'first view after the warm-up':40} {'ms':>10}")
    for name, path in views.items():
        if name.startswith("dashboard") or name == "printable summary":
            start = time.perf_counter()
            assert client.get(path).status_code == 200
            print(f"{name:40} {(time.perf_counter() - start) * 1000:10.1f}")
    print(f"{'view (report cache warm, the default)':40} {'median ms':>10} {'max ms':>8}")
    for name, path in views.items():
        if not name.startswith("dashboard") and name != "printable summary":
            continue
        client.get(path)  # fills the cache, as the first admin of the minute does
        median, worst, _ = timed(client, path)
        print(f"{name:40} {median:10.1f} {worst:8.1f}")
    app.config["LMS_PLUGIN_REPORT_CACHE_SECONDS"] = 0
    median, worst, lines = export_time(client, "/admin/reports/people.csv", RUNS)
    peak_all, lines_all = export_memory(client, "/admin/reports/people.csv")
    peak_one, lines_one = export_memory(client, f"/admin/reports/people.csv?course={course.id}")
    print(f"people.csv, everyone: {lines - 1:,} rows in {median:.1f}s (median of {RUNS}, "
          f"max {worst:.1f}s); peak Python memory {peak_all:.1f} MiB ({lines_all - 1:,} rows)")
    print(f"people.csv, one course: {lines_one - 1:,} rows, peak Python memory "
          f"{peak_one:.1f} MiB")
    with app.app_context():
        from lms_plugin.extensions import db

        db.engine.dispose()


def main() -> None:
    global RUNS
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--learners", type=int, default=100_000)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--runs", type=int, default=RUNS, help="timings per view")
    parser.add_argument("--reuse", action="store_true",
                        help="PostgreSQL: keep the data an earlier run seeded")
    args = parser.parse_args()
    RUNS = args.runs
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, Python "
          f"{platform.python_version()}, {platform.platform()}")
    if args.db in ("sqlite", "both"):
        path = Path(tempfile.mkdtemp(prefix="bench-sqlite-")) / "bench.db"
        run("SQLite", f"sqlite:///{path}", args.learners)
    if args.db in ("postgresql", "both"):
        if not args.reuse:
            reset_postgres()
        run("PostgreSQL", PG_URL, args.learners, args.reuse)


if __name__ == "__main__":
    main()
