"""activity durations: an activity's (or its mode's) newest runs (poll pacing)

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_activity_instances_hash_period', 'activity_instances', ['activity_hash', 'period'], unique=False)
    op.create_index('ix_activity_instances_mode_period', 'activity_instances', ['mode', 'period'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_activity_instances_mode_period', table_name='activity_instances')
    op.drop_index('ix_activity_instances_hash_period', table_name='activity_instances')
