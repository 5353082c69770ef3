"""organisations: platforms, people, courses and audit events belong to one; platforms
may wait for approval; sessions can be ended; operators

Revision ID: 7a3c9e51d2b4
Revises: 5b1d0e7c2a10
Create Date: 2026-11-30 10:00:00.000000

Existing data: one organisation per issuer, which is what the tool treated as an
organisation until now.
"""
import datetime
from urllib.parse import urlsplit

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '7a3c9e51d2b4'
down_revision = '5b1d0e7c2a10'
branch_labels = None
depends_on = None


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
    conn = op.get_bind()
    meta = sa.MetaData()
    organisation = sa.Table('organisation', meta, sa.Column('id', sa.Integer, primary_key=True),
                            sa.Column('name', sa.String), sa.Column('created_at', sa.DateTime))
    tables = {name: sa.Table(name, meta, sa.Column('id', sa.Integer),
                             sa.Column('issuer', sa.String),
                             sa.Column('organisation_id', sa.Integer))
              for name in ('platform', 'user', 'course', 'survey_response')}
    platform_names = {}
    for issuer, name in conn.execute(sa.text('SELECT issuer, name FROM platform')):
        platform_names.setdefault(issuer, name)
    issuers = set()
    for table in tables.values():
        issuers |= {row[0] for row in conn.execute(sa.select(table.c.issuer).distinct())}
    now = datetime.datetime.now(datetime.timezone.utc)
    for issuer in sorted(issuers):
        name = platform_names.get(issuer) or urlsplit(issuer).netloc or issuer
        org_id = conn.execute(organisation.insert().values(name=name[:200], created_at=now)
                              .returning(organisation.c.id)).scalar_one()
        for table in tables.values():
            conn.execute(table.update().where(table.c.issuer == issuer)
                         .values(organisation_id=org_id))
    conn.execute(sa.text(
        'UPDATE audit_event SET organisation_id = (SELECT "user".organisation_id FROM "user" '
        'WHERE "user".id = COALESCE(audit_event.subject_id, audit_event.actor_id))'))


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
