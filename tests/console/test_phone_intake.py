"""新来电: an operator files a complaint taken by phone. The suggestion comes
from the assistant's own model; the ticket from the API's own create path;
bad input gets a Chinese message and nothing typed is lost."""
import json
import re

from console_site import visible_text
from sqlalchemy import select

from intake_store.models import Complainant, Ticket
from intake_store.tickets.citizen import check_query_code
from intake_store.tickets.history import events_of
from intake_store.tickets.lookup import get_ticket

CALL = "我们公司给长安镇人民政府修了村道，验收合格，结算八十六万，至今还欠五十二万工程款，镇里一直说没钱"
FILED = re.compile(r'id="filed-number">([\d-]+)<.*?id="filed-code">(\d+)<', re.S)


def call(**changes) -> dict:
    return {"description": CALL, "category": "arrears", "respondent": "长安镇人民政府", "amount_yuan": "520000",
            "contact_name": "王先生", "contact_phone": "13905351234", "consent_disclose": "0", "nonce": "call-0001",
            **changes}


def filed_ticket(number: str):
    def query(s):
        ticket = get_ticket(s, number)
        person = s.execute(select(Complainant).where(Complainant.ticket_id == ticket.id)).scalar_one()
        return ticket, person, events_of(s, ticket)
    return query


async def test_the_suggestion_is_the_assistants_understanding_with_amount_and_place(site):
    op = await site.signed_in("op1")
    r = await op.post("/console/intake/understand", {"description": "莱山区初家街道办去年答应给我们小区加装电梯补贴每户两万，到现在一分没给"})
    assert r.status == 200
    s = json.loads(r.text)
    assert s["category"] == "township_service" and 0 < s["confidence"] <= 100
    assert len(s["alternatives"]) == 2 and all(a["name"] for a in s["alternatives"])
    assert s["respondent"] and "初家街道" in s["respondent"]
    assert s["amount_yuan"] == "20000" and s["place"] == "莱山区初家街道"
    assert s["lead_name"] and not s["ordinary"]

    # The operator's corrections steer the route: another category, another lead.
    r = await op.post("/console/intake/understand", {"description": CALL, "category": "other"})
    s = json.loads(r.text)
    assert s["ordinary"] and "12345" in s["lead_name"] and not s["auto_dispatch"]

    r = await op.post("/console/intake/understand", {"description": "  "})
    assert r.status == 422 and "来电内容" in json.loads(r.text)["error"]


async def test_only_operators_take_calls(site):
    sup = await site.signed_in("sup1")
    assert (await sup.get("/console/intake")).status == 403
    assert (await sup.post("/console/intake", call())).status == 403
    dept = await site.signed_in("laishan1")
    assert (await dept.post("/console/intake/understand", {"description": CALL})).status == 403
    nobody = site.person()
    r = await nobody.post("/console/intake/understand", {"description": CALL}, csrf=False)
    assert r.status == 303 and r.location.startswith("/login")


async def test_a_call_is_filed_on_the_phone_channel_by_the_operator_through_the_api_path(site):
    op = await site.signed_in("op1")
    page = await op.get("/console/intake")
    assert page.status == 200 and "新来电" in visible_text(page.text)
    r = await op.post("/console/intake", call())
    assert r.status == 200, visible_text(r.text)
    number, code = FILED.search(r.text).groups()
    assert "请把工单号和查询码读给来电人" in visible_text(r.text)

    ticket, person, events = await site.db(filed_ticket(number))
    assert ticket.channel == "phone" and ticket.conversation_id is None
    assert ticket.category_code == "arrears" and ticket.amount_yuan == 520000 and ticket.respondent == "长安镇人民政府"
    assert person.phone == "13905351234" and person.channel == "phone" and not ticket.consent_disclose
    assert events[0].action == "submit" and events[0].actor.startswith("话务员张敏")
    # The caller's number and code open the ticket as they would for a chat citizen.
    assert check_query_code(site.backoffice, ticket, code)

    # A reload posts again: the same ticket, not a second one.
    again = await op.post("/console/intake", call())
    assert FILED.search(again.text).groups() == (number, code)


async def test_bad_input_gets_chinese_messages_and_keeps_what_was_typed(site):
    op = await site.signed_in("op1")
    r = await op.post("/console/intake", call(description="", contact_phone="1390535", amount_yuan="很多"))
    text = visible_text(r.text)
    assert r.status == 422
    assert "来电内容：不能为空" in text and "联系电话：格式不对" in text and "涉及金额：格式不对" in text
    assert 'value="1390535"' in r.text and 'value="长安镇人民政府"' in r.text and 'value="很多"' in r.text

    r = await op.post("/console/intake", call(category=""))
    assert r.status == 422 and "投诉类别：请选择" in visible_text(r.text) and CALL in r.text
    assert await site.db(lambda s: s.execute(select(Ticket.id)).first()) is None


async def test_anonymous_only_when_the_caller_confirms_and_a_phone_is_kept_otherwise(site):
    op = await site.signed_in("op1")
    # Asked for anonymity after giving a phone: the caller is asked to confirm first.
    r = await op.post("/console/intake", call(anonymous="1"))
    assert r.status == 422 and "确定匿名吗" in visible_text(r.text) and 'id="confirm-anonymous" hidden' not in r.text

    r = await op.post("/console/intake", call(anonymous="1", anonymous_confirmed="1", nonce="call-anon"))
    number = FILED.search(r.text).group(1)
    ticket, person, _ = await site.db(filed_ticket(number))
    assert ticket.anonymous and person.phone is None and person.name is None
    assert "您是匿名投诉，我们不会电话回访" in visible_text(r.text)

    # A phone given needs the consent question answered; "同意" is recorded.
    r = await op.post("/console/intake", call(consent_disclose=None, nonce="call-consent"))
    assert r.status == 422 and "是否同意把您的姓名和电话告诉承办单位" in visible_text(r.text)
    r = await op.post("/console/intake", call(consent_disclose="1", nonce="call-consent"))
    ticket, person, _ = await site.db(filed_ticket(FILED.search(r.text).group(1)))
    assert ticket.consent_disclose and not ticket.anonymous and person.phone == "13905351234"

    # No phone and no anonymity: filed, and the operator says there is no call-back.
    r = await op.post("/console/intake", call(contact_phone="", consent_disclose=None, nonce="call-nophone"))
    ticket, person, _ = await site.db(filed_ticket(FILED.search(r.text).group(1)))
    assert not ticket.anonymous and person.phone is None
    assert "您没有留电话，我们无法电话回访" in visible_text(r.text)


async def test_an_ordinary_matter_is_shown_plainly_and_can_be_filed(site):
    op = await site.signed_in("op1")
    r = await op.post("/console/intake", call(description="我家楼下的路灯坏了半个月了，晚上很黑", category="other",
                                              respondent="", amount_yuan="", nonce="call-lamp"))
    text = "".join(visible_text(r.text).split())
    assert "一般诉求：这件事不属于政务失信，转烟台市12345政务服务便民热线办公室按普通工单办理" in text
    ticket, _, _ = await site.db(filed_ticket(FILED.search(r.text).group(1)))
    assert ticket.category_code == "other" and ticket.channel == "phone"
