"""The ticket store on SQLite and PostgreSQL: numbers, query codes, identity kept apart,
append-only events, derived columns that always equal a replay of the events."""
import re
import threading
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from intake_store.db import session_scope
from intake_store.lifecycle import TransitionError
from intake_store.models import Complainant, Ticket, TicketEvent
from intake_store.schemas import TicketIn
from intake_store.tickets import commands
from intake_store.tickets.history import events_of, life_and_clocks
from intake_store.tickets.listing import Filters, list_tickets
from intake_store.tickets.lookup import NotFound, get_ticket
from intake_store.tickets.numbering import query_code
from intake_store.tickets.viewer import Viewer, can_see

SERVICE = Viewer("service", "assistant")
OPERATOR = Viewer("operator", "op1")
INDUSTRY = Viewer("department", "gxj", "industry")


def complaint(key="key-0001", **kw):
    base = dict(
        idempotency_key=key,
        description="我们公司给向阳街道办做的绿化工程2023年验收，还欠38万元一直不给。",
        category="arrears", category_confidence=0.93, respondent="向阳街道办", amount_yuan=Decimal("380000"),
        place="芝罘区向阳街道", contact_name="王女士", contact_phone="13805351234", channel="web",
        conversation_id="web:abc", sender_id="abc",
    )
    base.update(kw)
    return TicketIn(**base)


def create(bo, **kw):
    with session_scope(bo.engine) as s:
        t, replayed = commands.create_ticket(bo, s, complaint(**kw), SERVICE)
        return t.number, query_code(bo.secret, t.query_nonce), replayed


def test_ticket_number_is_date_and_sequence_and_the_query_code_is_separate(backoffice):
    n1, c1, _ = create(backoffice, key="key-0001")
    n2, c2, _ = create(backoffice, key="key-0002")
    assert re.fullmatch(r"20261116-000[12]", n1) and n2 == "20261116-0002"
    assert re.fullmatch(r"\d{8}", c1) and c1 != c2
    assert c1 not in n1 and c2 not in n2


def test_same_idempotency_key_returns_the_same_ticket(backoffice):
    n1, c1, r1 = create(backoffice, key="retry-123")
    n2, c2, r2 = create(backoffice, key="retry-123")
    assert (n1, c1, r1) == (n2, c2, False) and r2 is True
    with session_scope(backoffice.engine) as s:
        assert s.execute(select(func.count()).select_from(Ticket)).scalar_one() == 1


def test_complainant_identity_lives_apart_from_the_ticket(backoffice):
    number, _, _ = create(backoffice)
    with session_scope(backoffice.engine) as s:
        ticket = get_ticket(s, number)
        assert "13805351234" not in str(ticket.model_dump())
        person = s.execute(select(Complainant).where(Complainant.ticket_id == ticket.id)).scalar_one()
        assert person.phone == "13805351234" and person.name == "王女士"


def test_anonymous_complaint_keeps_no_contact(backoffice):
    number, _, _ = create(backoffice, anonymous=True, consent_disclose=True)
    with session_scope(backoffice.engine) as s:
        ticket = get_ticket(s, number)
        person = s.execute(select(Complainant).where(Complainant.ticket_id == ticket.id)).scalar_one()
        assert person.phone is None and person.name is None
        assert ticket.consent_disclose is False


def test_confident_classification_is_dispatched_at_once_and_routed(backoffice):
    number, _, _ = create(backoffice)
    with session_scope(backoffice.engine) as s:
        t = get_ticket(s, number)
        assert t.state == "dispatched" and t.lead_code == "industry"
        assert "zhifu" in t.co_codes  # the local respondent's district assists
        assert t.respondent_code == "zhifu_xiangyang" and t.district_code == "zhifu"


def test_unsure_classification_waits_for_an_operator(backoffice):
    number, _, _ = create(backoffice, category="ppp", category_confidence=0.4)
    with session_scope(backoffice.engine) as s:
        assert get_ticket(s, number).state == "submitted"
        commands.act(backoffice, s, number, "dispatch", OPERATOR, payload={})
        assert get_ticket(s, number).lead_code == "finance"


def test_derived_columns_always_equal_a_replay_of_the_events(backoffice, clock):
    number, _, _ = create(backoffice)
    steps = [
        ("accept", {}, None),
        ("verify", {"result": "部分属实", "findings": "已付一半"}, None),
        ("reply", {"text": "剩余款项12月底前付清"}, None),
    ]
    for action, payload, reason in steps:
        clock.advance(hours=5)
        with session_scope(backoffice.engine) as s:
            commands.act(backoffice, s, number, action, INDUSTRY, payload=payload, reason=reason)
        with session_scope(backoffice.engine) as s:
            t = get_ticket(s, number)
            life, clocks = life_and_clocks(backoffice, events_of(s, t))
            assert t.state == life.state
            assert t.next_due_clock == {"accept": "verify", "verify": "reply", "reply": "follow_up"}[action]
            assert t.next_due_at == clocks[t.next_due_clock].due_at


def test_events_are_numbered_and_a_refused_action_writes_nothing(backoffice):
    number, _, _ = create(backoffice)
    with pytest.raises(TransitionError):
        with session_scope(backoffice.engine) as s:
            commands.act(backoffice, s, number, "reply", INDUSTRY, payload={"text": "x"})
    with session_scope(backoffice.engine) as s:
        t = get_ticket(s, number)
        seqs = s.execute(select(TicketEvent.seq).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.seq)).scalars().all()
        assert seqs == [1, 2]
        assert t.state == "dispatched"


def test_only_the_lead_body_works_the_ticket(backoffice):
    number, _, _ = create(backoffice)
    finance = Viewer("department", "cz", "finance")  # assisting: may see, may not act
    outsider = Viewer("department", "hb", "environment")
    with session_scope(backoffice.engine) as s:
        assert can_see(s, get_ticket(s, number), finance)
        with pytest.raises(TransitionError, match="主办单位"):
            commands.act(backoffice, s, number, "accept", finance)
        with pytest.raises(NotFound):
            commands.act(backoffice, s, number, "accept", outsider)


def test_concurrent_submissions_get_unique_numbers(backoffice):
    numbers, errors = [], []

    def worker(i):
        try:
            numbers.append(create(backoffice, key=f"concurrent-{i:04d}")[0])
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert len(set(numbers)) == 12


def test_the_overdue_filter_finds_overdue_open_tickets(backoffice, clock):
    number, _, _ = create(backoffice)
    create(backoffice, key="other-0001", category="ppp", category_confidence=0.3)  # not dispatched: no running clock
    clock.advance(days=3)
    with session_scope(backoffice.engine) as s:
        total, rows = list_tickets(backoffice, s, Filters(overdue=True), OPERATOR)
        assert total == 1 and rows[0].number == number


def test_merge_and_amend_are_events(backoffice):
    first, _, _ = create(backoffice, key="dup-00001")
    second, _, _ = create(backoffice, key="dup-00002", category_confidence=0.5)
    with session_scope(backoffice.engine) as s:
        commands.amend(backoffice, s, second, OPERATOR, {"category": "procurement", "urgent": True}, "分类有误")
        commands.act(backoffice, s, second, "merge", OPERATOR, payload={"into": first})
    with session_scope(backoffice.engine) as s:
        t = get_ticket(s, second)
        assert t.state == "merged" and t.merged_into == first and t.category_code == "procurement" and t.urgent
        actions = [e.action for e in events_of(s, t)]
        assert actions == ["submit", "amend", "merge"]
