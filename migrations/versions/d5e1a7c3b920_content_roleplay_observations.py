"""roleplay observations: a supervisor's rubric marking of an observed role-play

Revision ID: d5e1a7c3b920
Revises: 859a9dd4e20c
Create Date: 2026-11-30 15:40:00.000000
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'd5e1a7c3b920'
down_revision = '859a9dd4e20c'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'roleplay_observation',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('programme_slug', sa.String(length=80), nullable=False),
        sa.Column('roleplay_id', sa.String(length=80), nullable=False),
        sa.Column('roleplay_version', sa.String(length=64), nullable=False),
        sa.Column('supervisor_id', sa.Integer(), nullable=True),
        sa.Column('marks_json', sa.Text(), nullable=False),
        sa.Column('competent', sa.Boolean(), nullable=False),
        sa.Column('observed_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['user.id'],
                                name=op.f('fk_roleplay_observation_user_id_user'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['supervisor_id'], ['user.id'],
                                name=op.f('fk_roleplay_observation_supervisor_id_user'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_roleplay_observation')),
    )
    with op.batch_alter_table('roleplay_observation', schema=None) as batch_op:
        batch_op.create_index('ix_roleplay_observation_trainee', ['user_id', 'programme_slug'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_roleplay_observation_supervisor_id'),
                              ['supervisor_id'], unique=False)


def downgrade():
    with op.batch_alter_table('roleplay_observation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_roleplay_observation_supervisor_id'))
        batch_op.drop_index('ix_roleplay_observation_trainee')
    op.drop_table('roleplay_observation')
