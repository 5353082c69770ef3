"""platform: registered dynamically, accepts new deployments; deployment provenance

Revision ID: 5b1d0e7c2a10
Revises: 0c247369f842
Create Date: 2026-11-30 09:40:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5b1d0e7c2a10'
down_revision = '0c247369f842'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.add_column(sa.Column('registered_dynamically', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('accept_new_deployments', sa.Boolean(),
                                      server_default=sa.false(), nullable=False))
    with op.batch_alter_table('deployment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('added_by', sa.String(length=20),
                                      server_default='operator', nullable=False))


def downgrade():
    with op.batch_alter_table('deployment', schema=None) as batch_op:
        batch_op.drop_column('added_by')
    with op.batch_alter_table('platform', schema=None) as batch_op:
        batch_op.drop_column('accept_new_deployments')
        batch_op.drop_column('registered_dynamically')
