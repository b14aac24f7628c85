"""history import: per-member progress of reading history from before the install, when
each member's part of an activity ended, and the manifest's seasons

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0007'
down_revision: str | None = '0006'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5000


def upgrade() -> None:
    op.create_table('history_imports',
    sa.Column('membership_id', sa.String(length=20), nullable=False),
    sa.Column('floor', sa.DateTime(timezone=True), nullable=True),
    sa.Column('pages', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('done_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('private', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('membership_id', name=op.f('pk_history_imports'))
    )
    op.create_table('seasons',
    sa.Column('hash', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('start_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('end_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('hash', name=op.f('pk_seasons'))
    )
    op.create_index(op.f('ix_seasons_start_at'), 'seasons', ['start_at'], unique=False)
    with op.batch_alter_table('member_activities') as batch:
        batch.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column('mode', sa.Integer(), nullable=True))
        batch.create_index('ix_member_activities_ended_at', ['ended_at'], unique=False)
        batch.create_index('ix_member_activities_mode_ended_at', ['mode', 'ended_at'], unique=False)
    _fill_ended_at()


def _fill_ended_at() -> None:
    """Rows stored before this revision: ended = started + the instance's duration, and
    the instance's mode."""
    bind = op.get_bind()
    mine = sa.table(
        'member_activities',
        sa.column('membership_id', sa.String),
        sa.column('instance_id', sa.String),
        sa.column('period', sa.DateTime(timezone=True)),
        sa.column('ended_at', sa.DateTime(timezone=True)),
        sa.column('mode', sa.Integer),
    )
    instances = sa.table(
        'activity_instances',
        sa.column('instance_id', sa.String),
        sa.column('duration_seconds', sa.Integer),
        sa.column('mode', sa.Integer),
    )
    while True:
        rows = bind.execute(
            sa.select(
                mine.c.membership_id,
                mine.c.instance_id,
                mine.c.period,
                instances.c.duration_seconds,
                instances.c.mode,
            )
            .join(instances, instances.c.instance_id == mine.c.instance_id)
            .where(mine.c.ended_at.is_(None))
            .limit(BATCH)
        ).all()
        if not rows:
            return
        for membership_id, instance_id, period, duration, mode in rows:
            bind.execute(
                mine.update()
                .where(mine.c.membership_id == membership_id, mine.c.instance_id == instance_id)
                .values(ended_at=period + timedelta(seconds=duration or 0), mode=mode)
            )


def downgrade() -> None:
    with op.batch_alter_table('member_activities') as batch:
        batch.drop_index('ix_member_activities_mode_ended_at')
        batch.drop_index('ix_member_activities_ended_at')
        batch.drop_column('mode')
        batch.drop_column('ended_at')
    op.drop_index(op.f('ix_seasons_start_at'), table_name='seasons')
    op.drop_table('seasons')
    op.drop_table('history_imports')
