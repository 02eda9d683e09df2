"""The shared vocabulary, and databases written before it: old Chinese values
become codes, a citizen's notification gets its whole conversation id."""
from datetime import date, datetime

import pytest
from alembic import command
from sqlalchemy import JSON, Boolean, DateTime, Integer, String, column, select, table

from intake_store.catalog import default_catalog
from intake_store.db import alembic_config, make_engine, migrate, session_scope
from intake_store.integrity.models import IntegrityRecord, RecordEventRow, TicketFact
from intake_store.lifecycle import Event, replay
from intake_store.models import Complainant, Notification, TicketEvent
from intake_store.tickets.seeding import load_defaults
from vocabulary import categories
from vocabulary.codes import SATISFACTION, SEVERITY, VERIFICATION
from vocabulary.conversation import ConversationId
from vocabulary.dates import chinese_date


def test_a_code_or_its_label_is_understood_and_shown_by_its_label():
    assert SATISFACTION.code_of("不满意") == SATISFACTION.code_of(" unsatisfied ") == "unsatisfied"
    assert SATISFACTION.code_of("还行") is None and SATISFACTION.code_of(3) is None
    assert VERIFICATION.label("partly_substantiated") == "部分属实"
    # 一般 is a rating and a severity: two codes, one label each.
    assert (SATISFACTION.code_of("一般"), SEVERITY.code_of("一般")) == ("neutral", "general")
    assert SEVERITY.choices() == "“轻微”“一般”“严重”"


def test_a_conversation_id_is_written_and_read_one_way():
    cid = ConversationId("telegram", "42")
    assert str(cid) == "telegram:42" and ConversationId.parse("telegram:42") == cid
    assert ConversationId.parse("web:a:b") == ConversationId("web", "a:b")
    for bad in ("42", "rest:abc", "telegram:", ""):
        with pytest.raises(ValueError):
            ConversationId.parse(bad)
    assert ConversationId.of("e2e-123") is None
    # The assistant sends Rasa's sender id, which is already the conversation id.
    assert ConversationId.from_sender("telegram", "telegram:42") == ConversationId.from_sender("telegram", "42") == cid


def test_the_chinese_date():
    assert chinese_date(date(2026, 1, 5)) == "2026年1月5日" and chinese_date(None) == ""


def test_every_category_has_a_route_and_the_amount_rule():
    catalog = default_catalog()
    assert set(catalog.categories) == set(categories.BY_CODE)
    assert catalog.categories["wage_arrears"].name == categories.BY_CODE["wage_arrears"].name == "拖欠农民工工资（政府投资项目）"
    assert categories.asks_amount("wage_arrears") and not categories.asks_amount("approval")
    assert not categories.asks_amount(None) and not categories.asks_amount("no_such")


# ---------------------------------------------------------------- a database from before the codes

AT = datetime(2026, 11, 20, 2, 0)  # stored naive, in UTC

ticket_t = table("ticket", *(column(c, t) for c, t in (
    ("id", Integer), ("number", String), ("query_nonce", String), ("created_at", DateTime), ("channel", String),
    ("category_code", String), ("description", String), ("urgent", Boolean), ("anonymous", Boolean),
    ("consent_disclose", Boolean), ("field_sources", JSON), ("routing_notes", JSON), ("state", String),
    ("co_codes", JSON), ("updated_at", DateTime))))
event_t = table("ticket_event", *(column(c, t) for c, t in (
    ("ticket_id", Integer), ("seq", Integer), ("at", DateTime), ("actor", String), ("role", String),
    ("action", String), ("reason", String), ("payload", JSON))))
fact_t = table("ticket_fact", *(column(c, t) for c, t in (
    ("ticket_id", Integer), ("created_at", DateTime), ("category_code", String), ("state", String),
    ("respondent_confirmed", Boolean), ("verify_result", String), ("satisfaction", String), ("reopen_count", Integer))))
record_t = table("integrity_record", *(column(c, t) for c, t in (
    ("id", Integer), ("ticket_id", Integer), ("ticket_number", String), ("category_code", String),
    ("recorded_at", DateTime), ("body_code", String), ("body_name", String), ("severity", String),
    ("status", String), ("updated_at", DateTime), ("public", Boolean))))
record_event_t = table("record_event", *(column(c, t) for c, t in (
    ("record_id", Integer), ("seq", Integer), ("at", DateTime), ("actor", String), ("role", String),
    ("action", String), ("payload", JSON))))
complainant_t = table("complainant", *(column(c, t) for c, t in (
    ("ticket_id", Integer), ("channel", String), ("sender_id", String))))
notification_t = table("notification", *(column(c, t) for c, t in (
    ("key", String), ("kind", String), ("recipient_kind", String), ("recipient", String), ("channel", String),
    ("body", String), ("created_at", DateTime), ("next_attempt_at", DateTime), ("state", String), ("attempts", Integer))))


def undo_codes(url: str) -> None:
    for revision in ("0009_core_codes", "0008_integrity_codes"):
        command.downgrade(alembic_config(url), f"{revision}-1")


@pytest.fixture
def before_codes(empty_db_url):
    """A database at the revision before the codes, holding what the app wrote then."""
    url = empty_db_url
    command.upgrade(alembic_config(url), "heads")
    undo_codes(url)
    engine = make_engine(url)
    with session_scope(engine) as s:
        load_defaults(s, default_catalog())
    with engine.begin() as c:
        c.execute(ticket_t.insert().values(
            id=1, number="20261120-0001", query_nonce="n", created_at=AT, channel="telegram", category_code="arrears",
            description="拖欠工程款", urgent=False, anonymous=False, consent_disclose=False, field_sources={},
            routing_notes=[], state="supervising", co_codes=[], updated_at=AT))
        steps = [("submit", {"category": "arrears", "suggested_lead": "industry", "suggested_co": []}),
                 ("dispatch", {"lead": "industry", "co": []}), ("accept", {}),
                 ("verify", {"result": "部分属实", "findings": "部分属实"}), ("reply", {"text": "已整改"}),
                 ("follow_up", {"satisfaction": "不满意"}), ("accept", {}),
                 ("verify", {"result": "属实", "findings": "属实"}), ("reply", {"text": "已付清"}),
                 ("follow_up", {"satisfaction": "不满意"})]
        c.execute(event_t.insert(), [dict(ticket_id=1, seq=i, at=AT, actor="x", role="system", action=a, reason=None,
                                          payload=p) for i, (a, p) in enumerate(steps, 1)])
        c.execute(fact_t.insert().values(ticket_id=1, created_at=AT, category_code="arrears", state="supervising",
                                         respondent_confirmed=True, verify_result="属实", satisfaction="不满意",
                                         reopen_count=1))
        c.execute(record_t.insert().values(id=1, ticket_id=1, ticket_number="20261120-0001", category_code="arrears",
                                           recorded_at=AT, body_code="industry", body_name="市工信局", severity="一般",
                                           status="active", updated_at=AT, public=False))
        c.execute(record_event_t.insert(), [
            dict(record_id=1, seq=1, at=AT, actor="x", role="system", action="record",
                 payload={"result": "属实", "findings": "属实", "severity": "一般"}),
            dict(record_id=1, seq=2, at=AT, actor="x", role="supervisor", action="lighten",
                 payload={"self_correction": "已付清", "severity": "轻微", "waive": False})])
        c.execute(complainant_t.insert().values(ticket_id=1, channel="telegram", sender_id="telegram:42"))
        c.execute(notification_t.insert(), [
            dict(key=f"k{i}", kind="citizen_reply", recipient_kind=kind, recipient=to, channel=channel, body="…",
                 created_at=AT, next_attempt_at=AT, state="pending", attempts=0)
            for i, (kind, to, channel) in enumerate([("citizen", "42", "telegram"), ("citizen", "web:abc", "web"),
                                                     ("department", "industry", "portal")])])
    yield url, engine
    engine.dispose()


def test_old_chinese_values_become_codes_and_recipients_whole_conversation_ids(before_codes):
    url, engine = before_codes
    migrate(url)
    with session_scope(engine) as s:
        events = s.execute(select(TicketEvent).order_by(TicketEvent.seq)).scalars().all()
        life = replay([Event(e.action, e.at, e.actor, e.role, e.reason, e.payload) for e in events])
        fact = s.get(TicketFact, 1)
        record = s.get(IntegrityRecord, 1)
        record_payloads = [e.payload for e in s.execute(select(RecordEventRow).order_by(RecordEventRow.seq)).scalars()]
        recipients = s.execute(select(Notification.recipient).order_by(Notification.key)).scalars().all()
        sender = s.execute(select(Complainant.sender_id)).scalar_one()
    assert (life.state, life.verify_result, life.satisfaction) == ("supervising", "substantiated", "unsatisfied")
    assert [e.payload.get("result") for e in events if e.action == "verify"] == ["partly_substantiated", "substantiated"]
    assert (fact.verify_result, fact.satisfaction, record.severity) == ("substantiated", "unsatisfied", "general")
    assert record_payloads == [{"result": "substantiated", "findings": "属实", "severity": "general"},
                               {"self_correction": "已付清", "severity": "minor", "waive": False}]
    assert recipients == ["telegram:42", "web:abc", "industry"]
    assert sender == "42"  # the chat's own id; the assistant had sent the whole conversation id

    undo_codes(url)  # and back, for a roll-back of the release
    with session_scope(engine) as s:
        assert s.get(TicketFact, 1).satisfaction == "不满意" and s.get(IntegrityRecord, 1).severity == "一般"
        assert s.execute(select(Notification.recipient).order_by(Notification.key)).scalars().all() == ["42", "abc", "industry"]
