"""Tables of the integrity feature. Alembic owns the schema
(`intake_store/migrations/versions/0004_integrity.py`)."""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Column, ForeignKey, Index, Integer, Numeric, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from ..models import json_column, ts_column


class IntegrityRecord(SQLModel, table=True):
    """政务失信记录. What it says is derived from its `record_event` rows on
    every change; the columns here are kept for listings, clocks and scorecards."""

    __tablename__ = "integrity_record"
    __table_args__ = (
        Index("ix_integrity_record_body_counts", "body_code", "recorded_at", "counts_until"),
        Index("ix_integrity_record_due", "next_due_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    # One record per ticket. Tickets are never deleted; SET NULL keeps the
    # record (and its number) if a database is ever emptied of tickets.
    ticket_id: int | None = Field(default=None, sa_column=Column(Integer, ForeignKey("ticket.id", ondelete="SET NULL"),
                                                                  nullable=True))
    ticket_number: str = Field(max_length=20, unique=True)
    category_code: str = Field(max_length=64)
    recorded_at: datetime = ts_column(nullable=False)

    body_code: str | None = Field(default=None, foreign_key="department.code", max_length=64)  # null: to be attached
    body_name: str = Field(max_length=200)
    severity: str = Field(max_length=12)  # vocabulary.codes.SEVERITY
    status: str = Field(max_length=12, index=True)  # active | withdrawn | repaired | exempted | waived
    stage: str | None = Field(default=None, max_length=12)  # objection | correction | repair | attach | rectify
    counts_until: datetime | None = ts_column(nullable=True)
    repaired_at: datetime | None = ts_column(nullable=True)
    next_due_at: datetime | None = ts_column(nullable=True)
    next_due_clock: str | None = Field(default=None, max_length=12)
    updated_at: datetime = ts_column(nullable=False)
    published_at: datetime | None = ts_column(nullable=True)
    public: bool = Field(default=False, index=True)  # on the public list now (published, active, unrepaired)
    rectify_due_at: datetime | None = ts_column(nullable=True)  # the latest 整改 deadline
    rectified_at: datetime | None = ts_column(nullable=True)  # its acceptance


class RecordEventRow(SQLModel, table=True):
    """Append-only history of a record: nothing updates or deletes a row here."""

    __tablename__ = "record_event"
    __table_args__ = (UniqueConstraint("record_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    record_id: int = Field(foreign_key="integrity_record.id", index=True)
    seq: int
    at: datetime = ts_column(nullable=False)
    actor: str = Field(max_length=100)
    role: str = Field(max_length=20)
    action: str = Field(max_length=30)
    reason: str | None = Field(default=None, sa_column=Column(Text))
    payload: dict = json_column(dict)


class TicketFact(SQLModel, table=True):
    """One row per ticket: what a scorecard counts, written by the event
    listener from the ticket's life and clocks in the same transaction, so
    scorecards are one GROUP BY without replaying events."""

    __tablename__ = "ticket_fact"
    __table_args__ = (
        Index("ix_ticket_fact_created", "created_at"),
        Index("ix_ticket_fact_lead", "lead_code", "created_at"),
        Index("ix_ticket_fact_respondent", "respondent_code", "verified_at"),
        Index("ix_ticket_fact_accept_due", "accept_due_at"),
        Index("ix_ticket_fact_reply_due", "reply_due_at"),
        Index("ix_ticket_fact_lead_due", "lead_due_at"),
        Index("ix_ticket_fact_repeat", "respondent_code", "created_at", "repeat_of"),
    )
    # A projection of the ticket: it goes when the ticket goes.
    ticket_id: int = Field(sa_column=Column(Integer, ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True))
    created_at: datetime = ts_column(nullable=False)
    category_code: str = Field(max_length=64)
    state: str = Field(max_length=20)
    lead_code: str | None = Field(default=None, max_length=64)
    respondent_code: str | None = Field(default=None, max_length=64)
    respondent_confirmed: bool = False  # a person confirmed respondent_code (dispatch or 核查)
    repeat_of: str | None = Field(default=None, max_length=20)  # 重复投诉: the earlier ticket about the same matter
    # The current round's 签收 and 答复 clocks (done: when the clock stopped).
    accept_due_at: datetime | None = ts_column(nullable=True)
    accept_done_at: datetime | None = ts_column(nullable=True)
    reply_due_at: datetime | None = ts_column(nullable=True)
    reply_done_at: datetime | None = ts_column(nullable=True)
    # The earliest running deadline the lead answers for (签收, 核查, 答复; 回访 is the hotline's).
    lead_due_at: datetime | None = ts_column(nullable=True)
    verify_result: str | None = Field(default=None, max_length=24)  # vocabulary.codes.VERIFICATION
    verified_at: datetime | None = ts_column(nullable=True)
    satisfaction: str | None = Field(default=None, max_length=20)  # vocabulary.codes.SATISFACTION
    reopen_count: int = 0


class PromiseRow(SQLModel, table=True):
    """信用承诺 or 政府合同 a body made: what its `promise_event` rows say, kept
    for listings and the overdue check (`promises.replay`)."""

    __tablename__ = "promise"
    __table_args__ = (Index("ix_promise_open_due", "status", "due_on"),)
    id: int | None = Field(default=None, primary_key=True)
    kind: str = Field(max_length=12)  # commitment 信用承诺 | contract 政府合同
    body_code: str = Field(foreign_key="department.code", max_length=64, index=True)
    promisee: str = Field(max_length=200)  # to whom
    content: str = Field(sa_column=Column(Text, nullable=False))  # what was promised
    amount_yuan: Decimal | None = Field(default=None, sa_column=Column(Numeric(16, 2)))
    due_on: date
    reference: str | None = Field(default=None, max_length=100)  # contract or document number
    status: str = Field(max_length=12)  # open | fulfilled
    created_at: datetime = ts_column(nullable=False)
    fulfilled_at: datetime | None = ts_column(nullable=True)
    flagged_at: datetime | None = ts_column(nullable=True)  # told the supervisors it is past due
    updated_at: datetime = ts_column(nullable=False)


class PromiseEventRow(SQLModel, table=True):
    """Append-only history of a promise: nothing updates or deletes a row here."""

    __tablename__ = "promise_event"
    __table_args__ = (UniqueConstraint("promise_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    promise_id: int = Field(foreign_key="promise.id", index=True)
    seq: int
    at: datetime = ts_column(nullable=False)
    actor: str = Field(max_length=100)
    role: str = Field(max_length=20)
    action: str = Field(max_length=20)  # register | link | fulfil | flag
    reason: str | None = Field(default=None, sa_column=Column(Text))
    payload: dict = json_column(dict)


class PromiseTicket(SQLModel, table=True):
    """A complaint linked to the promise it is about (both ways: a ticket's promises, a promise's tickets)."""

    __tablename__ = "promise_ticket"
    promise_id: int = Field(foreign_key="promise.id", primary_key=True)
    ticket_number: str = Field(max_length=20, primary_key=True, index=True)


class JudgmentDebtorListing(SQLModel, table=True):
    """A body listed as 失信被执行人 (004 五(五) "零增长"), recorded by a supervisor
    from the court's list; counted on the dashboard with the substantiated
    court_judgment complaints against the body. Rows are only ever added."""

    __tablename__ = "judgment_debtor_listing"
    __table_args__ = (Index("ix_judgment_debtor_listed", "listed_on", "body_code"),)
    id: int | None = Field(default=None, primary_key=True)
    body_code: str = Field(foreign_key="department.code", max_length=64)
    listed_on: date
    case_number: str = Field(max_length=100)  # 执行案号
    note: str | None = Field(default=None, sa_column=Column(Text))
    recorded_at: datetime = ts_column(nullable=False)
    recorded_by: str = Field(max_length=100)
