"""user locale: the language of the person's latest launch, for their e-mails

Revision ID: f3b8d2a6c1e4
Revises: d5e1a7c3b920
Create Date: 2026-11-30 19:20:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'f3b8d2a6c1e4'
down_revision = 'd5e1a7c3b920'
branch_labels = None
depends_on = None


def upgrade():
    # A nullable column: ALTER TABLE ADD COLUMN on both databases, no table rebuilt.
    op.add_column('user', sa.Column('locale', sa.String(length=8), nullable=True))


def downgrade():
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('locale')
