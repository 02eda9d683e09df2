"""What the HTTP API returns. Each model is the contract a client reads (the
assistant's actions among them) and appears in the OpenAPI document; a field
the code sends but the model lacks is an error, so the two cannot drift."""
from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, RootModel, WithJsonSchema

# Times are sent as ISO 8601 text in Beijing or UTC offset, exactly as stored.
Time = Annotated[str, WithJsonSchema({"type": "string", "format": "date-time"})]


class Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Health(Out):
    ok: bool


class CategoryOut(Out):
    code: str
    name: str
    lead: str = Field(description="主办单位代码，或 local（事发地的区县人民政府）")
    co: list[str]


class CategoryList(RootModel[list[CategoryOut]]):
    pass


class DepartmentOut(Out):
    code: str
    name: str
    short: str
    level: str
    parent: str | None
    supervisor: str | None


class DepartmentList(RootModel[list[DepartmentOut]]):
    pass


# ---------------------------------------------------------------- the assistant's calls

class RankedCategory(Out):
    category: str
    probability: float


class Understood(Out):
    """What a complaint is about, whom it accuses and who should handle it."""

    category: str
    confidence: float = Field(ge=0, le=1)
    dishonesty: float = Field(ge=0, le=1, description="属于政务失信投诉（而非普通 12345 事项）的概率")
    ranking: list[RankedCategory]
    respondent: str | None = Field(description="被投诉单位（群众的说法）")
    respondent_code: str | None
    place: str | None
    lead: str = Field(description="建议的主办单位代码，或 local（事发地的区县人民政府）")
    lead_name: str
    co: list[str]
    co_names: list[str]
    route_notes: list[str] = Field(description="建议路由与类别默认路由不同的原因")


class TicketCreated(Out):
    number: str = Field(examples=["20261122-0007"])
    query_code: str = Field(examples=["58392017"], description="群众凭工单号和查询码查询进度、回访评价")
    state: str
    state_name: str
    category: str
    category_name: str
    lead: str | None = Field(description="派单前为建议的主办单位")
    lead_name: str | None
    co: list[str]
    co_names: list[str]
    reply_due: Time | None
    reply_due_text: str | None = Field(examples=["2026年11月27日（星期五）24:00前"])
    replayed: bool = Field(description="同一 idempotency_key 重复提交时为 true")


class TimelineEntry(Out):
    at: Time
    text: str = Field(description="给群众看的中文说明")


class CitizenStatus(Out):
    """A ticket as the citizen holding its number and query code sees it."""

    number: str
    state: str
    state_name: str
    category_name: str
    lead_name: str | None
    submitted_at: Time
    reply_due: Time | None
    reply_due_text: str | None
    reply: str | None
    followup_open: bool = Field(description="是否等待群众对答复评价（回访）")
    timeline: list[TimelineEntry]


class FollowUpDone(Out):
    state: str
    state_name: str
    message: str = Field(description="给群众看的中文说明")


class HandoffQueued(Out):
    queued: Literal[True]


# ---------------------------------------------------------------- tickets as staff see them

class TicketSummary(Out):
    """A listing row, from the derived columns only."""

    number: str
    state: str
    state_name: str
    category: str
    category_name: str
    respondent: str | None
    lead: str | None
    lead_name: str | None
    urgent: bool
    created_at: Time
    next_due_at: Time | None
    next_due_clock: str | None
    overdue: bool


class TicketList(Out):
    total: int
    items: list[TicketSummary]


class ClockOut(Out):
    label: str
    started_at: Time
    due_at: Time
    due_text: str
    done_at: Time | None
    paused: bool
    projected: bool = Field(description="尚未开始计时，按现在开始推算的期限")
    overdue: bool
    late: bool


class ExtensionOut(Out):
    requested_at: Time
    new_due: str = Field(json_schema_extra={"format": "date"})
    reason: str


class EventOut(Out):
    action: str
    action_name: str
    at: Time
    actor: str
    role: str
    reason: str | None
    payload: dict


class ComplainantOut(Out):
    name: str | None
    phone: str | None


class TicketOut(Out):
    """A ticket as the viewer may see it. Departments get neither the complainant
    nor the conversation unless the complainant agreed; those fields are then absent."""

    number: str
    state: str
    state_name: str
    created_at: Time
    channel: str
    category: str
    category_name: str
    category_confidence: float | None
    description: str
    respondent: str | None
    respondent_code: str | None
    promise: str | None
    promise_date: str | None
    amount_yuan: str | None = Field(description="金额（元），十进制文本")
    reference: str | None
    place: str | None
    district_code: str | None
    evidence: str | None
    urgent: bool
    urgency_reason: str | None
    anonymous: bool
    consent_disclose: bool
    lead: str | None
    lead_name: str | None
    co: list[str]
    co_names: list[str]
    routing_notes: list[str]
    verify_result: str | None
    reply: str | None
    satisfaction: str | None
    reopen_count: int
    merged_into: str | None
    pending_extension: ExtensionOut | None
    paused: bool
    clocks: dict[str, ClockOut]
    overdue: bool
    field_sources: dict[str, dict] | None = Field(default=None, description="话务员、督办可见：各字段取自对话的哪条消息")
    conversation_id: str | None = Field(default=None, description="话务员、督办可见")
    complainant: ComplainantOut | None = Field(default=None, description="投诉人同意公开或查看者可见全部时才有")
    events: list[EventOut] | None = Field(default=None, description="只在要求事件时才有")


class TicketEvents(Out):
    number: str
    events: list[EventOut]
