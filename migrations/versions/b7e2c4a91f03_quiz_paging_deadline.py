"""quiz attempts: a stored deadline (time limit) and the questions flagged for review

Revision ID: b7e2c4a91f03
Revises: a7c3e91f04d2
Create Date: 2026-11-30 10:30:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'b7e2c4a91f03'
down_revision = 'a7c3e91f04d2'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deadline_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('flagged_json', sa.Text(), server_default='[]',
                                      nullable=False))


def downgrade():
    with op.batch_alter_table('quiz_attempt', schema=None) as batch_op:
        batch_op.drop_column('flagged_json')
        batch_op.drop_column('deadline_at')
