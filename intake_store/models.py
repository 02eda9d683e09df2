"""The ticket store's tables (SQLModel). Alembic owns the schema: any change
here goes with a migration in `intake_store/migrations/versions/`."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import JSON, Column, DateTime, ForeignKey, Index, Integer, Numeric, String, Text, TypeDecorator, UniqueConstraint
from sqlmodel import Field, SQLModel


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware datetimes on every database: stored as UTC, returned aware.

    SQLite has no time zones; without this, SQLite and PostgreSQL would hand
    back different kinds of datetime and the clocks would disagree."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(timezone.utc).replace(tzinfo=None)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=timezone.utc)


def ts_column(nullable: bool = False) -> Any:
    if nullable:
        return Field(default=None, sa_column=Column(UTCDateTime(), nullable=True))
    return Field(sa_column=Column(UTCDateTime(), nullable=False))


def json_column(default_factory=dict) -> Any:
    return Field(default_factory=default_factory, sa_column=Column(JSON, nullable=False))


class Department(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    short: str = Field(max_length=100)
    level: str = Field(max_length=8)  # 市 / 区县 / 街道
    parent_code: str | None = Field(default=None, foreign_key="department.code", max_length=64)
    supervisor_code: str | None = Field(default=None, foreign_key="department.code", max_length=64)
    aliases: list[str] = json_column(list)
    active: bool = True


class Category(SQLModel, table=True):
    code: str = Field(primary_key=True, max_length=64)
    name: str = Field(max_length=200)
    supervisor_code: str = Field(max_length=64)
    local: bool = False
    complex: bool = False
    respondent_assists: bool = False
    clocks: dict = json_column(dict)


class Ticket(SQLModel, table=True):
    """The complaint itself. Who complained lives in `complainant`, so that a
    department's view can never pick up the identity by accident."""

    __table_args__ = (
        Index("ix_ticket_open_due", "next_due_at", "state"),
        Index("ix_ticket_lead_state", "lead_code", "state"),
        Index("ix_ticket_category_state", "category_code", "state"),
    )
    id: int | None = Field(default=None, primary_key=True)
    number: str = Field(max_length=20, unique=True)
    query_nonce: str = Field(max_length=64)  # the query code is derived from it with the server secret
    idempotency_key: str | None = Field(default=None, max_length=128, unique=True)
    created_at: datetime = ts_column(nullable=False)
    channel: str = Field(max_length=20)
    conversation_id: str | None = Field(default=None, max_length=200, index=True)

    category_code: str = Field(max_length=64)
    category_confidence: float | None = None
    description: str = Field(sa_column=Column(Text, nullable=False))
    respondent: str | None = Field(default=None, max_length=200)  # 被投诉单位, as the citizen named it
    respondent_code: str | None = Field(default=None, max_length=64)
    promise: str | None = Field(default=None, sa_column=Column(Text))  # 承诺内容 / 拖欠事项
    promise_date: str | None = Field(default=None, max_length=100)  # 承诺时间, as said
    amount_yuan: Decimal | None = Field(default=None, sa_column=Column(Numeric(16, 2)))
    reference: str | None = Field(default=None, max_length=200)  # 合同、判决、项目编号
    place: str | None = Field(default=None, max_length=200)
    district_code: str | None = Field(default=None, max_length=64)
    evidence: str | None = Field(default=None, sa_column=Column(Text))
    urgent: bool = False
    urgency_reason: str | None = Field(default=None, max_length=200)
    anonymous: bool = False
    consent_disclose: bool = False
    field_sources: dict = json_column(dict)  # field -> {"message_id", "text"}
    routing_notes: list[str] = json_column(list)

    # Derived from the events on every change (kept for indexes and listings).
    state: str = Field(max_length=20, index=True)
    lead_code: str | None = Field(default=None, max_length=64)
    co_codes: list[str] = json_column(list)
    next_due_at: datetime | None = ts_column(nullable=True)
    next_due_clock: str | None = Field(default=None, max_length=20)
    reply_due_at: datetime | None = ts_column(nullable=True)
    merged_into: str | None = Field(default=None, max_length=20)
    updated_at: datetime = ts_column(nullable=False)


class Assignment(SQLModel, table=True):
    """Which departments a ticket is routed to now (lead or assisting): what a department may see."""

    __table_args__ = (UniqueConstraint("ticket_id", "department_code"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    department_code: str = Field(foreign_key="department.code", max_length=64, index=True)
    role: str = Field(max_length=8)  # lead | co


class Complainant(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    name: str | None = Field(default=None, max_length=100)
    phone: str | None = Field(default=None, max_length=30)
    channel: str = Field(max_length=20)
    sender_id: str | None = Field(default=None, max_length=200)


class TicketEvent(SQLModel, table=True):
    """Append-only history: nothing updates or deletes a row here."""

    __tablename__ = "ticket_event"
    __table_args__ = (UniqueConstraint("ticket_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    seq: int
    at: datetime = ts_column(nullable=False)
    actor: str = Field(max_length=100)
    role: str = Field(max_length=20)
    action: str = Field(max_length=30)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    payload: dict = json_column(dict)


class Conversation(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=200)  # "<channel>:<sender id>"
    channel: str = Field(max_length=20)
    sender_id: str = Field(max_length=200)
    started_at: datetime = ts_column(nullable=False)
    last_message_at: datetime = ts_column(nullable=False)
    needs_operator: bool = Field(default=False, index=True)
    handoff_reason: str | None = Field(default=None, max_length=500)


class Message(SQLModel, table=True):
    # A Telegram update, a web client's message id or an outbox notification is
    # stored once per conversation even when it arrives twice.
    __table_args__ = (Index("uq_message_conversation_external", "conversation_id", "external_id", unique=True),)
    id: int | None = Field(default=None, primary_key=True)
    conversation_id: str = Field(foreign_key="conversation.id", max_length=200, index=True)
    direction: str = Field(max_length=3)  # in | out
    text: str = Field(sa_column=Column(Text, nullable=False))
    at: datetime = ts_column(nullable=False)
    external_id: str | None = Field(default=None, max_length=100)  # Rasa or Telegram message id
    meta: dict = json_column(dict)


class PendingMessage(SQLModel, table=True):
    """A citizen's message the assistant has not answered yet.

    Written with the message, deleted with the answer: whatever is left here
    when Rasa is down is forwarded again once it is back. A lease keeps two
    app processes from forwarding the same message at once.
    """

    __tablename__ = "pending_message"
    message_id: int = Field(sa_column=Column(Integer, ForeignKey("message.id", ondelete="CASCADE"), primary_key=True))
    conversation_id: str = Field(max_length=200, index=True)
    queued_at: datetime = ts_column(nullable=False)
    lease_owner: str | None = Field(default=None, max_length=40)
    lease_until: datetime | None = ts_column(nullable=True)
    attempts: int = 0
    notified: bool = False  # the citizen has been told it is saved
    last_error: str | None = Field(default=None, max_length=500)


class Notification(SQLModel, table=True):
    """Outbox: the back office writes, the gateway's sender delivers and marks sent."""

    __table_args__ = (Index("ix_notification_pending", "state", "next_attempt_at"),)
    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)  # ticket:kind:due time, so nothing is sent twice
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    kind: str = Field(max_length=30)
    recipient_kind: str = Field(max_length=20)  # citizen | department | supervisor
    recipient: str = Field(max_length=200)
    channel: str | None = Field(default=None, max_length=20)
    body: str = Field(sa_column=Column(Text, nullable=False))
    created_at: datetime = ts_column(nullable=False)
    next_attempt_at: datetime = ts_column(nullable=False)
    state: str = Field(default="pending", max_length=10)  # pending | sent | failed
    attempts: int = 0
    sent_at: datetime | None = ts_column(nullable=True)
    last_error: str | None = Field(default=None, max_length=500)


class CalendarOverride(SQLModel, table=True):
    __tablename__ = "calendar_override"
    day: date = Field(primary_key=True)
    working: bool
    note: str | None = Field(default=None, max_length=200)


class ApiToken(SQLModel, table=True):
    __tablename__ = "api_token"
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=100)
    role: str = Field(max_length=20)  # service | operator | department | supervisor
    department_code: str | None = Field(default=None, foreign_key="department.code", max_length=64)
    token_hash: str = Field(sa_column=Column(String(64), unique=True, nullable=False))
    created_at: datetime = ts_column(nullable=False)
    revoked: bool = False


class TicketSequence(SQLModel, table=True):
    """Per-day counter behind readable ticket numbers (YYYYMMDD-NNNN)."""

    __tablename__ = "ticket_sequence"
    day: str = Field(primary_key=True, max_length=8)
    last: int = 0
