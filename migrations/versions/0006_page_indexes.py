"""page indexes: the week's activities, shared instances, the feed by kind and by member

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_member_activities_period_only', 'member_activities', ['period'], unique=False)
    op.create_index('ix_member_activities_instance_id', 'member_activities', ['instance_id'], unique=False)
    op.create_index('ix_events_kind_id', 'events', ['kind', 'id'], unique=False)
    op.create_index('ix_event_members_member_event', 'event_members', ['membership_id', 'event_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_event_members_member_event', table_name='event_members')
    op.drop_index('ix_events_kind_id', table_name='events')
    op.drop_index('ix_member_activities_instance_id', table_name='member_activities')
    op.drop_index('ix_member_activities_period_only', table_name='member_activities')
