"""What the HTTP API accepts (what it returns: `responses`). Unknown fields are
refused, so a typo in a client is an error, not silently lost data."""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

TEXT_MAX = 5000
SHORT = 200


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class FieldSource(Strict):
    message_id: str | None = Field(default=None, max_length=100)
    text: str = Field(max_length=TEXT_MAX)


class TicketIn(Strict):
    idempotency_key: str = Field(min_length=8, max_length=128)
    channel: Literal["web", "telegram", "wechat", "rest", "phone", "open311"] = "rest"
    sender_id: str | None = Field(default=None, max_length=SHORT)
    conversation_id: str | None = Field(default=None, max_length=SHORT)
    description: str = Field(min_length=1, max_length=TEXT_MAX)
    category: str | None = Field(default=None, max_length=64)
    category_confidence: float | None = Field(default=None, ge=0, le=1)
    respondent: str | None = Field(default=None, max_length=SHORT)
    promise: str | None = Field(default=None, max_length=2000)
    promise_date: str | None = Field(default=None, max_length=100)
    amount_yuan: Decimal | None = Field(default=None, ge=0, le=Decimal("99999999999999"), decimal_places=2)
    reference: str | None = Field(default=None, max_length=SHORT)
    place: str | None = Field(default=None, max_length=SHORT)
    evidence: str | None = Field(default=None, max_length=2000)
    urgent: bool = False
    urgency_reason: str | None = Field(default=None, max_length=SHORT)
    anonymous: bool = False
    contact_name: str | None = Field(default=None, max_length=100)
    contact_phone: str | None = Field(default=None, max_length=30, pattern=r"^[0-9+\- ]{5,30}$")
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
    number: str = Field(min_length=1, max_length=20)
    query_code: str = Field(min_length=1, max_length=20)


class FollowUpIn(Strict):
    query_code: str = Field(min_length=1, max_length=20)
    satisfaction: Literal["非常满意", "满意", "一般", "不满意"]
    comment: str | None = Field(default=None, max_length=2000)


class HandoffIn(Strict):
    channel: str = Field(min_length=1, max_length=20)
    sender_id: str = Field(min_length=1, max_length=SHORT)
    reason: str = Field(default="", max_length=500)


class ReasonIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)


class OptionalReasonIn(Strict):
    reason: str | None = Field(default=None, max_length=2000)


class VerifyIn(Strict):
    result: Literal["属实", "部分属实", "不属实"]
    findings: str = Field(min_length=1, max_length=TEXT_MAX)
    respondent_code: str | None = Field(default=None, max_length=64)  # the department confirms the accused body


class ReplyIn(Strict):
    text: str = Field(min_length=1, max_length=TEXT_MAX)


class ExtensionIn(Strict):
    reason: str = Field(min_length=1, max_length=2000)
    new_due: date


class DispatchIn(Strict):
    lead: str | None = Field(default=None, max_length=64)  # default: the suggested route
    co: list[str] | None = Field(default=None, max_length=10)
    reason: str | None = Field(default=None, max_length=2000)
    respondent_code: str | None = Field(default=None, max_length=64)  # the operator confirms the accused body


class RerouteIn(Strict):
    lead: str = Field(min_length=1, max_length=64)
    co: list[str] = Field(default_factory=list, max_length=10)
    reason: str = Field(min_length=1, max_length=2000)
    respondent_code: str | None = Field(default=None, max_length=64)  # the operator confirms the accused body


class MergeIn(Strict):
    into: str = Field(min_length=1, max_length=20)
    reason: str | None = Field(default=None, max_length=2000)


class AmendIn(Strict):
    category: str | None = Field(default=None, max_length=64)
    respondent: str | None = Field(default=None, max_length=SHORT)
    place: str | None = Field(default=None, max_length=SHORT)
    urgent: bool | None = None
    urgency_reason: str | None = Field(default=None, max_length=SHORT)
    reason: str | None = Field(default=None, max_length=2000)
