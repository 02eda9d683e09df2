"""新来电 in a real browser (Debian's Chromium): an operator takes a call, sees
the suggestion follow what they type, corrects the respondent, answers the
contact questions as the caller does, and reads out the number and query code."""
from playwright.async_api import expect
from test_console_browser import chromium, open_as  # noqa: F401 - the shared browser

from intake_store.tickets.citizen import check_query_code
from intake_store.tickets.lookup import get_ticket

FIRST = "我们公司给莱山区初家街道办修了小区道路，验收合格，"
MORE = "结算八十六万，至今还欠五十二万工程款，街道说没钱。"


# The first suggestion loads the model: wait for what the page should show, however long it takes.
PATIENT = {"timeout": 0}


async def test_an_operator_takes_a_call_and_reads_out_number_and_query_code(site, chromium, artifacts):  # noqa: F811
    page = await open_as(chromium, site, "op1")
    await page.get_by_role("link", name="新来电").click()
    await expect(page.get_by_role("heading", name="新来电")).to_be_visible(**PATIENT)

    notes = page.get_by_label("来电人反映的事情（可直接粘贴）")
    await notes.press_sequentially(FIRST, delay=20)
    await expect(page.locator("#sg-category")).not_to_be_empty(**PATIENT)
    await expect(page.get_by_label("被投诉单位")).to_have_value("莱山区初家街道办", **PATIENT)
    await expect(page.get_by_label("发生地（区县、街道或乡镇）")).to_have_value("莱山区初家街道", **PATIENT)
    await expect(page.get_by_label("涉及金额（元）")).to_have_value("", **PATIENT)

    # More of the call: the amount owed appears, the category is the model's best.
    await notes.press_sequentially(MORE, delay=20)
    await expect(page.get_by_label("涉及金额（元）")).to_have_value("520000", **PATIENT)
    await expect(page.locator("#sg-category")).to_have_text("拖欠企业账款（含工程款、货款、中小企业账款）", **PATIENT)
    await expect(page.locator("#sg-confidence")).to_contain_text("置信度", **PATIENT)
    await expect(page.locator("#sg-alternatives button")).to_have_count(2, **PATIENT)
    await expect(page.get_by_label("投诉类别")).to_have_value("arrears", **PATIENT)
    lead_before = await page.locator("#sg-lead").text_content()
    assert lead_before

    # The caller says it was the district that promised to pay: the operator corrects it, and it stays corrected.
    respondent = page.get_by_label("被投诉单位")
    await respondent.fill("莱山区人民政府")
    await expect(page.locator("#suggestion-status")).to_have_text("已按记下的内容更新建议。", **PATIENT)
    await notes.press_sequentially("钱是区里答应付的。", delay=20)
    await expect(page.locator("#suggestion-status")).to_have_text("已按记下的内容更新建议。", **PATIENT)
    await expect(respondent).to_have_value("莱山区人民政府", **PATIENT)

    # Contact: the consent question appears once a phone is given; a wrong number is refused, nothing lost.
    await expect(page.get_by_role("group", name="告知承办单位")).to_be_hidden(**PATIENT)
    await page.get_by_label("联系电话").fill("1390535")
    await expect(page.get_by_role("group", name="告知承办单位")).to_be_visible(**PATIENT)
    await page.get_by_label("同意", exact=True).check()
    await page.get_by_role("button", name="受理").click()
    await expect(page.get_by_role("alert")).to_contain_text("联系电话：格式不对", **PATIENT)
    await expect(notes).to_have_value(FIRST + MORE + "钱是区里答应付的。", **PATIENT)
    await expect(respondent).to_have_value("莱山区人民政府", **PATIENT)
    await expect(page.get_by_label("涉及金额（元）")).to_have_value("520000", **PATIENT)

    await page.get_by_label("联系电话").fill("13905351234")
    await page.get_by_label("联系人").fill("王先生")
    await page.screenshot(path=str(artifacts / "console-phone-intake.png"), full_page=True)
    await page.get_by_role("button", name="受理").click()

    await expect(page.get_by_role("heading", name="已受理")).to_be_visible(**PATIENT)
    number = (await page.locator("#filed-number").text_content()).strip()
    code = (await page.locator("#filed-code").text_content()).strip()
    assert len(code) == 8 and code.isdigit()
    await page.screenshot(path=str(artifacts / "console-phone-filed.png"), full_page=True)

    def check(s):
        ticket = get_ticket(s, number)
        return ticket, check_query_code(site.backoffice, ticket, code)

    ticket, code_ok = await site.db(check)
    assert code_ok and ticket.channel == "phone" and ticket.respondent == "莱山区人民政府"
    assert ticket.amount_yuan == 520000 and ticket.consent_disclose and ticket.category_code == "arrears"


async def test_an_ordinary_matter_is_shown_as_such_and_an_empty_call_is_refused(site, chromium):  # noqa: F811
    page = await open_as(chromium, site, "op1")
    await page.goto(site.base.rstrip("/") + "/console/intake")
    await page.get_by_role("button", name="受理").click()
    await expect(page.get_by_role("alert")).to_contain_text("来电内容：不能为空", **PATIENT)

    await page.get_by_label("来电人反映的事情（可直接粘贴）").fill("我家楼下的路灯坏了半个月了，晚上出门很黑，麻烦派人修一下")
    await expect(page.locator("#sg-ordinary")).to_be_visible(**PATIENT)
    await expect(page.locator("#sg-ordinary")).to_contain_text("一般诉求", **PATIENT)
    await expect(page.get_by_label("投诉类别")).to_have_value("other", **PATIENT)
    await page.get_by_role("button", name="受理").click()
    await expect(page.locator(".filed .ordinary")).to_contain_text("一般诉求", **PATIENT)
