"""The deadline jobs' tables: when each ticket next needs a look, and what each sweep did."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, ForeignKey, Integer
from sqlmodel import Field, SQLModel

from ..models import UTCDateTime, json_column


class TicketAlarm(SQLModel, table=True):
    """The next moment a ticket needs the deadline jobs: a reminder, a 督办
    card or the end of the 回访 window. Every ticket event rings it at once
    (the sweep then sets the exact next time), so a sweep reads only the
    tickets that are due instead of every open ticket."""

    __tablename__ = "ticket_alarm"
    ticket_id: int = Field(sa_column=Column(Integer, ForeignKey("ticket.id", ondelete="CASCADE"), primary_key=True))
    ring_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))
    failures: int = 0  # failed attempts in a row; reset when the ticket is handled
    last_error: str | None = Field(default=None, max_length=500)


class JobRun(SQLModel, table=True):
    """One run of a scheduled job, for `hotline jobs`."""

    __tablename__ = "job_run"
    id: int | None = Field(default=None, primary_key=True)
    job: str = Field(max_length=50)
    process: str = Field(max_length=100)  # host:pid, to tell replicas apart
    started_at: datetime = Field(sa_column=Column(UTCDateTime(), nullable=False, index=True))  # the sweep's "now"
    duration_ms: float = 0
    tickets: int = 0  # tickets looked at
    actions: dict = json_column(dict)  # action kind -> how many were carried out
    errors: int = 0
    error_details: list = json_column(list)  # [{"ticket": number, "error": text}], first few only
