"""What the HTTP API accepts (what it returns: `responses`). Unknown fields are
refused, so a typo in a client is an error, not silently lost data."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from vocabulary import limits
from vocabulary.codes import CHANNELS, SATISFACTION, VERIFICATION

from .coded import coded

TEXT_MAX = limits.TEXT
SHORT = limits.SHORT
# Codes of the shared vocabulary; a client may send the Chinese label instead.
Channel = coded(CHANNELS)
Satisfaction = coded(SATISFACTION)
VerifyResult = coded(VERIFICATION)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FieldSource(Strict):
    message_id: str | None = Field(default=None, max_length=100)
    text: str = Field(max_length=TEXT_MAX)


class TicketIn(Strict):
    idempotency_key: str = Field(min_length=8, max_length=128)
    channel: Channel = "rest"
    sender_id: str | None = Field(default=None, max_length=SHORT)
    conversation_id: str | None = Field(default=None, max_length=SHORT)
    description: str = Field(min_length=1, max_length=TEXT_MAX)
    category: str | None = Field(default=None, max_length=limits.CODE)
    category_confidence: float | None = Field(default=None, ge=0, le=1)
    respondent: str | None = Field(default=None, max_length=SHORT)
    promise: str | None = Field(default=None, max_length=limits.LONG)
    promise_date: str | None = Field(default=None, max_length=limits.PROMISE_DATE)
    amount_yuan: Decimal | None = Field(default=None, ge=0, le=Decimal("99999999999999"), decimal_places=2)
    reference: str | None = Field(default=None, max_length=SHORT)
    place: str | None = Field(default=None, max_length=SHORT)
    evidence: str | None = Field(default=None, max_length=limits.LONG)
    urgent: bool = False
    urgency_reason: str | None = Field(default=None, max_length=SHORT)
    anonymous: bool = False
    contact_name: str | None = Field(default=None, max_length=limits.CONTACT_NAME)
    contact_phone: str | None = Field(default=None, max_length=limits.CONTACT_PHONE, pattern=r"^[0-9+\- ]{5,30}$")
    consent_disclose: bool = False
    field_sources: dict[str, FieldSource] = Field(default_factory=dict, max_length=20)

    @field_validator("description")
    @classmethod
    def _not_blank(cls, v: str) -> str:
        if not v.strip():
            raise ValueError("投诉内容不能为空")
        return v


class UnderstandIn(Strict):
    text: str = Field(min_length=1, max_length=TEXT_MAX)
    respondent: str | None = Field(default=None, max_length=SHORT)
    place: str | None = Field(default=None, max_length=SHORT)


class StatusIn(Strict):
    number: str = Field(min_length=1, max_length=limits.TICKET_NUMBER)
    query_code: str = Field(min_length=1, max_length=limits.QUERY_CODE)


class FollowUpIn(Strict):
    query_code: str = Field(min_length=1, max_length=limits.QUERY_CODE)
    satisfaction: Satisfaction
    comment: str | None = Field(default=None, max_length=limits.LONG)


class HandoffIn(Strict):
    channel: str = Field(min_length=1, max_length=20)
    sender_id: str = Field(min_length=1, max_length=SHORT)
    reason: str = Field(default="", max_length=limits.HANDOFF_REASON)


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=limits.LONG)


class OptionalReasonIn(Strict):
    reason: str | None = Field(default=None, max_length=limits.LONG)


class VerifyIn(Strict):
    result: VerifyResult
    findings: str = Field(min_length=1, max_length=TEXT_MAX)
    respondent_code: str | None = Field(default=None, max_length=limits.CODE)  # the department confirms the accused body


class ReplyIn(Strict):
    text: str = Field(min_length=1, max_length=TEXT_MAX)


class ExtensionIn(Strict):
    reason: str = Field(min_length=1, max_length=limits.LONG)
    new_due: date


class DispatchIn(Strict):
    lead: str | None = Field(default=None, max_length=limits.CODE)  # default: the suggested route
    co: list[str] | None = Field(default=None, max_length=10)
    reason: str | None = Field(default=None, max_length=limits.LONG)
    respondent_code: str | None = Field(default=None, max_length=limits.CODE)  # the operator confirms the accused body


class RerouteIn(Strict):
    lead: str = Field(min_length=1, max_length=limits.CODE)
    co: list[str] = Field(default_factory=list, max_length=10)
    reason: str = Field(min_length=1, max_length=limits.LONG)
    respondent_code: str | None = Field(default=None, max_length=limits.CODE)  # the operator confirms the accused body


class MergeIn(Strict):
    into: str = Field(min_length=1, max_length=limits.TICKET_NUMBER)
    reason: str | None = Field(default=None, max_length=limits.LONG)


class AmendIn(Strict):
    category: str | None = Field(default=None, max_length=limits.CODE)
    respondent: str | None = Field(default=None, max_length=SHORT)
    place: str | None = Field(default=None, max_length=SHORT)
    urgent: bool | None = None
    urgency_reason: str | None = Field(default=None, max_length=SHORT)
    reason: str | None = Field(default=None, max_length=limits.LONG)
