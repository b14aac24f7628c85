"""What the app keeps, as SQLAlchemy 2 tables.

`events` is the operators' table (docs/api.md, "The events table"); the rest is the
app's memory of the clan: roster, account stats, activity instances with their PGCRs,
and activity definitions.
Bungie ids (int64) are stored as text, hashes (uint32) as BIGINT.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# JSONB on PostgreSQL so operators can query with ->, ->> and @>.
JsonDoc = JSON().with_variant(JSONB(), "postgresql")
# SQLite only auto-increments a column declared exactly INTEGER PRIMARY KEY.
EventId = BigInteger().with_variant(Integer(), "sqlite")


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on both databases (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Clan(Base):
    __tablename__ = "clan"

    group_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(Text)
    motto: Mapped[str] = mapped_column(Text, default="")
    member_count: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # The first roster sync of this database: history before it is seeded, not announced.
    first_synced_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # A database belongs to one clan; the demo's simulated clan is marked so a real clan
    # never starts on the demo's database.
    demo: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")


class Member(Base):
    """A clan member as the roster last showed them; `in_clan` false once they left."""

    __tablename__ = "members"

    membership_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    membership_type: Mapped[int] = mapped_column(Integer)
    display_name: Mapped[str] = mapped_column(Text)
    bungie_name: Mapped[str] = mapped_column(Text, index=True)
    rank: Mapped[str] = mapped_column(String(20))
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    is_online: Mapped[bool] = mapped_column(Boolean, default=False)
    last_online_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    in_clan: Mapped[bool] = mapped_column(Boolean, default=True)
    character_ids: Mapped[list[str]] = mapped_column(JsonDoc, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MemberStats(Base):
    """Account-wide historical stats of one member, as last fetched."""

    __tablename__ = "member_stats"

    membership_id: Mapped[str] = mapped_column(
        ForeignKey("members.membership_id", ondelete="CASCADE"), primary_key=True
    )
    kills: Mapped[int] = mapped_column(BigInteger, default=0)
    deaths: Mapped[int] = mapped_column(BigInteger, default=0)
    activities_cleared: Mapped[int] = mapped_column(BigInteger, default=0)
    raid_clears: Mapped[int] = mapped_column(BigInteger, default=0)
    time_played_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ActivityDefinition(Base):
    """DestinyActivityDefinition essentials; fetched once per hash, never again."""

    __tablename__ = "activity_definitions"

    hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(Text)
    mode: Mapped[int | None] = mapped_column(Integer, nullable=True)
    mode_types: Mapped[list[int]] = mapped_column(JsonDoc, default=list)
    pgcr_image: Mapped[str | None] = mapped_column(Text, nullable=True)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ActivityInstance(Base):
    """One finished activity instance played by clan members (a PGCR id)."""

    __tablename__ = "activity_instances"

    instance_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    activity_hash: Mapped[int] = mapped_column(BigInteger)
    mode: Mapped[int | None] = mapped_column(Integer, nullable=True)
    period: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    duration_seconds: Mapped[int] = mapped_column(Integer, default=0)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)

    # How long an activity's (or its mode's) newest runs lasted (poll pacing).
    __table_args__ = (
        Index("ix_activity_instances_hash_period", "activity_hash", "period"),
        Index("ix_activity_instances_mode_period", "mode", "period"),
    )


class MemberActivity(Base):
    """A member's own history row for an instance: who of the clan played what."""

    __tablename__ = "member_activities"

    membership_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    instance_id: Mapped[str] = mapped_column(
        ForeignKey("activity_instances.instance_id", ondelete="CASCADE"), primary_key=True
    )
    character_id: Mapped[str] = mapped_column(String(20))
    period: Mapped[datetime] = mapped_column(UTCDateTime)
    completed: Mapped[bool] = mapped_column(Boolean, default=False)
    completion_reason: Mapped[int | None] = mapped_column(Integer, nullable=True)
    kills: Mapped[int] = mapped_column(Integer, default=0)
    deaths: Mapped[int] = mapped_column(Integer, default=0)
    assists: Mapped[int] = mapped_column(Integer, default=0)
    time_played_seconds: Mapped[int] = mapped_column(Integer, default=0)
    # When the member's part ended (period + the activity's duration): clears count by it.
    ended_at: Mapped[datetime | None] = mapped_column(
        UTCDateTime, nullable=True, default=lambda ctx: ctx.get_current_parameters()["period"]
    )
    # The instance's mode (DestinyActivityModeType), kept here too: clears count from
    # this table alone.
    mode: Mapped[int | None] = mapped_column(Integer, nullable=True)

    __table_args__ = (
        Index(None, "membership_id", "period"),
        Index("ix_member_activities_ended_at", "ended_at"),
        Index("ix_member_activities_mode_ended_at", "mode", "ended_at"),
        # The clan's week (leaderboards) and who shared an instance (played together).
        Index("ix_member_activities_period_only", "period"),
        Index("ix_member_activities_instance_id", "instance_id"),
    )


class Pgcr(Base):
    """A Post Game Carnage Report, stored as Bungie sent it: immutable, fetched once."""

    __tablename__ = "pgcrs"

    instance_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    fetched_at: Mapped[datetime] = mapped_column(UTCDateTime)


class HistoryImport(Base):
    """How far a member's history from before the install has been read: per character,
    the next page (newest first) to read; `done_at` once every character reached the end
    or `floor`. A restart resumes from here."""

    __tablename__ = "history_imports"

    membership_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    floor: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)  # None: all
    pages: Mapped[dict[str, Any]] = mapped_column(JsonDoc)  # characterId -> next page or -1
    rows: Mapped[int] = mapped_column(Integer, default=0)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    private: Mapped[bool] = mapped_column(Boolean, default=False)


class Season(Base):
    """A season from Bungie's manifest: the leaderboards' season starts at `start_at`."""

    __tablename__ = "seasons"

    hash: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    name: Mapped[str] = mapped_column(String(200))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    end_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class HistoryCheckpoint(Base):
    """How far one character's activity history has been read and recorded.

    Only a read of that history moves it (never another member's PGCR), so everything
    the character finished after `checked_through` is still to be looked at.
    """

    __tablename__ = "history_checkpoints"

    membership_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    character_id: Mapped[str] = mapped_column(String(20), primary_key=True)
    checked_through: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime)


class RecordingWork(Base):
    """Recording work not yet done: a history to read or a PGCR to fetch and announce.

    Written before anything is fetched and deleted only in the transaction that finishes
    it (for an announced PGCR: the one that stores its event), so a crash at any moment
    leaves the work here to be done on the next start.
    """

    __tablename__ = "recording_work"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # "history:ID", "pgcr:ID"
    kind: Mapped[str] = mapped_column(String(16))  # history | pgcr | prefetch
    subject: Mapped[str] = mapped_column(String(20))  # membershipId or instanceId
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    # 0: news and catch-up (first); 1: a new member's first look, a prefetch (paced)
    priority: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_try_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class EventRow(Base):
    """The event log. One row per happening, kept unique by `dedupe_key`."""

    __tablename__ = "events"

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(32))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    membership_ids: Mapped[list[str]] = mapped_column(JsonDoc)
    activity_hash: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    activity_mode: Mapped[int | None] = mapped_column(Integer, nullable=True)
    instance_id: Mapped[str | None] = mapped_column(String(20), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    dedupe_key: Mapped[str] = mapped_column(String(200), unique=True)

    __table_args__ = (
        Index(None, "kind", "occurred_at"),
        Index(None, "occurred_at"),
        Index("ix_events_kind_id", "kind", "id"),  # /feed?kind=...: newest first by id
    )


class EventMember(Base):
    """One row per (event, member): plain joins for operators' per-member queries."""

    __tablename__ = "event_members"

    event_id: Mapped[int] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), primary_key=True
    )
    membership_id: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)

    # /feed?member=... and a member's presence: their events newest first by id.
    __table_args__ = (Index("ix_event_members_member_event", "membership_id", "event_id"),)


class LiveSnapshot(Base):
    """The poller's newest clan snapshot, for the other `serve` processes."""

    __tablename__ = "live_snapshot"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    version: Mapped[int] = mapped_column(BigInteger)
    payload: Mapped[dict[str, Any]] = mapped_column(JsonDoc)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class OutboxRow(Base):
    """A Discord message owed to one webhook, written in the transaction
    that stores its event, so a crash between storing and sending loses nothing.

    `key` names what is owed (`event:ID:WEBHOOK`, `digest:WEEK:WEBHOOK`) so it is owed once.
    Rows are sent oldest first per webhook and marked `sent_at` once Discord accepted them
    (`failed` when Discord refused the message itself, so it never blocks the queue).
    """

    __tablename__ = "discord_outbox"

    id: Mapped[int] = mapped_column(EventId, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(120), unique=True)
    webhook_id: Mapped[str] = mapped_column(String(24))
    event_id: Mapped[int | None] = mapped_column(
        ForeignKey("events.id", ondelete="CASCADE"), nullable=True
    )
    message: Mapped[dict[str, Any] | None] = mapped_column(JsonDoc, nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    failed: Mapped[bool] = mapped_column(Boolean, default=False)

    __table_args__ = (Index(None, "webhook_id", "sent_at", "id"),)


class DiscordWebhook(Base):
    """A webhook Discord answered 401/404 for: disabled until the next start tries it."""

    __tablename__ = "discord_webhooks"

    webhook_id: Mapped[str] = mapped_column(String(24), primary_key=True)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)


class WebSession(Base):
    """A signed-in player (docs/api.md, "Sign-in"). The cookie holds a random id; this row is keyed
    by its SHA-256, so the table alone lets nobody in. `tokens` is the OAuth access and
    refresh tokens, encrypted (Fernet) with CLANACTORS_SECRET_KEY by the web side."""

    __tablename__ = "web_sessions"

    id_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    membership_id: Mapped[str] = mapped_column(String(20), index=True)
    membership_type: Mapped[int] = mapped_column(Integer)
    display_name: Mapped[str] = mapped_column(Text)
    tokens: Mapped[str] = mapped_column(Text)
    access_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    refresh_expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)


class SigninState(Base):
    """A sign-in under way: its one-time `state` (hashed), taken once by the callback."""

    __tablename__ = "signin_states"

    state_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
