"""durable recording: history checkpoints, the recording work queue, the clan's owner mark

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('clan') as batch:
        batch.add_column(sa.Column('demo', sa.Boolean(), server_default='0', nullable=False))
    op.create_table('history_checkpoints',
    sa.Column('membership_id', sa.String(length=20), nullable=False),
    sa.Column('character_id', sa.String(length=20), nullable=False),
    sa.Column('checked_through', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('membership_id', 'character_id', name=op.f('pk_history_checkpoints'))
    )
    op.create_table('recording_work',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('subject', sa.String(length=20), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('priority', sa.Integer(), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_try_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_recording_work'))
    )
    op.create_index(op.f('ix_recording_work_next_try_at'), 'recording_work', ['next_try_at'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_recording_work_next_try_at'), table_name='recording_work')
    op.drop_table('recording_work')
    op.drop_table('history_checkpoints')
    with op.batch_alter_table('clan') as batch:
        batch.drop_column('demo')
