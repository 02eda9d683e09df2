"""The ticket as the assistant and the back office exchange it
(POST /api/tickets, /api/status, /api/tickets/{number}/followup,
/api/understand, /api/conversations/{id}/handoff). Shapes only: the back
office validates what it receives (intake_store/schemas.py).
"""
from __future__ import annotations

from typing import Dict, List, Optional, TypedDict


class FieldSource(TypedDict, total=False):
    message_id: Optional[str]
    text: str  # at most limits.TEXT


class NewTicket(TypedDict, total=False):
    """What the assistant files (POST /api/tickets)."""

    idempotency_key: str
    channel: str  # a code of codes.CHANNELS
    sender_id: Optional[str]
    conversation_id: Optional[str]  # conversation.ConversationId, written out
    description: str
    category: Optional[str]  # a code of categories.CATEGORIES; None: an operator decides
    category_confidence: Optional[float]
    respondent: Optional[str]
    promise: Optional[str]
    promise_date: Optional[str]
    amount_yuan: Optional[float]
    reference: Optional[str]
    place: Optional[str]
    evidence: Optional[str]
    urgent: bool
    urgency_reason: Optional[str]
    anonymous: bool
    contact_name: Optional[str]
    contact_phone: Optional[str]
    consent_disclose: bool
    field_sources: Dict[str, FieldSource]


class FiledTicket(TypedDict, total=False):
    """The answer to a filing: the number and query code the citizen keeps."""

    number: str
    query_code: str
    state: str
    state_name: str
    category: str
    category_name: str
    lead: Optional[str]
    lead_name: Optional[str]
    co: List[str]
    co_names: List[str]
    reply_due: Optional[str]
    reply_due_text: Optional[str]
    replayed: bool


class TimelineEntry(TypedDict, total=False):
    at: str
    text: str


class TicketStatus(TypedDict, total=False):
    """A citizen's own lookup (POST /api/status)."""

    number: str
    state: str
    state_name: str
    category_name: str
    lead_name: Optional[str]
    submitted_at: str
    reply_due: Optional[str]
    reply_due_text: Optional[str]
    reply: Optional[str]
    followup_open: bool
    timeline: List[TimelineEntry]


class FollowUp(TypedDict):
    """A 回访 rating (POST /api/tickets/{number}/followup)."""

    query_code: str
    satisfaction: str  # a code of codes.SATISFACTION
    comment: Optional[str]


class FollowUpAnswer(TypedDict, total=False):
    state: str
    state_name: str
    message: str


class RankedCategory(TypedDict):
    category: str
    probability: float


class Understanding(TypedDict, total=False):
    """What /api/understand says about a complaint's whole text."""

    category: str
    confidence: float
    dishonesty: float  # the probability that it is 政务失信 rather than an ordinary 12345 matter
    ranking: List[RankedCategory]


class Handoff(TypedDict):
    channel: str
    sender_id: str
    reason: str  # at most limits.HANDOFF_REASON
