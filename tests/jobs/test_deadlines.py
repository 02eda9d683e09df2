"""Deadlines that run themselves, as the department, the supervisor and the
citizen see them: the FakeClock moves through the 2026 holidays, 调休 Saturdays
and an extension, and each sweep's effect is read back through the API, the
portal inbox and the outbox."""
import asyncio
import logging
from dataclasses import replace
from datetime import date, timedelta

from aiohttp.test_utils import TestServer
from jobs_support import OPERATOR, SERVICE, bj, complaint, just_after, until
from sqlalchemy import select

from intake_store.app import create_app
from intake_store.db import session_scope
from intake_store.jobs import SCHEDULER, portal_inbox
from intake_store.jobs.models import JobRun, TicketAlarm
from intake_store.settings import Settings
from intake_store.tickets.commands import amend, create_ticket
from intake_store.tickets.lookup import get_ticket


async def test_reminder_then_yellow_then_red_card_across_national_day_and_a_make_up_saturday(desk):
    # Dispatched on Wednesday 30 Sep 2026, the day before the National Day holiday (1-7 Oct).
    desk.clock.set(bj(2026, 9, 30, 10))
    number, code = await desk.file()

    assert not (await desk.sweep_at(bj(2026, 9, 30, 23))).actions
    report = await desk.sweep_at(just_after(2026, 10, 1))  # one working day before 8 Oct 24:00
    assert dict(report.actions) == {"remind": 1}
    [reminder] = await desk.inbox("hrss")
    assert reminder.startswith("【到期提醒】工单 " + number) and "签收时限为2026年10月8日（星期四）24:00前" in reminder

    assert not (await desk.sweep_at(bj(2026, 10, 5, 12))).actions  # nothing during the holiday
    report = await desk.sweep_at(just_after(2026, 10, 9))
    assert dict(report.actions) == {"yellow_card": 1}
    assert await desk.cards(number) == [("yellow", "accept")]
    yellow = (await desk.inbox("hrss"))[-1]
    assert yellow.startswith("【督办·黄牌】") and "签收时限2026年10月8日（星期四）24:00前已过" in yellow
    # 9 Oct, Saturday 10 Oct (a 调休 working day) and 12 Oct: the red card threat ends on the 12th.
    assert "逾期满3个工作日（2026年10月12日（星期一）24:00前）" in yellow and "社会信用体系建设办公室" in yellow

    assert not (await desk.sweep_at(bj(2026, 10, 12, 23))).actions
    report = await desk.sweep_at(just_after(2026, 10, 13))
    # The red card for 签收, and the 答复 reminder (due 13 Oct: 8, 9, 10, 12, 13 Oct).
    assert dict(report.actions) == {"red_card": 1, "remind": 1}
    [red] = await desk.inbox("credit")
    assert red.startswith("【督办·红牌】烟台市人力资源和社会保障局承办的工单 " + number) and "签收" in red
    assert "答复时限为2026年10月13日（星期二）24:00前" in (await desk.inbox("hrss"))[-1]

    assert dict((await desk.sweep_at(just_after(2026, 10, 14))).actions) == {"yellow_card": 1}
    assert dict((await desk.sweep_at(just_after(2026, 10, 17))).actions) == {"red_card": 1}
    assert await desk.cards(number) == [("yellow", "accept"), ("red", "accept"), ("yellow", "reply"), ("red", "reply")]
    assert not (await desk.sweep_at(bj(2026, 12, 31))).actions  # every card given, once

    # What each side sees: the department the cards in the ticket's history, the
    # citizen that the ticket was supervised, the supervisor two red cards.
    events = await desk.events(number)
    assert [e["reason"] for e in events if e["action"] == "supervise"] == [
        "签收时限已过，黄牌督办", "签收逾期3个工作日，红牌督办，送发展改革委（信用办）",
        "答复时限已过，黄牌督办", "答复逾期3个工作日，红牌督办，送发展改革委（信用办）"]
    assert all(e["actor"] == "system" for e in events if e["action"] == "supervise")
    timeline = [t["text"] for t in (await desk.status(number, code))["timeline"]]
    assert timeline.count("工单已被督办") == 4
    assert len(await desk.inbox("credit")) == 2 and len(await desk.inbox("hrss")) == 4


async def test_an_approved_extension_moves_the_reminder_and_the_card(desk):
    desk.clock.set(bj(2026, 11, 16, 10))  # Monday; 答复 due Monday 23 Nov
    number, _ = await desk.file()
    await desk.act(number, "accept")
    await desk.act(number, "verify", result="partly_substantiated", findings="部分工资未结清")
    desk.clock.set(bj(2026, 11, 18, 9))
    await desk.act(number, "extension_request", reason="需协调区财政拨付资金", new_due=date(2026, 12, 4))
    await desk.act(number, "extension_approve", OPERATOR)

    assert not (await desk.sweep_at(just_after(2026, 11, 24))).actions  # the old due date is no longer a deadline
    report = await desk.sweep_at(just_after(2026, 12, 4))  # one working day before Friday 4 Dec 24:00
    assert dict(report.actions) == {"remind": 1}
    assert "答复时限为2026年12月4日（星期五）24:00前" in (await desk.inbox("hrss"))[-1]
    assert dict((await desk.sweep_at(just_after(2026, 12, 5))).actions) == {"yellow_card": 1}
    assert await desk.cards(number) == [("yellow", "reply")]
    # The card names the new due time.
    [card] = [e for e in await desk.events(number) if e["action"] == "supervise"]
    assert card["payload"]["due_at"].startswith("2026-12-04T23:59:59")


async def test_follow_up_across_the_spring_festival_asks_again_then_closes_unrated(desk):
    desk.clock.set(bj(2026, 2, 12, 10))
    number, code = await desk.file()
    desk.clock.set(bj(2026, 2, 13, 10))  # replied on the Friday before the Spring Festival
    await desk.work_to_reply(number)
    [reply] = await desk.to_citizen()
    assert "请对办理结果评价" in reply.body

    # 回访 window: Saturday 14 Feb (调休), then 24 and 25 Feb after the holiday.
    assert not (await desk.sweep_at(bj(2026, 2, 24, 12))).actions
    assert dict((await desk.sweep_at(just_after(2026, 2, 25))).actions) == {"ask_rating": 1}
    ask = (await desk.to_citizen())[-1]
    assert (ask.channel, ask.recipient) == ("telegram", "telegram:4242")
    assert ask.body.startswith(f"您的工单 {number} 已经答复，我们还没有收到您的评价。")
    assert "2026年2月25日（星期三）24:00前仍未评价的，工单将按“未评价”办结" in ask.body

    assert dict((await desk.sweep_at(just_after(2026, 2, 26))).actions) == {"close_unrated": 1}
    closing = (await desk.to_citizen())[-1]
    assert "已按“未评价”办结" in closing.body and "仍可凭工单号和查询码查询" in closing.body
    close = (await desk.events(number))[-1]
    assert (close["action"], close["actor"], close["reason"]) == ("close", "system", "未评价")

    # Closed, and still there for the citizen with the number and query code.
    status = await desk.status(number, code)
    assert status["state_name"] == "已办结" and status["reply"] == "已督促施工单位12月底前结清全部工资。"
    assert status["timeline"][-1]["text"] == "已办结" and not status["followup_open"]
    late = await desk.client.post(f"/api/tickets/{number}/followup", headers=desk.auth("service"),
                                  json={"query_code": code, "satisfaction": "满意"})
    assert late.status == 409 and (await late.json())["error"] == "这张工单目前没有待评价的答复。"
    assert not (await desk.sweep_at(bj(2026, 3, 31))).actions and len(await desk.to_citizen()) == 3


async def test_unsatisfied_reopens_with_a_new_clock_and_a_second_unsatisfied_goes_to_the_supervisor(desk):
    desk.clock.set(bj(2026, 11, 16, 10))
    number, code = await desk.file()
    await desk.work_to_reply(number)
    rate = {"query_code": code, "satisfaction": "不满意", "comment": "钱还是没到账"}

    desk.clock.set(bj(2026, 11, 17, 15))
    r = await desk.client.post(f"/api/tickets/{number}/followup", json=rate, headers=desk.auth("service"))
    assert (await r.json())["state"] == "reopened"
    await desk.sweep_at(bj(2026, 11, 17, 16))
    # The new round has its own 签收 clock (due Wed 18 Nov): its own reminder and card.
    assert dict((await desk.sweep_at(just_after(2026, 11, 18))).actions) == {"remind": 1}
    assert "签收时限为2026年11月18日（星期三）24:00前" in (await desk.inbox("hrss"))[-1]
    assert dict((await desk.sweep_at(just_after(2026, 11, 19))).actions) == {"yellow_card": 1}

    desk.clock.set(bj(2026, 11, 19, 10))
    await desk.work_to_reply(number, "已再次督促，款项本周内到账。")
    desk.clock.set(bj(2026, 11, 20, 10))
    r = await desk.client.post(f"/api/tickets/{number}/followup", json=rate, headers=desk.auth("service"))
    assert (await r.json())["state"] == "supervising"
    assert dict((await desk.sweep_at(bj(2026, 11, 20, 10, 1))).actions) == {"escalate": 1}
    [escalation] = await desk.inbox("credit")
    assert escalation.startswith("【转督办】烟台市人力资源和社会保障局承办的工单 " + number)
    assert "再次评价“不满意”" in escalation
    # With a supervisor now, no clock runs: nothing closes it as 未评价.
    assert not (await desk.sweep_at(bj(2026, 12, 31))).actions
    assert (await desk.status(number, code))["state_name"] == "转督办"


async def test_a_failing_ticket_is_logged_retried_and_does_not_stop_the_others(desk, caplog):
    desk.clock.set(bj(2026, 11, 16, 10))
    broken, _ = await desk.file("jobs-broken")
    desk.clock.set(bj(2026, 11, 16, 11))
    await desk.act(broken, "reroute", OPERATOR, reason="改由住建局主办", lead="housing")
    for i in range(4):
        await desk.file(f"jobs-fine-{i}")
    # The housing bureau has been dropped from the catalog while it still had an open ticket.
    catalog = desk.bo.catalog
    without_housing = replace(desk.bo, catalog=replace(catalog, departments={
        k: v for k, v in catalog.departments.items() if k != "housing"}))

    with caplog.at_level(logging.ERROR, logger="hotline.jobs"):
        report = await desk.sweep_at(just_after(2026, 11, 17), bo=without_housing)
    assert dict(report.actions) == {"remind": 4}  # every other ticket got its reminder
    assert [e["ticket"] for e in report.errors] == [broken] and "housing" in report.errors[0]["error"]
    assert f"deadline job failed for ticket {broken}" in caplog.text

    def recorded(s):
        run = s.execute(select(JobRun).order_by(JobRun.id.desc())).scalars().first()
        return run, s.execute(select(TicketAlarm).where(TicketAlarm.failures > 0)).scalar_one()
    run, alarm = await desk.db(recorded)
    assert (run.errors, run.error_details[0]["ticket"], run.actions) == (1, broken, {"remind": 4})
    assert alarm.failures == 1 and "housing" in alarm.last_error
    assert alarm.ring_at == just_after(2026, 11, 17) + timedelta(seconds=30)

    # Not retried at once, but after the back-off; with the catalog fixed it goes through.
    assert not (await desk.sweep_at(just_after(2026, 11, 17) + timedelta(seconds=10), bo=without_housing)).errors
    report = await desk.sweep_at(alarm.ring_at)
    assert dict(report.actions) == {"remind": 1} and not report.errors
    [reminder] = await desk.inbox("housing")
    assert f"工单 {broken}" in reminder


async def test_looking_at_a_ticket_again_after_a_change_sends_nothing_twice(desk):
    desk.clock.set(bj(2026, 11, 16, 10))
    number, _ = await desk.file()
    assert dict((await desk.sweep_at(just_after(2026, 11, 17))).actions) == {"remind": 1}
    # An operator corrects the place: every event makes the next sweep look at the ticket again.
    desk.clock.set(bj(2026, 11, 17, 9))
    await desk.db(lambda s: amend(desk.bo, s, number, OPERATOR, {"place": "芝罘区向阳街道"}, "补充地点"))
    report = await desk.sweep_at(bj(2026, 11, 17, 9, 1))
    assert report.tickets == 1 and not report.actions
    assert not (await desk.sweep_at(bj(2026, 11, 17, 9, 1))).tickets
    assert len(await desk.inbox("hrss")) == 1


async def test_the_app_runs_the_sweep_on_its_own_schedule_and_delivers_to_the_portal(backoffice, clock):
    clock.set(bj(2026, 11, 16, 10))

    def file():
        with session_scope(backoffice.engine) as s:
            return create_ticket(backoffice, s, complaint("jobs-scheduled"), SERVICE)[0].number
    number = await asyncio.to_thread(file)
    clock.set(just_after(2026, 11, 18))  # 签收 was due on the 17th

    settings = Settings(database_url="sqlite://", jobs_interval_seconds=0.05, outbox_poll_seconds=0.05)
    app = create_app(settings, backoffice=backoffice)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        job = app[SCHEDULER].get_job("deadline_sweep")
        assert (job.name, job.coalesce, job.max_instances) == ("到期提醒、督办与回访", True, 1)

        def delivered():
            with session_scope(backoffice.engine) as s:
                return [n.body for n in portal_inbox(s, "hrss")]
        inbox = await until(delivered, "the scheduled sweep and the app's sender to deliver the yellow card")
        assert inbox[0].startswith(f"【督办·黄牌】工单 {number}")
    finally:
        await server.close()
    assert not app[SCHEDULER].running


async def test_red_card_never_goes_to_the_accused_body(desk):
    # A procurement complaint against 发改委: 财政局 leads it, and 财政局's usual
    # supervisor is 发改委 itself. 回避 (DOMAIN.md: "a complaint is never routed for
    # handling to the body it accuses") holds for 督办 too: the card goes above 发改委.
    desk.clock.set(bj(2026, 11, 16, 10))
    data = complaint("jobs-accused").model_copy(update={"category": "procurement", "respondent": "市发改委"})
    number = await desk.db(lambda s: create_ticket(desk.bo, s, data, SERVICE)[0].number)
    assert await desk.db(lambda s: get_ticket(s, number).lead_code) == "finance"
    await desk.sweep_at(just_after(2026, 11, 18))  # yellow card for 签收
    yellow = (await desk.inbox("finance"))[-1]
    assert "将向中共烟台市纪律检查委员会 烟台市监察委员会发出红牌督办" in yellow
    report = await desk.sweep_at(just_after(2026, 11, 21))
    assert report.actions["red_card"] == 1
    assert await desk.inbox("credit") == []
    [red] = await desk.inbox("discipline")
    assert red.startswith("【督办·红牌】烟台市财政局承办的工单 " + number)


async def test_sme_arrears_not_forwarded_in_10_working_days_get_a_reminder_and_cards(desk):
    # 保障中小企业款项支付条例 as DOMAIN.md cites it: "forward within 10 working days" of submission.
    # Nobody has forwarded the complaint yet, so the hotline office answers for the 转办 clock.
    desk.clock.set(bj(2026, 11, 16, 10))  # Monday; 10 working days end on Monday 30 Nov
    data = complaint("jobs-sme").model_copy(update={
        "category": "arrears", "category_confidence": 0.4, "respondent": "市财政局",
        "description": "我们是小微企业，给市财政局做的信息化项目验收合格，尾款38万元拖了一年没付。"})
    number = await desk.db(lambda s: create_ticket(desk.bo, s, data, SERVICE)[0].number)
    assert await desk.db(lambda s: get_ticket(s, number).state) == "submitted"  # waits for a dispatcher

    assert dict((await desk.sweep_at(just_after(2026, 11, 28))).actions) == {"remind": 1}
    [reminder] = await desk.inbox("hotline")
    assert reminder.startswith("【到期提醒】工单 " + number) and "转办时限为2026年11月30日（星期一）24:00前" in reminder
    assert dict((await desk.sweep_at(just_after(2026, 12, 1))).actions) == {"yellow_card": 1}
    assert "转办时限2026年11月30日（星期一）24:00前已过" in (await desk.inbox("hotline"))[-1]
    assert dict((await desk.sweep_at(just_after(2026, 12, 4))).actions) == {"red_card": 1}
    [red] = await desk.inbox("credit")  # the hotline office's supervisor
    assert red.startswith("【督办·红牌】烟台市12345政务服务便民热线办公室") and "转办时限" in red
    events = await desk.events(number, who="operator")
    assert [e["reason"] for e in events if e["action"] == "supervise"] == [
        "转办时限已过，黄牌督办", "转办逾期3个工作日，红牌督办，送发展改革委（信用办）"]

    await desk.act(number, "dispatch", OPERATOR, lead="industry")
    assert not (await desk.sweep_at(just_after(2026, 12, 10))).actions.get("red_card")  # forwarded: the clock stopped
