"""discord outbox: messages owed to each webhook, and the webhooks Discord disabled

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('discord_webhooks',
    sa.Column('webhook_id', sa.String(length=24), nullable=False),
    sa.Column('disabled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('status', sa.Integer(), nullable=True),
    sa.PrimaryKeyConstraint('webhook_id', name=op.f('pk_discord_webhooks'))
    )
    op.create_table('discord_outbox',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('key', sa.String(length=120), nullable=False),
    sa.Column('webhook_id', sa.String(length=24), nullable=False),
    sa.Column('event_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('message', sa.JSON().with_variant(postgresql.JSONB(), 'postgresql'), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_discord_outbox_event_id_events'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_discord_outbox')),
    sa.UniqueConstraint('key', name=op.f('uq_discord_outbox_key'))
    )
    op.create_index(op.f('ix_discord_outbox_webhook_id'), 'discord_outbox', ['webhook_id', 'sent_at', 'id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_discord_outbox_webhook_id'), table_name='discord_outbox')
    op.drop_table('discord_outbox')
    op.drop_table('discord_webhooks')
