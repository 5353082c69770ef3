"""Nothing in the database ties a survey answer to the person who gave it (issue 11,
finding 13): read with raw SQL, every column and the rows' physical order, after people
answered in a known order; and the migration counts the answers stored before without
losing any."""

from __future__ import annotations

import re
import uuid
from collections import Counter
from datetime import UTC, date, datetime

import pytest
import sqlalchemy as sa

from lms_plugin.extensions import db
from lms_plugin.reporting.survey import record_answers
from tests.conftest import make_app
from tests.support import factories

K = 5  # LMS_PLUGIN_MIN_GROUP_SIZE in the tests
ITEM, OTHER = "comfort-talking", "need-to-hide"
COMPLETIONS = "survey_completion"


def survey_tables() -> list[str]:
    """Every survey table there is: the answers' and the completions'."""
    tables = [t for t in sa.inspect(db.engine).get_table_names() if t.startswith("survey_")]
    assert COMPLETIONS in tables and len(tables) >= 2
    return tables


def answer_tables() -> list[str]:
    return [t for t in survey_tables() if t != COMPLETIONS]


def raw(sql: str) -> list[dict]:
    return [dict(r._mapping) for r in db.session.execute(sa.text(sql))]


def physical_order(table: str) -> list[dict]:
    """The rows in the order the database keeps them: PostgreSQL's heap order (ctid);
    SQLite's tables here have no rowid, so their order is their primary key's."""
    assert table in survey_tables()
    if db.engine.dialect.name == "postgresql":
        return raw(f"SELECT * FROM {table} ORDER BY ctid")  # noqa: S608
    with pytest.raises(sa.exc.OperationalError, match="rowid"):
        db.session.execute(sa.text(f"SELECT rowid FROM {table}"))  # noqa: S608
    db.session.rollback()
    return raw(f"SELECT * FROM {table} ORDER BY id")  # noqa: S608


def random_ids(rows: list[dict]) -> bool:
    return all(re.fullmatch(r"[0-9a-f]{32}", r["id"]) and uuid.UUID(hex=r["id"]).version == 4
               for r in rows)


def monotonic(sequence: list[int]) -> bool:
    return sequence in (sorted(sequence), sorted(sequence, reverse=True))


@pytest.fixture
def answered_in_order(app, registered, sample_content):
    """Seven people of Operations and the one person of Legal answer in a known order;
    the Operations people answer ITEM 5, 4, 3, 2, 1, 5, 4 (the reverse of the order the
    counters are made in). Returns who answered what, in order, and the physical order of
    the counters after each answer."""
    with app.app_context():
        people = []
        for i in range(7):
            person = factories.user(f"Ops {i}", issuer=registered.issuer)
            person.department = "Operations"
            people.append((person, [5, 4, 3, 2, 1, 5, 4][i]))
        solo = factories.user("The only lawyer", issuer=registered.issuer)
        solo.department = "Legal"
        people.insert(3, (solo, 1))
        order, snapshots = [], []
        for n, (person, value) in enumerate(people):
            record_answers(person, "pre", {ITEM: value, OTHER: 1 + n % 5,
                                           "know-where-help": None})
            db.session.commit()  # each answer its own request
            order.append((person.id, person.department, value))
            snapshots.append([tuple((k, v) for k, v in r.items() if k not in ("id", "people"))
                              for t in answer_tables() for r in physical_order(t)])
        return order, snapshots


def test_no_column_of_the_survey_tables_can_link_an_answer_to_a_person(app,
                                                                      answered_in_order):
    with app.app_context():
        inspector = sa.inspect(db.engine)
        for table in survey_tables():
            for column in inspector.get_columns(table):
                assert not isinstance(column["type"], sa.Date | sa.DateTime | sa.Time
                                      | sa.Interval), (table, column["name"])
                assert not re.search(r"(^|_)(at|on|date|week|time|created)($|_)",
                                     column["name"]), (table, column["name"])
        for table in answer_tables():
            # Only the organisation the counts belong to; nothing about a person.
            assert [fk["referred_table"] for fk in inspector.get_foreign_keys(table)] in (
                [], ["organisation"])
            columns = {c["name"] for c in inspector.get_columns(table)}
            assert not {c for c in columns if "user" in c or c in ("sub", "email", "name")}
        completions = {c["name"] for c in inspector.get_columns(COMPLETIONS)}
        assert completions == {"id", "user_id", "phase"}  # no date, no answer


def test_ids_and_physical_order_say_nothing_about_who_answered_what(app, database, registered,
                                                                    answered_in_order):
    order, snapshots = answered_in_order
    answer_order = [user_id for user_id, _, _ in order]
    with app.app_context():
        # Six more people answer, so that random ids falling in answer order by chance
        # (2 in 14!, not 2 in 8!, about 1 in 20,000 runs, which happened) is no verdict.
        for i in range(6):
            person = factories.user(f"Later {i}", issuer=registered.issuer)
            person.department = "Operations"
            record_answers(person, "pre", {ITEM: 1 + i % 5, OTHER: 1, "know-where-help": None})
            db.session.commit()
            answer_order.append(person.id)
        completions = physical_order(COMPLETIONS)
        assert random_ids(completions)
        by_id = [r["user_id"] for r in sorted(completions, key=lambda r: r["id"])]
        assert sorted(by_id) == sorted(answer_order)
        assert not monotonic([answer_order.index(u) for u in by_id])
        for table in answer_tables():
            assert random_ids(physical_order(table))
    # A group's counters are made together, every value of every item, whatever was
    # chosen; and answering never adds a row nor moves one relative to another: where a
    # row sits says nothing about when it was counted or what was chosen.
    def groups(snapshot):
        return {row[:-2]: [r for r in snapshot if r[:-2] == row[:-2]] for row in snapshot}

    final = groups(snapshots[-1])
    # PostgreSQL writes a new version of every updated row (MVCC), all of a group's rows
    # in one statement, in the unique index's order (item, value): where they land depends
    # on that, not on what was chosen. SQLite keeps them in their random-id order.
    mvcc = database == "postgresql"
    for snapshot in snapshots:
        for group, rows in groups(snapshot).items():
            assert (sorted(rows) if mvcc else rows) == (sorted(final[group]) if mvcc
                                                        else final[group])
    for rows in final.values():
        assert sorted(dict(r)["value"] for r in rows if dict(r)["item_id"] == ITEM) == [
            1, 2, 3, 4, 5]


def test_a_department_is_stored_only_once_it_is_big_enough(app, answered_in_order):
    order, _ = answered_in_order
    with app.app_context():
        for table in answer_tables():
            departments = {r.get("department") for r in raw(f"SELECT * FROM {table}")}  # noqa: S608
            assert "Legal" not in departments  # a department of one: never beside answers
        tally = raw("SELECT department, item_id, value, people FROM survey_tally")
        departments = {r["department"] for r in tally}
        assert departments == {"", "Operations"}
        ops = Counter()
        unattributed = Counter()
        for r in tally:
            if r["item_id"] == ITEM:
                (ops if r["department"] == "Operations" else unattributed)[r["value"]] += \
                    r["people"]
        # The first K - 1 of Operations, and Legal, are counted for no department; the
        # rest of Operations (three people) for Operations.
        assert sum(ops.values()) == 3 and sum(unattributed.values()) == K
        everyone = Counter(v for _, _, v in order)
        assert ops + unattributed == everyone  # every answer counted once
        for department in departments - {""}:
            respondents = db.session.scalar(sa.text(
                "SELECT count(*) FROM survey_completion c JOIN \"user\" u ON u.id = c.user_id"
                " WHERE c.phase = 'pre' AND u.department = :d"), {"d": department})
            assert respondents >= K


def test_answering_again_or_skipping_adds_nothing(app, registered, sample_content):
    with app.app_context():
        person = factories.user("Once", issuer=registered.issuer)
        assert record_answers(person, "post", {ITEM: 3, OTHER: None})
        assert not record_answers(person, "post", {ITEM: 5})
        db.session.commit()
        rows = raw("SELECT item_id, value, people FROM survey_tally WHERE people > 0")
        assert rows == [{"item_id": ITEM, "value": 3, "people": 1}]


# --- the migration ---------------------------------------------------------------------


def test_the_migration_counts_every_stored_answer(empty_database, tmp_path):
    from flask_migrate import downgrade, upgrade

    app = make_app(empty_database, tmp_path)
    issuer = "https://lms.example.org"
    with app.app_context():
        upgrade(revision="5b1d0e7c2a10")
        now = datetime.now(UTC)
        people = [("Operations", i) for i in range(6)] + [("Legal", 0), (None, 0)]
        answers = []
        for n, (department, i) in enumerate(people):
            user_id = db.session.execute(sa.text(
                'INSERT INTO "user" (issuer, sub, name, department, created_at) '
                "VALUES (:i, :s, :n, :d, :c) RETURNING id"),
                {"i": issuer, "s": f"sub-{n}", "n": f"P{n}", "d": department, "c": now}
            ).scalar_one()
            db.session.execute(sa.text(
                'INSERT INTO survey_completion (user_id, phase, "on") VALUES (:u, :p, :o)'),
                {"u": user_id, "p": "pre", "o": date(2026, 11, 2)})
            for item, value in ((ITEM, 1 + n % 5), (OTHER, 5 - i % 5)):
                answers.append((item, value))
                db.session.execute(sa.text(
                    "INSERT INTO survey_response (phase, item_id, value, issuer, department,"
                    " week) VALUES ('pre', :it, :v, :i, :d, :w)"),
                    {"it": item, "v": value, "i": issuer, "d": department,
                     "w": date(2026, 11, 2)})
        db.session.commit()
        db.session.remove()  # no transaction of ours may hold the tables the migration changes

        upgrade()
        tally = raw("SELECT * FROM survey_tally")
        counted = Counter()
        for r in tally:
            counted[(r["item_id"], r["value"])] += r["people"]
        assert +counted == Counter(answers)  # nothing lost, nothing added
        assert random_ids(tally)
        assert {r["department"] for r in tally} == {"", "Operations"}  # Legal: one person
        completions = raw("SELECT * FROM survey_completion")
        assert len(completions) == len(people) and random_ids(completions)
        assert set(completions[0]) == {"id", "user_id", "phase"}
        db.session.remove()

        downgrade(revision="5b1d0e7c2a10")
        back = Counter((r["item_id"], r["value"]) for r in raw(
            "SELECT item_id, value FROM survey_response"))
        assert back == Counter(answers)
        assert len(raw("SELECT * FROM survey_completion")) == len(people)
        db.session.remove()
        db.engine.dispose()


def test_another_organisation_s_answers_never_count_towards_a_department(
        app, registered, sample_content, second_platform):
    """Five people of another organisation's Legal have answered: this organisation's one
    lawyer is still alone, and counted for no department."""
    with app.app_context():
        for i in range(K):
            other = factories.user(f"Their lawyer {i}", issuer=second_platform.issuer)
            other.department = "Legal"
            record_answers(other, "pre", {ITEM: 2})
        ours = factories.user("Our only lawyer", issuer=registered.issuer)
        ours.department = "Legal"
        record_answers(ours, "pre", {ITEM: 4})
        db.session.commit()
        theirs_id = factories.organisation_of(second_platform.issuer)
        ours_id = factories.organisation_of(registered.issuer)
        rows = raw("SELECT organisation_id, department, value, people FROM survey_tally "
                   "WHERE people > 0 ORDER BY organisation_id")
    assert {(r["organisation_id"], r["department"], r["value"], r["people"])
            for r in rows} == {
        (theirs_id, "Legal", 2, 1),  # their fifth lawyer
        (theirs_id, "", 2, K - 1),
        (ours_id, "", 4, 1)}
