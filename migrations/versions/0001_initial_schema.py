"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001'
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('activity_definitions',
    sa.Column('hash', sa.BigInteger(), autoincrement=False, nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('mode', sa.Integer(), nullable=True),
    sa.Column('mode_types', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('pgcr_image', sa.Text(), nullable=True),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('hash', name=op.f('pk_activity_definitions'))
    )
    op.create_table('activity_instances',
    sa.Column('instance_id', sa.String(length=20), nullable=False),
    sa.Column('activity_hash', sa.BigInteger(), nullable=False),
    sa.Column('mode', sa.Integer(), nullable=True),
    sa.Column('period', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_seconds', sa.Integer(), nullable=False),
    sa.Column('completed', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_activity_instances'))
    )
    with op.batch_alter_table('activity_instances', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_activity_instances_period'), ['period'], unique=False)

    op.create_table('clan',
    sa.Column('group_id', sa.String(length=20), nullable=False),
    sa.Column('name', sa.Text(), nullable=False),
    sa.Column('motto', sa.Text(), nullable=False),
    sa.Column('member_count', sa.Integer(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('group_id', name=op.f('pk_clan'))
    )
    op.create_table('events',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('membership_ids', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('activity_hash', sa.BigInteger(), nullable=True),
    sa.Column('activity_mode', sa.Integer(), nullable=True),
    sa.Column('instance_id', sa.String(length=20), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('dedupe_key', sa.String(length=200), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_events_dedupe_key'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_events_kind'), ['kind', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_events_occurred_at'), ['occurred_at'], unique=False)

    op.create_table('members',
    sa.Column('membership_id', sa.String(length=20), nullable=False),
    sa.Column('membership_type', sa.Integer(), nullable=False),
    sa.Column('display_name', sa.Text(), nullable=False),
    sa.Column('bungie_name', sa.Text(), nullable=False),
    sa.Column('rank', sa.String(length=20), nullable=False),
    sa.Column('joined_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('is_online', sa.Boolean(), nullable=False),
    sa.Column('last_online_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('in_clan', sa.Boolean(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('membership_id', name=op.f('pk_members'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_bungie_name'), ['bungie_name'], unique=False)

    op.create_table('pgcrs',
    sa.Column('instance_id', sa.String(length=20), nullable=False),
    sa.Column('payload', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('instance_id', name=op.f('pk_pgcrs'))
    )
    op.create_table('event_members',
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('membership_id', sa.String(length=20), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_members_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('event_id', 'membership_id', name=op.f('pk_event_members'))
    )
    with op.batch_alter_table('event_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_event_members_membership_id'), ['membership_id'], unique=False)

    op.create_table('member_activities',
    sa.Column('membership_id', sa.String(length=20), nullable=False),
    sa.Column('instance_id', sa.String(length=20), nullable=False),
    sa.Column('character_id', sa.String(length=20), nullable=False),
    sa.Column('period', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed', sa.Boolean(), nullable=False),
    sa.Column('completion_reason', sa.Integer(), nullable=True),
    sa.Column('kills', sa.Integer(), nullable=False),
    sa.Column('deaths', sa.Integer(), nullable=False),
    sa.Column('assists', sa.Integer(), nullable=False),
    sa.Column('time_played_seconds', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['activity_instances.instance_id'], name=op.f('fk_member_activities_instance_id_activity_instances'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('membership_id', 'instance_id', name=op.f('pk_member_activities'))
    )
    with op.batch_alter_table('member_activities', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_activities_membership_id'), ['membership_id', 'period'], unique=False)

    op.create_table('member_stats',
    sa.Column('membership_id', sa.String(length=20), nullable=False),
    sa.Column('kills', sa.BigInteger(), nullable=False),
    sa.Column('deaths', sa.BigInteger(), nullable=False),
    sa.Column('activities_cleared', sa.BigInteger(), nullable=False),
    sa.Column('raid_clears', sa.BigInteger(), nullable=False),
    sa.Column('time_played_seconds', sa.BigInteger(), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['membership_id'], ['members.membership_id'], name=op.f('fk_member_stats_membership_id_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('membership_id', name=op.f('pk_member_stats'))
    )


def downgrade() -> None:
    op.drop_table('member_stats')
    with op.batch_alter_table('member_activities', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_activities_membership_id'))

    op.drop_table('member_activities')
    with op.batch_alter_table('event_members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_event_members_membership_id'))

    op.drop_table('event_members')
    op.drop_table('pgcrs')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_bungie_name'))

    op.drop_table('members')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_events_occurred_at'))
        batch_op.drop_index(batch_op.f('ix_events_kind'))

    op.drop_table('events')
    op.drop_table('clan')
    with op.batch_alter_table('activity_instances', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_activity_instances_period'))

    op.drop_table('activity_instances')
    op.drop_table('activity_definitions')
