"""organisations: platforms, people, courses and audit events belong to one; platforms
may wait for approval; sessions can be ended; operators

Revision ID: 7a3c9e51d2b4
Revises: 5b1d0e7c2a10
Create Date: 2026-11-30 10:00:00.000000

Existing data: one organisation per issuer, which is what the tool treated as an
organisation until now.
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3c9e51d2b4'
down_revision = '5b1d0e7c2a10'
branch_labels = None
depends_on = None

ISSUER_TABLES = ('platform', 'user', 'course', 'survey_response')


def upgrade():
    op.create_table(
        'organisation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_organisation')),
    )
    for table in ('platform', 'user', 'course', 'audit_event', 'survey_response'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('organisation_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.add_column(sa.Column('approved', sa.Boolean(), server_default=sa.true(),
                                      nullable=False))
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='1',
                                      nullable=False))
        batch_op.add_column(sa.Column('admin_role', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))
    with op.batch_alter_table('local_credential', schema=None) as batch_op:
        batch_op.add_column(sa.Column('is_operator', sa.Boolean(), server_default=sa.false(),
                                      nullable=False))

    _assign_organisations()

    for table in ('platform', 'user', 'course', 'survey_response'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column('organisation_id', existing_type=sa.Integer(),
                                  nullable=False)
    for table in ('platform', 'user', 'course', 'audit_event', 'survey_response'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.create_index(batch_op.f(f'ix_{table}_organisation_id'),
                                  ['organisation_id'], unique=False)
            batch_op.create_foreign_key(
                batch_op.f(f'fk_{table}_organisation_id_organisation'), 'organisation',
                ['organisation_id'], ['id'], ondelete='CASCADE')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint('uq_user_issuer_sub', type_='unique')
        batch_op.create_unique_constraint(batch_op.f('uq_user_organisation_id_issuer_sub'),
                                          ['organisation_id', 'issuer', 'sub'])
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_constraint('uq_course_issuer_context_id', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_course_organisation_id_issuer_context_id'),
            ['organisation_id', 'issuer', 'context_id'])


def _assign_organisations():
    """In plain SQL, so `db upgrade --sql` can print it too: one organisation per issuer
    (named after a platform of that issuer, else the issuer), then every row of that
    issuer into it."""
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.add_column(sa.Column('seed_issuer', sa.String(length=500), nullable=True))
    issuers = ' UNION '.join(f'SELECT issuer FROM "{t}"' for t in ISSUER_TABLES)
    op.execute(
        'INSERT INTO organisation (name, created_at, seed_issuer) '
        'SELECT SUBSTR(COALESCE(MIN(platform.name), i.issuer), 1, 200), CURRENT_TIMESTAMP, '
        f'i.issuer FROM ({issuers}) AS i '
        'LEFT JOIN platform ON platform.issuer = i.issuer GROUP BY i.issuer')
    for table in ISSUER_TABLES:
        op.execute(f'UPDATE "{table}" SET organisation_id = (SELECT organisation.id FROM '
                   f'organisation WHERE organisation.seed_issuer = "{table}".issuer)')
    op.execute(
        'UPDATE audit_event SET organisation_id = (SELECT "user".organisation_id FROM "user" '
        'WHERE "user".id = COALESCE(audit_event.subject_id, audit_event.actor_id))')
    with op.batch_alter_table('organisation', schema=None) as batch_op:
        batch_op.drop_column('seed_issuer')


def downgrade():
    with op.batch_alter_table('course', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_course_organisation_id_issuer_context_id'),
                                 type_='unique')
        batch_op.create_unique_constraint('uq_course_issuer_context_id',
                                          ['issuer', 'context_id'])
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_user_organisation_id_issuer_sub'),
                                 type_='unique')
        batch_op.create_unique_constraint('uq_user_issuer_sub', ['issuer', 'sub'])
    for table in ('platform', 'user', 'course', 'audit_event', 'survey_response'):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(batch_op.f(f'fk_{table}_organisation_id_organisation'),
                                     type_='foreignkey')
            batch_op.drop_index(batch_op.f(f'ix_{table}_organisation_id'))
            batch_op.drop_column('organisation_id')
    with op.batch_alter_table('local_credential', schema=None) as batch_op:
        batch_op.drop_column('is_operator')
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('admin_role')
        batch_op.drop_column('session_version')
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.drop_column('approved')
    op.drop_table('organisation')
