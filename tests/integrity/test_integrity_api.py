"""The integrity API as supervisors and departments use it over HTTP: records,
objections, repairs, scorecards, warnings and exports (a real server on 127.0.0.1)."""
import asyncio
import csv
import io
import json

import pytest
from aiohttp.test_utils import TestClient, TestServer
from integrity_work import file, work
from openpyxl import load_workbook

from intake_store.app import create_app
from intake_store.auth import create_token
from intake_store.db import session_scope
from intake_store.settings import Settings


@pytest.fixture
async def api(bo):
    settings = Settings(database_url="sqlite://", jobs_interval_seconds=3600)
    client = TestClient(TestServer(create_app(settings, backoffice=bo), host="127.0.0.1"))
    await client.start_server()

    def tokens():
        with session_scope(bo.engine) as s:
            return {
                "supervisor": create_token(s, "信用办张科长", "supervisor"),
                "operator": create_token(s, "话务员甲", "operator"),
                "finance": create_token(s, "财政局", "department", "finance"),
                "commerce": create_token(s, "商务局", "department", "commerce"),
            }

    # Database work off the event loop: the app's outbox sender needs the loop to finish its transactions.
    client.tokens = await asyncio.to_thread(tokens)
    client.bo = bo
    yield client
    await client.close()


def auth(api, who):
    return {"Authorization": f"Bearer {api.tokens[who]}"}


async def in_thread(fn, *args, **kw):
    return await asyncio.to_thread(fn, *args, **kw)


async def get(api, path, who="supervisor"):
    r = await api.get(path, headers=auth(api, who))
    assert r.status == 200, await r.text()
    return await r.json()


async def post(api, path, body, who):
    r = await api.post(path, json=body, headers=auth(api, who))
    return r.status, await r.json()


async def test_a_department_objects_and_the_supervisor_answers(api):
    number = await in_thread(work, api.bo)
    records = await get(api, "/api/integrity/records", "finance")
    assert records["total"] == 1
    rid = records["items"][0]["id"]
    assert records["items"][0]["ticket_number"] == number
    assert (await get(api, "/api/integrity/records", "commerce"))["total"] == 0

    status, body = await post(api, f"/api/integrity/records/{rid}/objection", {"reason": "已付款"}, "commerce")
    assert status == 404 and body["error"] == "没有找到这条政务失信记录。"
    status, body = await post(api, f"/api/integrity/records/{rid}/objection",
                              {"reason": "尾款已于核查前支付", "evidence": "银行回单"}, "finance")
    assert status == 200 and body["status_name"] == "有效（异议处理中）"
    assert body["clocks"]["objection"]["due_text"] == "2026年11月30日（星期一）24:00前"
    status, body = await post(api, f"/api/integrity/records/{rid}/objection/uphold", {"reason": "回单属实"}, "finance")
    assert status == 403 and body["error"] == "当前角色无权执行这个操作。"
    status, body = await post(api, f"/api/integrity/records/{rid}/objection/uphold", {}, "supervisor")
    assert status == 422 and body["details"][0]["field"] == "reason"
    status, body = await post(api, f"/api/integrity/records/{rid}/objection/uphold", {"reason": "回单属实"}, "supervisor")
    assert status == 200 and body["status_name"] == "有效（待更正）"
    status, body = await post(api, f"/api/integrity/records/{rid}/correct",
                              {"withdraw": True, "reason": "核查前已支付，撤销"}, "supervisor")
    assert status == 200 and body["status_name"] == "已撤销"
    status, body = await post(api, f"/api/integrity/records/{rid}/repair",
                              {"rectification": "x", "evidence": "y"}, "finance")
    assert status == 422 and body["error"] == "这条记录已撤销，不能再办理。"


async def test_a_department_applies_for_repair_and_the_supervisor_approves(api):
    await in_thread(work, api.bo)
    rid = (await get(api, "/api/integrity/records"))["items"][0]["id"]
    status, body = await post(api, f"/api/integrity/records/{rid}/repair", {"rectification": "已全额支付"}, "finance")
    assert status == 422 and body["details"][0]["field"] == "evidence"
    status, body = await post(api, f"/api/integrity/records/{rid}/repair",
                              {"rectification": "尾款38万元已全额支付", "evidence": "银行回单"}, "finance")
    assert status == 200 and body["stage"] == "repair"
    status, body = await post(api, f"/api/integrity/records/{rid}/repair/approve", {}, "supervisor")
    assert status == 200 and body["status_name"] == "已修复" and body["repairs"][0]["decision_name"] == "已批准"
    assert body["counts_until_text"] == "2027年2月16日（星期二）10:00"  # 一般: at least 3 months from recording
    assert [e["action_name"] for e in body["events"]] == ["记入政务失信记录", "申请信用修复", "批准信用修复"]


async def test_malformed_requests_get_chinese_errors_and_change_nothing(api):
    await in_thread(work, api.bo)
    rid = (await get(api, "/api/integrity/records"))["items"][0]["id"]
    r = await api.post(f"/api/integrity/records/{rid}/objection", data=b"{oops", headers=auth(api, "finance"))
    assert r.status == 400 and (await r.json())["code"] == "malformed_json"
    r = await api.get("/api/integrity/records/abc", headers=auth(api, "supervisor"))
    assert r.status == 404 and (await r.json())["error"] == "没有找到这条政务失信记录。"
    # a Unicode digit (¹) is a digit to str.isdigit but no record number
    r = await api.post("/api/integrity/records/%C2%B9/measure", json={"reason": "u", "kind": "提醒"},
                       headers=auth(api, "supervisor"))
    assert r.status == 404
    r = await api.get("/api/integrity/records?severity=很严重", headers=auth(api, "supervisor"))
    assert r.status == 400 and "severity" in (await r.json())["error"]
    r = await api.get("/api/integrity/scorecards?from=2026-13-01", headers=auth(api, "supervisor"))
    assert r.status == 400 and (await r.json())["error"] == "参数 from 须为日期，格式如 2026-01-31。"
    r = await api.get("/api/integrity/scorecards?from=2026-12-01&to=2026-11-01", headers=auth(api, "supervisor"))
    assert r.status == 400 and "结束日期不能早于开始日期" in (await r.json())["error"]
    r = await api.post(f"/api/integrity/records/{rid}/correct", json={"reason": "x", "severity": "很严重"},
                       headers=auth(api, "supervisor"))
    assert r.status == 422
    detail = await get(api, f"/api/integrity/records/{rid}")
    assert [e["action"] for e in detail["events"]] == ["record"]


async def test_scorecards_warnings_and_dashboard_over_http(api):
    await in_thread(work, api.bo)
    cards = await get(api, "/api/integrity/scorecards?from=2026-11-01")
    assert {c["body_code"] for c in cards["items"]} == {"industry", "finance"}
    assert cards["from"].startswith("2026-11-01T00:00:00+08:00")
    own = await get(api, "/api/integrity/scorecards", "finance")
    assert [c["body_code"] for c in own["items"]] == ["finance"] and own["items"][0]["records"] == 1
    assert (await get(api, "/api/integrity/warnings"))["items"] == []
    r = await api.get("/api/integrity/warnings", headers=auth(api, "finance"))
    assert r.status == 403
    dash = await get(api, "/api/integrity/dashboard?weeks=8")
    assert len(dash["period"]["weeks"]) == 8 and dash["ranking"]


async def test_exports_in_csv_and_xlsx_never_carry_the_complainant(api):
    await in_thread(work, api.bo)
    await in_thread(file, api.bo, respondent="=HYPERLINK(\"http://x\")市财政局", contact_name="赵六",
                    contact_phone="13911112222", description="我叫赵六，电话13911112222，财政局欠款不还。")
    r = await api.get("/api/integrity/export/scorecards?format=csv&from=2026-11-01&to=2026-11-30",
                      headers=auth(api, "supervisor"))
    assert r.status == 200 and r.headers["Content-Type"].startswith("text/csv")
    assert "scorecards-2026-11-01-2026-11-30.csv" in r.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO((await r.read()).decode("utf-8-sig"))))
    assert rows[0][:4] == ["排名", "单位", "层级", "综合诚信分"]
    finance = next(row for row in rows if row[1] == "烟台市财政局")
    assert finance[rows[0].index("新增失信记录")] == "1" and finance[rows[0].index("评级")] == "A"

    r = await api.get("/api/integrity/export/scorecards?format=xlsx", headers=auth(api, "supervisor"))
    sheet = load_workbook(io.BytesIO(await r.read())).active
    header = [c.value for c in sheet[1]]
    industry = next(row for row in sheet.iter_rows(min_row=2, values_only=True) if row[1] == "烟台市工业和信息化局")
    cell = sheet.cell(row=2, column=header.index("按时签收率") + 1)
    assert industry[header.index("收到工单")] == 2 and cell.number_format == "0.0%"

    for fmt in ("csv", "xlsx"):
        r = await api.get(f"/api/integrity/export/tickets?format={fmt}", headers=auth(api, "operator"))
        assert r.status == 200
        data = await r.read()
        if fmt == "csv":
            text = data.decode("utf-8-sig")
        else:
            text = json.dumps([list(row) for row in load_workbook(io.BytesIO(data)).active.iter_rows(values_only=True)],
                              ensure_ascii=False)
        assert "工单号" in text and "烟台市工业和信息化局" in text
        for secret in ("赵六", "13911112222", "王女士", "13805351234", "我叫"):
            assert secret not in text
        assert "'=HYPERLINK" in text.replace('\\"', '"')
    r = await api.get("/api/integrity/export/tickets?format=pdf", headers=auth(api, "operator"))
    assert r.status == 400 and (await r.json())["error"] == "参数 format 只能是 csv 或 xlsx。"
    r = await api.get("/api/integrity/export/tickets", headers=auth(api, "finance"))
    assert r.status == 403
