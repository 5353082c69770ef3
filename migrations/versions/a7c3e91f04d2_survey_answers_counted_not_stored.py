"""survey: answers counted (survey_tally), not stored per person; completions with random
ids and no date

Every answer of survey_response becomes a count in survey_tally (nothing is lost: each
answer is counted once). A department keeps its own counters only if at least
LMS_PLUGIN_MIN_GROUP_SIZE of its people answered that phase (the most answers any one
item got there); otherwise its answers are counted for no department. Completions get
random ids, lose their date and are written back in random order.

Revision ID: a7c3e91f04d2
Revises: 7a3c9e51d2b4
Create Date: 2026-11-30 10:30:00.000000

"""
import random
import uuid
from collections import defaultdict
from datetime import date, timedelta

import sqlalchemy as sa
from alembic import context, op

# revision identifiers, used by Alembic.
revision = 'a7c3e91f04d2'
down_revision = '7a3c9e51d2b4'
branch_labels = None
depends_on = None

NO_DEPARTMENT = "Not recorded"
UNATTRIBUTED = ""
SCALE = (1, 2, 3, 4, 5)


def _min_group_size():
    try:
        from flask import current_app

        return max(1, int(current_app.config.get("LMS_PLUGIN_MIN_GROUP_SIZE", 5)))
    except RuntimeError:  # outside the app: the default
        return 5


def _tally_table():
    return op.create_table(
        'survey_tally',
        sa.Column('id', sa.String(length=32), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.Column('phase', sa.String(length=10), nullable=False),
        sa.Column('department', sa.String(length=120), nullable=False),
        sa.Column('item_id', sa.String(length=80), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.Column('people', sa.Integer(), server_default='0', nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_survey_tally_organisation_id_organisation'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_tally')),
        sa.UniqueConstraint(
            'organisation_id', 'phase', 'department', 'item_id', 'value',
            name=op.f('uq_survey_tally_organisation_id_phase_department_item_id_value')),
        sqlite_with_rowid=False,
    )


def _old_response_table():
    table = op.create_table(
        'survey_response',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('phase', sa.String(length=10), nullable=False),
        sa.Column('item_id', sa.String(length=80), nullable=False),
        sa.Column('value', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=500), nullable=False),
        sa.Column('department', sa.String(length=120), nullable=True),
        sa.Column('week', sa.Date(), nullable=False),
        sa.Column('organisation_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['organisation_id'], ['organisation.id'],
                                name=op.f('fk_survey_response_organisation_id_organisation'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_response')),
    )
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.create_index('ix_survey_response_item', ['phase', 'item_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_survey_response_organisation_id'),
                              ['organisation_id'], unique=False)
    return table


def _completion_table(old=False):
    columns = [sa.Column('id', sa.Integer(), nullable=False) if old
               else sa.Column('id', sa.String(length=32), nullable=False),
               sa.Column('user_id', sa.Integer(), nullable=False),
               sa.Column('phase', sa.String(length=10), nullable=False)]
    if old:
        columns.append(sa.Column('on', sa.Date(), nullable=False))
    return op.create_table(
        'survey_completion', *columns,
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_survey_completion_user_id_user'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_survey_completion')),
        sa.UniqueConstraint('user_id', 'phase', name=op.f('uq_survey_completion_user_id_phase')),
        **({} if old else {'sqlite_with_rowid': False}),
    )


def upgrade():
    bind = op.get_bind()
    shuffle = random.SystemRandom().shuffle
    min_size = _min_group_size()

    response = sa.table('survey_response', sa.column('organisation_id'), sa.column('phase'),
                        sa.column('department'), sa.column('item_id'), sa.column('value'))
    department = sa.func.coalesce(response.c.department, NO_DEPARTMENT)
    # `--sql` (offline) prints the schema change only: it cannot count existing answers.
    answers = [] if context.is_offline_mode() else bind.execute(
        sa.select(response.c.organisation_id, response.c.phase, department,
                  response.c.item_id, response.c.value, sa.func.count())
        .group_by(response.c.organisation_id, response.c.phase, department,
                  response.c.item_id, response.c.value)).all()
    per_item = defaultdict(int)
    for org, phase, dept, item, _value, n in answers:
        per_item[(org, phase, dept, item)] += n
    respondents = defaultdict(int)
    for (org, phase, dept, _item), n in per_item.items():
        respondents[(org, phase, dept)] = max(respondents[(org, phase, dept)], n)
    counts = defaultdict(int)
    items = defaultdict(set)
    values = set(SCALE)
    for org, phase, dept, item, value, n in answers:
        group = dept if respondents[(org, phase, dept)] >= min_size else UNATTRIBUTED
        counts[(org, phase, group, item, value)] += n
        items[(org, phase)].add(item)
        values.add(value)
    groups = sorted({key[:3] for key in counts})

    tally = _tally_table()
    rows = [{'id': uuid.uuid4().hex, 'organisation_id': org, 'phase': phase,
             'department': group,
             'item_id': item, 'value': value,
             'people': counts.get((org, phase, group, item, value), 0)}
            for org, phase, group in groups
            for item in sorted(items[(org, phase)]) for value in sorted(values)]
    if rows:
        op.bulk_insert(tally, rows)
    with op.batch_alter_table('survey_response', schema=None) as batch_op:
        batch_op.drop_index('ix_survey_response_item')
        batch_op.drop_index(batch_op.f('ix_survey_response_organisation_id'))
    op.drop_table('survey_response')

    completion = sa.table('survey_completion', sa.column('user_id'), sa.column('phase'))
    done = [] if context.is_offline_mode() else [{'user_id': u, 'phase': p} for u, p in bind.execute(
        sa.select(completion.c.user_id, completion.c.phase)).all()]
    op.drop_table('survey_completion')
    new = _completion_table()
    shuffle(done)  # written back in no particular order
    if done:
        op.bulk_insert(new, [{'id': uuid.uuid4().hex, **row} for row in done])


def downgrade():
    bind = op.get_bind()
    monday = date.today() - timedelta(days=date.today().weekday())  # the week is not kept

    tally = sa.table('survey_tally', sa.column('organisation_id'), sa.column('phase'),
                     sa.column('department'), sa.column('item_id'), sa.column('value'),
                     sa.column('people'))
    counted = bind.execute(sa.select(tally).where(tally.c.people > 0)).all()
    op.drop_table('survey_tally')
    response = _old_response_table()
    # The issuer is not kept with the counts; the organisation is.
    rows = [{'issuer': '', 'organisation_id': org, 'phase': phase,
             'department': None if group in (UNATTRIBUTED, NO_DEPARTMENT) else group,
             'item_id': item,
             'value': value, 'week': monday}
            for org, phase, group, item, value, people in counted for _ in range(people)]
    if rows:
        op.bulk_insert(response, rows)

    completion = sa.table('survey_completion', sa.column('user_id'), sa.column('phase'))
    done = bind.execute(sa.select(completion.c.user_id, completion.c.phase)).all()
    op.drop_table('survey_completion')
    old = _completion_table(old=True)
    if done:
        op.bulk_insert(old, [{'user_id': u, 'phase': p, 'on': monday} for u, p in done])
