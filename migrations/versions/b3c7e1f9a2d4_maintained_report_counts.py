"""maintained report counts (issue 15): report_count, report_learner, report_dirty, and
the triggers that mark a person whose report facts change

Revision ID: b3c7e1f9a2d4
Revises: f3b8d2a6c1e4
Create Date: 2026-12-01 00:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b3c7e1f9a2d4'
down_revision = 'f3b8d2a6c1e4'
branch_labels = None
depends_on = None

# table -> (its column naming the person, the columns whose change changes a report fact).
# An insert or delete always marks (a new user has no enrolment yet: not marked).
MARKED = {
    "enrollment": ("user_id", ("user_id", "course_id", "active", "roles")),
    "user": ("id", ("organisation_id", "department")),
    "learner_progress": ("user_id", ("user_id", "modules_started", "modules_completed")),
    "learner_module": ("user_id", ("user_id", "module_slug", "completed_at")),
    "quiz_attempt": ("user_id", ("user_id", "quiz_slug", "submitted_at", "score")),
}

PG_FUNCTION = """
CREATE FUNCTION report_mark() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    before integer;
    after integer;
BEGIN
    IF TG_OP <> 'INSERT' THEN
        before := (to_jsonb(OLD) ->> TG_ARGV[0])::integer;
        INSERT INTO report_dirty (user_id) VALUES (before);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        after := (to_jsonb(NEW) ->> TG_ARGV[0])::integer;
        IF before IS DISTINCT FROM after THEN
            INSERT INTO report_dirty (user_id) VALUES (after);
        END IF;
    END IF;
    RETURN NULL;
END $$
"""


def _triggers(dialect: str) -> list[str]:
    statements = []
    for table, (person, columns) in MARKED.items():
        quoted = f'"{table}"'
        operations = ["DELETE", "UPDATE"] + ([] if table == "user" else ["INSERT"])
        for operation in operations:
            name = f"report_mark_{table}_{operation.lower()}"
            when = ""
            if operation == "UPDATE":
                differ = "IS DISTINCT FROM" if dialect == "postgresql" else "IS NOT"
                when = " WHEN (" + " OR ".join(
                    f"OLD.{c} {differ} NEW.{c}" for c in columns) + ")"
            if dialect == "postgresql":
                statements.append(
                    f"CREATE TRIGGER {name} AFTER {operation} ON {quoted} FOR EACH ROW"
                    f"{when} EXECUTE FUNCTION report_mark('{person}')")
                continue
            body = {"INSERT": f"INSERT INTO report_dirty (user_id) VALUES (NEW.{person});",
                    "DELETE": f"INSERT INTO report_dirty (user_id) VALUES (OLD.{person});",
                    "UPDATE": f"INSERT INTO report_dirty (user_id) VALUES (OLD.{person}); "
                              f"INSERT INTO report_dirty (user_id) SELECT NEW.{person} "
                              f"WHERE NEW.{person} IS NOT OLD.{person};"}[operation]
            statements.append(f"CREATE TRIGGER {name} AFTER {operation} ON {quoted} "
                              f"FOR EACH ROW{when} BEGIN {body} END")
    return statements


def upgrade():
    op.create_table('report_count',
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('measure', sa.String(length=16), nullable=False),
    sa.Column('course_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=120), nullable=False),
    sa.Column('key', sa.String(length=80), nullable=False),
    sa.Column('detail', sa.String(length=80), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('organisation_id', 'measure', 'course_id', 'department', 'key',
                            'detail', name=op.f('pk_report_count'))
    )
    op.create_table('report_learner',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('facts', sa.Text(), nullable=False),
    sa.Column('organisation_id', sa.Integer(), nullable=False),
    sa.Column('department', sa.String(length=120), nullable=False),
    sa.Column('courses', sa.Text(), nullable=False),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_report_learner'))
    )
    op.create_table('report_dirty',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_dirty'))
    )
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        op.execute(PG_FUNCTION)
    for statement in _triggers(dialect):
        op.execute(statement)
    # Everyone already enrolled is counted by the first refresh (a dashboard or the
    # worker), as if they had just changed.
    op.execute("INSERT INTO report_dirty (user_id) SELECT DISTINCT user_id FROM enrollment")


def downgrade():
    dialect = op.get_bind().dialect.name
    for table, (_, _) in MARKED.items():
        for operation in ("delete", "update", "insert"):
            name = f"report_mark_{table}_{operation}"
            if dialect == "postgresql":
                op.execute(f'DROP TRIGGER IF EXISTS {name} ON "{table}"')
            else:
                op.execute(f"DROP TRIGGER IF EXISTS {name}")
    if dialect == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS report_mark()")
    op.drop_table('report_dirty')
    op.drop_table('report_learner')
    op.drop_table('report_count')
