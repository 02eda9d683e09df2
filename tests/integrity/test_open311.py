"""Open311 GeoReport v2 as another system uses it: services, a ticket posted
with an API key, requests listed with their filters, in JSON and XML, and no
personal data in any public answer."""
import asyncio
import json
from xml.etree import ElementTree as ET

import pytest
from aiohttp.test_utils import TestClient, TestServer
from integrity_work import act, department, file, work

from intake_store.app import create_app
from intake_store.auth import create_token
from intake_store.db import session_scope
from intake_store.settings import Settings

CITIZEN = {"contact_name": "赵六", "contact_phone": "13911112222", "place": "芝罘区向阳街道幸福小区3号楼2单元",
           "description": "我叫赵六，电话13911112222，市财政局欠我们公司工程款38万元一直不付。"}
SECRETS = ("赵六", "13911112222", "幸福小区", "我叫")


@pytest.fixture
async def api(bo):
    client = TestClient(TestServer(create_app(Settings(database_url="sqlite://", jobs_interval_seconds=3600),
                                              backoffice=bo), host="127.0.0.1"))
    await client.start_server()

    def keys():
        with session_scope(bo.engine) as s:
            return {"partner": create_token(s, "省12345平台", "partner"),
                    "department": create_token(s, "财政局", "department", "finance")}

    client.keys = await asyncio.to_thread(keys)
    client.bo = bo
    yield client
    await client.close()


async def test_services_list_and_definition_in_json_and_xml(api):
    services = await (await api.get("/open311/v2/services.json")).json()
    arrears = next(s for s in services if s["service_code"] == "arrears")
    assert arrears["service_name"].startswith("拖欠企业账款") and arrears["group"] == "政务失信"
    assert len(services) == len(api.bo.catalog.categories)
    r = await api.get("/open311/v2/services.xml")
    assert r.headers["Content-Type"].startswith("text/xml")
    root = ET.fromstring(await r.read())
    assert root.tag == "services" and root.find("service/service_code").text == services[0]["service_code"]
    definition = await (await api.get("/open311/v2/services/arrears.json")).json()
    assert [a["code"] for a in definition["attributes"]][:2] == ["respondent", "amount_yuan"]
    xml_def = ET.fromstring(await (await api.get("/open311/v2/services/arrears.xml")).read())
    assert xml_def.find("attributes/attribute/code").text == "respondent"
    r = await api.get("/open311/v2/services/nothing.json")
    assert r.status == 404 and (await r.json()) == [{"code": 404, "description": "没有这个服务代码：nothing"}]
    r = await api.get("/open311/v2/services.csv")
    assert r.status == 404 and (await r.json())[0]["description"] == "只支持 .json 和 .xml 两种格式。"


async def test_another_system_posts_a_ticket_with_an_api_key(api):
    form = {"api_key": api.keys["partner"], "service_code": "arrears", "description": CITIZEN["description"],
            "address_string": "芝罘区向阳街道", "first_name": "六", "last_name": "赵", "phone": "13911112222",
            "attribute[respondent]": "市财政局", "attribute[amount_yuan]": "380000", "idempotency_key": "province-000123"}
    r = await api.post("/open311/v2/requests.json", data=form)
    assert r.status == 201, await r.text()
    [created] = await r.json()
    number = created["service_request_id"]
    assert created["service_notice"] == "已受理，可用工单号查询办理进度。"
    again = await (await api.post("/open311/v2/requests.json", data=form)).json()
    assert again[0]["service_request_id"] == number  # a retry is the same ticket

    [public] = await (await api.get(f"/open311/v2/requests/{number}.json")).json()
    assert public["status"] == "open" and public["status_notes"] == "已派单"
    assert public["agency_responsible"] == "烟台市工业和信息化局" and public["service_code"] == "arrears"
    assert public["description"] == "拖欠企业账款（含工程款、货款、中小企业账款）"  # nobody accused in public yet
    assert public["address"] == "烟台市芝罘区人民政府" and public["expected_datetime"]
    for secret in SECRETS:
        assert secret not in json.dumps(public, ensure_ascii=False)
    operator = await asyncio.to_thread(_operator_view, api.bo, number)
    assert operator == ("open311", "赵 六", "13911112222")


def _operator_view(bo, number):
    from intake_store.tickets.lookup import get_ticket
    from intake_store.tickets.viewer import Viewer
    from intake_store.tickets.views import ticket_view

    with session_scope(bo.engine) as s:
        view = ticket_view(bo, s, get_ticket(s, number), Viewer("operator", "op"))
        return view["channel"], view["complainant"]["name"], view["complainant"]["phone"]


async def test_posting_needs_a_valid_service_key_and_valid_fields(api):
    base = {"service_code": "arrears", "description": "欠款不还"}
    r = await api.post("/open311/v2/requests.json", data=base)
    assert r.status == 401 and (await r.json())[0]["description"] == "提交工单需要 api_key。"
    r = await api.post("/open311/v2/requests.json", data={**base, "api_key": "guessed"})
    assert r.status == 401 and (await r.json())[0]["description"] == "api_key 无效或已停用。"
    r = await api.post("/open311/v2/requests.json", data={**base, "api_key": api.keys["department"]})
    assert r.status == 403
    key = {"api_key": api.keys["partner"]}
    r = await api.post("/open311/v2/requests.json", data={**key, "service_code": "nothing", "description": "x"})
    assert r.status == 400 and (await r.json())[0]["description"] == "没有这个服务代码：nothing"
    r = await api.post("/open311/v2/requests.json", data={**key, **base, "attribute[colour]": "red"})
    assert r.status == 400 and "不认识的属性：colour" in (await r.json())[0]["description"]
    r = await api.post("/open311/v2/requests.json", data={**key, **base, "attribute[amount_yuan]": "三十万"})
    assert r.status == 400 and "amount_yuan" in (await r.json())[0]["description"]
    r = await api.post("/open311/v2/requests.xml", data={**key, "service_code": "arrears"})
    assert r.status == 400
    error = ET.fromstring(await r.read()).find("error")
    assert error.find("code").text == "400" and "description" in error.find("description").text
    r = await api.post("/open311/v2/requests.json", data=b"{oops", headers={"Content-Type": "application/json"})
    assert r.status == 400 and (await r.json())[0]["description"] == "请求体不是合法的 JSON（需 UTF-8 编码）。"
    r = await api.post("/open311/v2/requests.json", json={**key, **base, "attribute": {"respondent": "市财政局"}})
    assert r.status == 201


async def test_requests_list_with_filters_and_states_mapped_to_open_and_closed(api):
    closed = await asyncio.to_thread(work, api.bo, satisfaction="satisfied", **CITIZEN)
    open_ = await asyncio.to_thread(file, api.bo, category="approval", respondent="审批局", **{
        k: v for k, v in CITIZEN.items() if k != "description"}, description="审批超期")
    await asyncio.to_thread(act, api.bo, open_, "accept", department("credit"))

    every = await (await api.get("/open311/v2/requests.json")).json()
    assert {r["service_request_id"]: r["status"] for r in every} == {closed: "closed", open_: "open"}
    assert {r["status_notes"] for r in every} == {"已办结", "已签收"}
    assert next(r for r in every if r["status"] == "closed")["expected_datetime"] is None
    only_open = await (await api.get("/open311/v2/requests.json?status=open")).json()
    assert [r["service_request_id"] for r in only_open] == [open_]
    by_code = await (await api.get("/open311/v2/requests.json?service_code=arrears")).json()
    assert [r["service_request_id"] for r in by_code] == [closed]
    by_id = await (await api.get(f"/open311/v2/requests.json?service_request_id={closed},{open_}")).json()
    assert len(by_id) == 2
    later = await (await api.get("/open311/v2/requests.json?start_date=2026-11-17T00:00:00%2B08:00")).json()
    assert later == []
    r = await api.get("/open311/v2/requests.json?start_date=yesterday")
    assert r.status == 400 and "ISO 8601" in (await r.json())[0]["description"]
    r = await api.get("/open311/v2/requests.json?status=pending")
    assert r.status == 400
    xml = ET.fromstring(await (await api.get("/open311/v2/requests.xml")).read())
    assert xml.tag == "service_requests" and len(xml.findall("request")) == 2
    text = json.dumps(every, ensure_ascii=False) + ET.tostring(xml, encoding="unicode")
    for secret in SECRETS:
        assert secret not in text
    r = await api.get("/open311/v2/requests/20990101-0001.json")
    assert r.status == 404 and (await r.json())[0]["description"] == "没有找到这张工单。"


async def test_a_partner_files_and_reads_public_data_only(api):
    form = {"api_key": api.keys["partner"], "service_code": "arrears", "description": CITIZEN["description"],
            "first_name": "六", "last_name": "赵", "phone": "13911112222", "idempotency_key": "province-000200"}
    [created] = await (await api.post("/open311/v2/requests.json", data=form)).json()
    number = created["service_request_id"]
    bearer = {"Authorization": f"Bearer {api.keys['partner']}"}
    for method, path in [("GET", f"/api/tickets/{number}"), ("GET", "/api/tickets"),
                         ("POST", "/api/tickets"), ("GET", f"/api/tickets/{number}/events"),
                         ("GET", "/api/integrity/records"), ("GET", "/api/integrity/export/tickets?format=csv"), ("GET", "/api/integrity/scorecards")]:
        r = await api.request(method, path, headers=bearer, json={} if method == "POST" else None)
        assert r.status in (403, 404), (method, path, r.status)
        assert "13911112222" not in await r.text()
    assert (await api.get(f"/open311/v2/requests/{number}.json", headers=bearer)).status == 200


async def test_public_answers_name_a_body_only_for_a_confirmed_record(api):
    # 000 三(二): "依法依规逐步公开各级政府(管委)和公务员政务失信记录" — records, not accusations.
    unverified = await asyncio.to_thread(file, api.bo)
    unconfirmed = await asyncio.to_thread(lambda: work(api.bo, confirm=False))  # 属实, body not confirmed
    confirmed = await asyncio.to_thread(lambda: work(api.bo))  # 属实, the department confirmed 财政局
    answers = {r["service_request_id"]: r["description"]
               for r in await (await api.get("/open311/v2/requests.json")).json()}
    assert "财政局" not in answers[unverified] and "财政局" not in answers[unconfirmed]
    assert answers[confirmed].endswith("；经核查记入政务失信记录：烟台市财政局")
    xml = ET.fromstring(await (await api.get(f"/open311/v2/requests/{unconfirmed}.xml")).read())
    assert "财政局" not in xml.find("request/description").text
