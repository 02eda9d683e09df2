"""The operator console: the queue, a ticket beside its transcript, decisions on
退单 and 延期, merging duplicates, handed-over conversations."""
import re

from console_site import visible_text
from sqlalchemy import select

from intake_store.models import Conversation, Message, Notification, TicketEvent
from intake_store.tickets.commands import handoff
from intake_store.tickets.lookup import get_ticket
from intake_store.tickets.viewer import Viewer

LAISHAN = Viewer("department", "莱山区政府", "laishan")


def queue_rows(page: str) -> list[str]:
    return re.findall(r'<td><a href="/console/tickets/([\d-]+)">', page)


def told(kind: str):
    def query(s):
        return s.execute(select(Notification).where(Notification.kind == kind).order_by(Notification.id)).scalars().all()
    return query


def history(number: str):
    def query(s):
        ticket = get_ticket(s, number)
        return s.execute(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.seq)).scalars().all()
    return query


async def test_queue_shows_new_tickets_urgent_first_and_the_handed_over_conversations(site, clock, backoffice):
    dispatched = await site.file()  # confident: dispatched by the system, not waiting for an operator
    older = await site.file(idempotency_key="queue-older-00001", category_confidence=0.4, respondent="财政局",
                            category="arrears", description="财政局拖欠工程款三百万元", place=None)
    clock.advance(minutes=5)
    newer = await site.file(idempotency_key="queue-newer-00001", category_confidence=0.4)
    clock.advance(minutes=5)
    urgent = await site.file(idempotency_key="queue-urgent-0001", category=None, urgent=True,
                             urgency_reason="春节前农民工工资", category_confidence=None)
    await site.db(lambda s: handoff(s, "telegram:777", "telegram", "777", "群众要求转人工：说不清楚", backoffice.now()))
    op = await site.signed_in("op1")
    page = await op.get("/console/")
    text = visible_text(page.text)
    assert queue_rows(page.text) == [urgent, newer, older]  # urgent first, then newest
    assert dispatched not in queue_rows(page.text)
    assert "待派单 3" in " ".join(text.split()) and "转人工会话 1" in " ".join(text.split())
    assert "telegram:777" in text and "群众要求转人工：说不清楚" in text

    everything = await op.get("/console/?tab=all")
    assert set(queue_rows(everything.text)) == {dispatched, older, newer, urgent}
    assert queue_rows((await op.get("/console/?tab=new&category=arrears")).text) == [older]
    assert queue_rows((await op.get("/console/?tab=new&urgent=1")).text) == [urgent]
    assert queue_rows((await op.get("/console/?tab=all&q=工程款")).text) == [older]
    assert queue_rows((await op.get(f"/console/?tab=all&q={dispatched}")).text) == [dispatched]
    assert queue_rows((await op.get("/console/?tab=all&department=civil_affairs")).text) == [dispatched]
    odd = await op.get("/console/?tab=nonsense&category=aliens&page=abc")
    assert odd.status == 200 and queue_rows(odd.text) == [urgent, newer, older]


async def conversation_with(site, backoffice, texts):
    now = backoffice.now()

    def add(s):
        s.add(Conversation(id="web:citizen-1", channel="web", sender_id="citizen-1", started_at=now, last_message_at=now))
        s.flush()
        ids = []
        for i, (direction, text) in enumerate(texts):
            m = Message(conversation_id="web:citizen-1", direction=direction, text=text, at=now, external_id=f"rasa-{i}")
            s.add(m)
            s.flush()
            ids.append(m.id)
        return ids

    return await site.db(add)


async def test_ticket_page_links_each_field_to_the_message_it_came_from(site, backoffice):
    ids = await conversation_with(site, backoffice, [
        ("in", "我要投诉"),
        ("out", "请说说是什么事。"),
        ("in", "莱山区初家街道办去年答应给我们小区加装电梯补贴每户两万，到现在一分没给。"),
        ("out", "是哪个单位答应的？"),
        ("in", "是初家街道办答应的"),
    ])
    number = await site.file(field_sources={
        "respondent": {"message_id": "rasa-4", "text": "是初家街道办答应的"},
        "description": {"message_id": None, "text": "莱山区初家街道办去年答应给我们小区加装电梯补贴每户两万，到现在一分没给。"},
        "promise_date": {"message_id": None, "text": "去年六月说的"},
    })
    op = await site.signed_in("op1")
    page = await op.get(f"/console/tickets/{number}")
    assert page.status == 200
    for msg_id in ids:
        assert f'id="msg-{msg_id}"' in page.text
    respondent = re.search(r'<div class="field-row" data-msg="msg-(\d+)">\s*<dt>被投诉单位</dt>', page.text)
    description = re.search(r'<div class="field-row" data-msg="msg-(\d+)">\s*<dt>投诉内容</dt>', page.text)
    assert int(respondent.group(1)) == ids[4] and int(description.group(1)) == ids[2]
    assert f'href="#msg-{ids[4]}"' in page.text
    text = visible_text(page.text)
    assert "来源原话（会话中未找到）：去年六月说的" in text
    assert "置信度 91%" in text and "建议主办 烟台市莱山区人民政府" in " ".join(text.split())
    assert "属地办理：由莱山区人民政府主办" in text
    assert "13905355678" in text  # operators see the complainant
    assert "受理" in text and "分类置信度达标，自动派单" in text  # the full history


async def test_operator_fixes_fields_and_dispatches(site):
    number = await site.file(category_confidence=0.5, category="other", respondent=None, place=None)
    op = await site.signed_in("op1")
    page = await op.get(f"/console/tickets/{number}")
    assert "派单" in page.text and 'id="form-dispatch"' in page.text
    r = await op.post(f"/console/tickets/{number}/amend", {"category": "other"})
    assert r.status == 422 and "没有要修改的内容" in visible_text(r.text)
    r = await op.post(f"/console/tickets/{number}/amend", {
        "category": "township_service", "respondent": "初家街道办", "place": "莱山区初家街道", "urgent": "1",
        "urgency_reason": "老人多，急需电梯", "reason": "助手把类别判成了一般诉求"})
    assert r.status == 303
    page = await op.get(f"/console/tickets/{number}")
    text = " ".join(visible_text(page.text).split())
    assert "修改工单信息" in text and "助手把类别判成了一般诉求" in text
    assert "类别 不属于政务失信的一般诉求（转普通工单） → 街道乡镇公共服务与优惠政策承诺未落实" in text
    assert "被投诉单位 （空） → 初家街道办" in text and "紧急" in text
    # The suggestion follows the corrected fields: 属地 district government leads.
    assert re.search(r'<option value="laishan" selected>', page.text)
    r = await op.post(f"/console/tickets/{number}/dispatch", [("lead", "laishan"), ("co", "civil_affairs")])
    assert r.status == 303
    events = await site.db(history(number))
    assert [e.action for e in events] == ["submit", "amend", "dispatch"]
    assert events[-1].payload == {"lead": "laishan", "co": ["civil_affairs"]} and events[-1].actor == "话务员张敏（op1）"
    ticket = await site.db(lambda s: get_ticket(s, number))
    assert ticket.urgent and ticket.respondent_code == "laishan_chujia" and ticket.state == "dispatched"


async def test_reroute_needs_a_reason_never_goes_to_the_accused_and_tells_the_citizen(site):
    number = await site.file()
    op = await site.signed_in("op1")
    r = await op.post(f"/console/tickets/{number}/reroute", [("lead", "civil_affairs"), ("reason", "")])
    assert r.status == 422 and "理由：缺少必填字段" in visible_text(r.text)
    r = await op.post(f"/console/tickets/{number}/reroute", [("lead", "laishan_chujia"), ("reason", "街道自己说清楚")])
    text = visible_text(r.text)
    assert r.status == 422 and "回避" in text and "街道自己说清楚" in r.text  # what was typed is kept
    assert re.search(r'<option value="laishan_chujia" selected>', r.text)
    r = await op.post(f"/console/tickets/{number}/reroute",
                      [("lead", "civil_affairs"), ("co", "laishan"), ("reason", "补贴由民政部门统筹")])
    assert r.status == 303 and r.location.endswith("?done=reroute")
    page = visible_text((await op.get(r.location)).text)
    assert "已完成：改派。" in page and "补贴由民政部门统筹" in page
    messages = await site.db(told("citizen_new_lead"))
    assert [m.body for m in messages] == [f"您的工单 {number} 已改由烟台市民政局办理，原因：补贴由民政部门统筹。"]
    # The new lead has it; the old lead now only assists.
    minzheng = await site.signed_in("minzheng1")
    assert "签收" in visible_text((await minzheng.get(f"/portal/tickets/{number}")).text)


async def test_decisions_on_a_returned_ticket(site):
    first = await site.file()
    second = await site.file(idempotency_key="returned-second-01")
    staff = await site.signed_in("laishan1")
    for number in (first, second):
        await staff.post(f"/portal/tickets/{number}/return", {"reason": "电梯补贴归区民政局管"})
    op = await site.signed_in("op1")
    queue = await op.get("/console/?tab=returned")
    assert set(queue_rows(queue.text)) == {first, second}
    page = visible_text((await op.get(f"/console/tickets/{first}")).text)
    assert "承办单位退单，待决定" in page and "电梯补贴归区民政局管" in page and "莱山区政府王芳" in page
    # Decision 1: the return stands; another body takes it.
    r = await op.post(f"/console/tickets/{first}/reroute", [("lead", "civil_affairs"), ("reason", "同意退单，改由民政局办理")])
    assert r.status == 303
    # Decision 2: not in scope at all.
    r = await op.post(f"/console/tickets/{second}/reject", {"reason": ""})
    assert r.status == 422 and "理由：缺少必填字段" in visible_text(r.text)
    r = await op.post(f"/console/tickets/{second}/reject", {"reason": "属于物业纠纷，请向住建部门反映"})
    assert r.status == 303
    rerouted = await site.db(told("citizen_new_lead"))
    rejected = await site.db(told("citizen_reject"))
    assert rerouted[0].body == f"您的工单 {first} 已改由烟台市民政局办理，原因：同意退单，改由民政局办理。"
    assert "属于物业纠纷，请向住建部门反映" in rejected[0].body and rejected[0].recipient == "web:citizen-1"
    assert queue_rows((await op.get("/console/?tab=returned")).text) == []


async def test_extension_requests_are_refused_or_approved_and_the_citizen_told(site):
    number = await site.file()
    staff = await site.signed_in("laishan1")
    await staff.post(f"/portal/tickets/{number}/accept", {})
    await staff.post(f"/portal/tickets/{number}/extension", {"new_due": "2026-12-04", "reason": "等区财政拨款"})
    op = await site.signed_in("op1")
    assert queue_rows((await op.get("/console/?tab=extension")).text) == [number]
    page = visible_text((await op.get(f"/console/tickets/{number}")).text)
    assert "延期申请待审批" in page and "等区财政拨款" in page and "2026年12月4日" in page
    r = await op.post(f"/console/tickets/{number}/extension/refuse", {"reason": ""})
    assert r.status == 422 and "理由：缺少必填字段" in visible_text(r.text)
    r = await op.post(f"/console/tickets/{number}/extension/refuse", {"reason": "五个工作日足够，请按期答复"})
    assert r.status == 303
    assert queue_rows((await op.get("/console/?tab=extension")).text) == []
    await staff.post(f"/portal/tickets/{number}/extension", {"new_due": "2026-12-18", "reason": "区财政月底才拨款"})
    r = await op.post(f"/console/tickets/{number}/extension/approve", {"reason": "同意"})
    assert r.status == 303
    page = visible_text((await op.get(f"/console/tickets/{number}")).text)
    assert "2026年12月18日（星期五）24:00前" in page and "批准延期" in page and "不批准延期" in page
    approved = await site.db(told("citizen_extension_approve"))
    assert len(approved) == 1
    assert approved[0].body == f"您的工单 {number} 办理期限已延长至 2026年12月18日，原因：区财政月底才拨款。"


async def test_duplicates_are_suggested_and_merged(site):
    original = await site.file()
    repeat = await site.file(idempotency_key="duplicate-00000001", sender_id="citizen-2", conversation_id="web:citizen-2",
                             description="初家街道办答应的加装电梯补贴每户两万，至今一分没给，第二次反映。")
    unrelated = await site.file(idempotency_key="unrelated-0000001", category="environment", respondent="环保局",
                                amount_yuan=None, place=None, description="工厂夜里排放黑烟，环保局不管。")
    op = await site.signed_in("op1")
    page = await op.get(f"/console/tickets/{repeat}")
    text = visible_text(page.text)
    assert f"合并到 {original}" in text and unrelated not in re.findall(r"合并到 ([\d-]+)", text)
    assert "同一被投诉单位" in text and "金额相同（20,000.00 元）" in text
    r = await op.post(f"/console/tickets/{repeat}/merge", {"into": repeat})
    assert r.status == 422 and "不能把工单合并到它自己" in visible_text(r.text)
    r = await op.post(f"/console/tickets/{repeat}/merge", {"into": original, "reason": f"与 {original} 为同一事项"})
    assert r.status == 303
    assert "已合并" in visible_text((await op.get(f"/console/tickets/{repeat}")).text)
    merged = await site.db(told("citizen_merge"))
    assert merged[0].recipient == "web:citizen-2" and original in merged[0].body


async def test_a_handed_over_conversation_is_answered_and_filed_by_hand(site, backoffice):
    await conversation_with(site, backoffice, [("in", "我说不清楚，要人工"), ("in", "区里欠我们工程款<b>五十万</b>")])
    await site.db(lambda s: handoff(s, "web:citizen-1", "web", "citizen-1", "群众要求转人工", backoffice.now()))
    op = await site.signed_in("op1")
    page = await op.get("/console/conversations/web:citizen-1")
    assert page.status == 200 and "区里欠我们工程款&lt;b&gt;五十万&lt;/b&gt;" in page.text
    r = await op.post("/console/conversations/web:citizen-1/message", {"message": "您好，我是12345话务员，请问是哪个区？"})
    assert r.status == 303
    sent = await site.db(told("operator_message"))
    assert [(m.channel, m.recipient, m.body) for m in sent] == [("web", "web:citizen-1", "您好，我是12345话务员，请问是哪个区？")]

    form = {"description": "福山区政府拖欠工程款五十万元", "category": "arrears", "respondent": "福山区政府",
            "amount_yuan": "500000", "contact_phone": "打电话给我", "nonce": "nonce-0001"}
    r = await op.post("/console/conversations/web:citizen-1/ticket", form)
    assert r.status == 422 and "联系电话：格式不正确" in visible_text(r.text)
    assert "福山区政府拖欠工程款五十万元" in r.text and 'value="打电话给我"' in r.text
    r = await op.post("/console/conversations/web:citizen-1/ticket", {**form, "contact_phone": "13800000000"})
    assert r.status == 303 and "/console/tickets/" in r.location
    again = await op.post("/console/conversations/web:citizen-1/ticket", {**form, "contact_phone": "13800000000"})
    assert again.location == r.location  # a double click files one ticket
    number = r.location.split("/")[-1].split("?")[0]
    ticket = await site.db(lambda s: get_ticket(s, number))
    assert ticket.conversation_id == "web:citizen-1" and ticket.state == "submitted" and ticket.channel == "web"
    queue = visible_text((await op.get("/console/")).text)
    assert "没有等待人工处理的会话" in queue and number in queue


async def test_complaint_text_with_html_is_shown_escaped_everywhere(site, backoffice):
    attack = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    await conversation_with(site, backoffice, [("in", f"投诉{attack}")])
    number = await site.file(description=f"拖欠补贴{attack}", respondent=f"初家街道办{attack}",
                             promise=attack, field_sources={"respondent": {"message_id": None, "text": attack}})
    staff = await site.signed_in("laishan1")
    await staff.post(f"/portal/tickets/{number}/accept", {})
    await staff.post(f"/portal/tickets/{number}/extension", {"new_due": "2026-12-18", "reason": attack})
    op = await site.signed_in("op1")
    pages = [await op.get("/console/?tab=all"), await op.get(f"/console/tickets/{number}"),
             await op.get("/console/conversations/web:citizen-1"),
             await staff.get("/portal/"), await staff.get(f"/portal/tickets/{number}")]
    for page in pages:
        assert page.status == 200
        assert "<script>alert" not in page.text and "<img src=x" not in page.text, page.url
        assert "&lt;script&gt;alert(" in page.text, page.url
        assert page.headers["Content-Security-Policy"].startswith("default-src 'self'")
