"""The department portal: an inbox with the clocks, and a ticket worked from
签收 to 答复, as a department's staff see it."""
import re

from console_site import visible_text
from sqlalchemy import select

from intake_store.models import Notification, TicketEvent


def rows(page: str) -> list[str]:
    """Ticket numbers in the order the inbox lists them."""
    return re.findall(r'<a href="/portal/tickets/([\d-]+)">', page)


async def test_inbox_shows_the_clocks_in_beijing_time_and_overdue_in_red(site, clock):
    first = await site.file()
    clock.advance(hours=3)
    urgent = await site.file(idempotency_key="inbox-urgent-0001", urgent=True, urgency_reason="春节前欠薪")
    elsewhere = await site.file(idempotency_key="inbox-other-00001", category="environment", respondent="环保局",
                                description="环保承诺没兑现", place=None)
    staff = await site.signed_in("laishan1")
    page = await staff.get("/portal/")
    text = visible_text(page.text)
    assert page.status == 200 and "烟台市莱山区人民政府 · 工单收件箱" in text
    assert set(rows(page.text)) == {first, urgent} and elsewhere not in page.text
    # 签收 due one working day after dispatch; urgent: 2 hours (both 北京时间).
    assert "2026年11月17日（星期二）24:00前" in text and "2026年11月16日（星期一）15:00前" in text
    assert "答复时限" in text and "已超时" not in text
    assert rows(page.text) == [urgent, first]  # nearest deadline first
    by_created = await staff.get("/portal/?sort=created&dir=desc")
    assert rows(by_created.text) == [urgent, first] and 'aria-sort="descending"' in by_created.text
    assert rows((await staff.get("/portal/?sort=created")).text) == [first, urgent]

    clock.advance(hours=3)  # the urgent ticket's 2 hours are gone (and the idle session with them)
    assert (await staff.get("/portal/")).status == 303
    staff = await site.signed_in("laishan1")
    page = await staff.get("/portal/")
    overdue_row = re.search(rf'<tr class="overdue-row">\s*<td><a href="/portal/tickets/{urgent}">', page.text)
    assert overdue_row and 'class="clock overdue"' in page.text and "已超时" in visible_text(page.text)
    only_overdue = await staff.get("/portal/?overdue=1")
    assert rows(only_overdue.text) == [urgent]
    # An assisting body sees the ticket in its inbox too, marked as such.
    assisting = await site.signed_in("minzheng1")
    page = await assisting.get("/portal/")
    assert first in rows(page.text) and "协办" in visible_text(page.text)


async def test_department_signs_verifies_and_replies_and_the_citizen_hears(site):
    number = await site.file()
    staff = await site.signed_in("laishan1")
    page = await staff.get(f"/portal/tickets/{number}")
    assert "签收" in page.text and 'action="/portal/tickets/%s/return"' % number in page.text

    r = await staff.post(f"/portal/tickets/{number}/accept", {})
    assert r.status == 303 and r.location == f"/portal/tickets/{number}?done=accept"
    page = await staff.get(r.location)
    assert "已完成：签收。" in page.text and "已签收" in page.text
    assert f'action="/portal/tickets/{number}/return"' not in page.text  # 退单 only before 签收

    r = await staff.post(f"/portal/tickets/{number}/verify", {"result": "substantiated", "findings": "   "})
    assert r.status == 422 and "核查情况：缺少必填字段" in visible_text(r.text)
    assert 'value="substantiated" checked' in r.text  # what was chosen is kept
    r = await staff.post(f"/portal/tickets/{number}/verify", {"result": "大概", "findings": "看过了"})
    assert r.status == 422 and "核查结果：取值不在允许范围内" in visible_text(r.text) and "看过了" in r.text
    r = await staff.post(f"/portal/tickets/{number}/verify", {"result": "substantiated", "findings": "街道确未拨付补贴资金。"})
    assert r.status == 303
    reply = "补贴资金已列入预算，将于12月10日前发放到户。"
    r = await staff.post(f"/portal/tickets/{number}/reply", {"text": reply})
    assert r.status == 303
    page = visible_text((await staff.get(f"/portal/tickets/{number}")).text)
    assert "已答复" in page and reply in page and "街道确未拨付补贴资金。" in page

    def recorded(s):
        events = s.execute(select(TicketEvent.action, TicketEvent.actor, TicketEvent.role)
                           .order_by(TicketEvent.ticket_id, TicketEvent.seq)).all()
        told = s.execute(select(Notification).where(Notification.kind == "citizen_reply")).scalars().all()
        return events, told

    events, told = await site.db(recorded)
    mine = [(a, actor) for a, actor, role in events if role == "department"]
    assert mine == [(a, "莱山区政府王芳（laishan1）") for a in ("accept", "verify", "reply")]
    assert len(told) == 1 and told[0].recipient == "web:citizen-1" and told[0].channel == "web" and reply in told[0].body


async def test_a_return_needs_a_reason_and_is_only_possible_before_signing(site):
    number = await site.file()
    staff = await site.signed_in("laishan1")
    r = await staff.post(f"/portal/tickets/{number}/return", {"reason": ""})
    assert r.status == 422 and "理由：缺少必填字段" in visible_text(r.text)
    r = await staff.post(f"/portal/tickets/{number}/return", {"reason": "补贴由区民政局发放，不属本单位职责"})
    assert r.status == 303
    page = visible_text((await staff.get(f"/portal/tickets/{number}")).text)
    assert "已退单" in page and "补贴由区民政局发放" in page

    second = await site.file(idempotency_key="return-late-00001")
    await staff.post(f"/portal/tickets/{second}/accept", {})
    r = await staff.post(f"/portal/tickets/{second}/return", {"reason": "签收后才发现不归我们"})
    assert r.status == 422 and "不能退单" in visible_text(r.text) and "签收后才发现不归我们" in r.text


async def test_extension_request_needs_a_later_date_and_a_reason(site):
    number = await site.file()
    staff = await site.signed_in("laishan1")
    await staff.post(f"/portal/tickets/{number}/accept", {})
    r = await staff.post(f"/portal/tickets/{number}/extension", {"new_due": "2026-11-01", "reason": "资金未到位"})
    assert r.status == 422 and "请填写晚于今天的新办理期限" in visible_text(r.text) and "资金未到位" in r.text
    r = await staff.post(f"/portal/tickets/{number}/extension", {"new_due": "下个月", "reason": "资金未到位"})
    assert r.status == 422 and "新的办理期限" in visible_text(r.text)
    r = await staff.post(f"/portal/tickets/{number}/extension", {"new_due": "2026-12-18", "reason": "需区财政安排资金"})
    assert r.status == 303
    page = visible_text((await staff.get(f"/portal/tickets/{number}")).text)
    assert "延期申请（延至 2026年12月18日）待热线审批" in page and "申请延期" in page


async def test_the_complainant_is_hidden_unless_they_agreed(site):
    hidden = await site.file()
    shown = await site.file(idempotency_key="consent-yes-00001", consent_disclose=True)
    staff = await site.signed_in("laishan1")
    page = visible_text((await staff.get(f"/portal/tickets/{hidden}")).text)
    assert "李先生" not in page and "13905355678" not in page and "投诉人未同意公开身份" in page
    page = visible_text((await staff.get(f"/portal/tickets/{shown}")).text)
    assert "李先生" in page and "13905355678" in page


async def test_an_assisting_body_reads_but_only_the_lead_acts(site):
    number = await site.file()
    assisting = await site.signed_in("minzheng1")
    page = await assisting.get(f"/portal/tickets/{number}")
    assert page.status == 200 and "本单位为本工单的协办单位" in visible_text(page.text)
    assert "/accept" not in page.text
    r = await assisting.post(f"/portal/tickets/{number}/accept", {})
    assert r.status == 422 and "只有主办单位可以办理" in visible_text(r.text)


async def test_malformed_and_oversized_posts_get_a_chinese_page_not_a_crash(site):
    number = await site.file()
    staff = await site.signed_in("laishan1")
    r = await staff.post(f"/portal/tickets/{number}/reply", {"text": "答" * 70000})
    assert r.status == 413 and "提交的内容过大" in visible_text(r.text)
    r = await staff.session.post(f"/portal/tickets/{number}/accept", data=b"\xff\xfe not a form",
                                 headers={"Content-Type": "application/json"}, allow_redirects=False)
    assert r.status == 403 and "页面已过期" in await r.text()
    r = await staff.get("/portal/no-such-page")
    assert r.status == 404 and "没有这个页面" in visible_text(r.text)
    r = await staff.get("/portal/tickets/99999999-9999")
    assert r.status == 404 and "没有找到这张工单" in visible_text(r.text)
    r = await staff.get("/portal/?sort=drop%20table&dir=sideways&page=-3&tab=nope")
    assert r.status == 200
