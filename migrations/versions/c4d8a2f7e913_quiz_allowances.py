"""quiz allowances: an admin's extra tries and lifted cool-downs, per person and quiz

Revision ID: c4d8a2f7e913
Revises: b7e2c4a91f03
Create Date: 2026-11-30 12:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'c4d8a2f7e913'
down_revision = 'b7e2c4a91f03'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'quiz_allowance',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('quiz_slug', sa.String(length=80), nullable=False),
        sa.Column('extra_attempts', sa.Integer(), server_default='0', nullable=False),
        sa.Column('cooldown_lifted_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('granted_by_id', sa.Integer(), nullable=True),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'], name=op.f('fk_quiz_allowance_user_id_user'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['granted_by_id'], ['user.id'],
                                name=op.f('fk_quiz_allowance_granted_by_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_quiz_allowance')),
        sa.UniqueConstraint('user_id', 'quiz_slug',
                            name=op.f('uq_quiz_allowance_user_id_quiz_slug')),
    )
    with op.batch_alter_table('quiz_allowance', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_quiz_allowance_user_id'), ['user_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('quiz_allowance', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_quiz_allowance_user_id'))
    op.drop_table('quiz_allowance')
