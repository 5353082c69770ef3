"""certification re-enrolment: when a lapsed person enrolled afresh

Revision ID: e51f0a9c3b72
Revises: c4d8a2f7e913
Create Date: 2026-11-30 15:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'e51f0a9c3b72'
down_revision = 'c4d8a2f7e913'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('programme_enrolment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reenrolled_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('programme_enrolment', schema=None) as batch_op:
        batch_op.drop_column('reenrolled_at')
