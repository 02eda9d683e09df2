"""The HTTP API as its clients see it: the Rasa actions, citizens, departments, operators."""
import json

import pytest
from aiohttp.test_utils import TestClient, TestServer
from sqlalchemy import func, select

from intake_store.app import create_app
from intake_store.auth import create_token
from intake_store.console.pages import in_area
from intake_store.db import session_scope
from intake_store.models import Ticket, TicketEvent
from intake_store.openapi import ENDPOINTS
from intake_store.settings import Settings

SERVICE_TOKEN = "service-token-for-tests"

COMPLAINT = {
    "idempotency_key": "conv-1:form-1",
    "channel": "web",
    "sender_id": "abc",
    "conversation_id": "web:abc",
    "description": "莱山区初家街道办去年答应给我们小区加装电梯补贴每户两万，到现在一分没给。",
    "category": "township_service",
    "category_confidence": 0.91,
    "respondent": "初家街道办",
    "promise": "加装电梯补贴每户两万元",
    "promise_date": "去年6月",
    "amount_yuan": 20000,
    "place": "莱山区初家街道",
    "evidence": "街道发的通知照片",
    "contact_name": "李先生",
    "contact_phone": "13905355678",
    "consent_disclose": False,
    "field_sources": {"respondent": {"message_id": "m1", "text": "是初家街道办答应的"}},
}


@pytest.fixture
async def api(backoffice):
    settings = Settings(database_url="sqlite://", hotline_service_token=SERVICE_TOKEN, max_body_bytes=64 * 1024)
    app = create_app(settings, backoffice=backoffice)
    client = TestClient(TestServer(app))
    await client.start_server()
    with session_scope(backoffice.engine) as s:
        tokens = {
            "operator": create_token(s, "话务员甲", "operator"),
            "supervisor": create_token(s, "督办员", "supervisor"),
            "laishan": create_token(s, "莱山区政府", "department", "laishan"),
            "civil_affairs": create_token(s, "民政局", "department", "civil_affairs"),
            "environment": create_token(s, "环保局", "department", "environment"),
            "service": SERVICE_TOKEN,
        }
    client.tokens = tokens
    yield client
    await client.close()


def auth(client, who):
    return {"Authorization": f"Bearer {client.tokens[who]}"}


async def file_complaint(api, **changes):
    body = {**COMPLAINT, **changes}
    r = await api.post("/api/tickets", json=body, headers=auth(api, "service"))
    assert r.status == 201, await r.text()
    return await r.json()


async def test_filing_a_complaint_answers_with_number_code_department_and_due_date(api):
    t = await file_complaint(api)
    assert t["number"].startswith("20261116-")
    assert len(t["query_code"]) == 8
    assert t["lead"] == "laishan" and t["lead_name"] == "烟台市莱山区人民政府"
    assert t["reply_due_text"] == "2026年11月23日（星期一）24:00前"
    again = await api.post("/api/tickets", json=COMPLAINT, headers=auth(api, "service"))
    assert again.status == 200 and (await again.json())["number"] == t["number"]


async def test_citizen_status_lookup_needs_the_right_code(api):
    t = await file_complaint(api)
    r = await api.post("/api/status", json={"number": t["number"], "query_code": t["query_code"]})
    body = await r.json()
    assert r.status == 200 and body["state_name"] == "已派单"
    assert body["timeline"][0]["text"] == "您的投诉已受理"
    assert "13905355678" not in json.dumps(body, ensure_ascii=False)
    wrong = await api.post("/api/status", json={"number": t["number"], "query_code": "00000000"})
    unknown = await api.post("/api/status", json={"number": "20990101-0001", "query_code": t["query_code"]})
    assert wrong.status == unknown.status == 404
    assert (await wrong.json())["error"] == (await unknown.json())["error"] == "工单号或查询码不正确，请核对后再试。"
    spaced = await api.post("/api/status", json={"number": t["number"].replace("-", " "), "query_code": t["query_code"]})
    assert spaced.status == 200


async def test_department_works_a_ticket_and_the_citizen_rates_it(api):
    t = await file_complaint(api)
    n = t["number"]
    for path, body in [
        ("accept", {}),
        ("verify", {"result": "属实", "findings": "补贴资金未拨付"}),
        ("reply", {"text": "补贴将于12月10日前发放到户。"}),
    ]:
        r = await api.post(f"/api/tickets/{n}/{path}", json=body, headers=auth(api, "laishan"))
        assert r.status == 200, await r.text()
    status = await (await api.post("/api/status", json={"number": n, "query_code": t["query_code"]})).json()
    assert status["reply"] == "补贴将于12月10日前发放到户。" and status["followup_open"] is True
    r = await api.post(f"/api/tickets/{n}/followup", json={"query_code": t["query_code"], "satisfaction": "满意"},
                       headers=auth(api, "service"))
    assert (await r.json())["state_name"] == "已办结"
    again = await api.post(f"/api/tickets/{n}/followup", json={"query_code": t["query_code"], "satisfaction": "满意"},
                           headers=auth(api, "service"))
    assert again.status == 409
    events = await (await api.get(f"/api/tickets/{n}/events", headers=auth(api, "operator"))).json()
    assert [e["action"] for e in events["events"]] == ["submit", "dispatch", "accept", "verify", "reply", "follow_up"]
    assert all(e["at"] and e["actor"] and e["role"] for e in events["events"])


async def test_extension_asked_by_department_and_approved_by_operator(api):
    n = (await file_complaint(api))["number"]
    await api.post(f"/api/tickets/{n}/accept", json={}, headers=auth(api, "laishan"))
    r = await api.post(f"/api/tickets/{n}/extension", json={"reason": "需区财政安排资金", "new_due": "2026-12-18"},
                       headers=auth(api, "laishan"))
    assert (await r.json())["pending_extension"]["new_due"] == "2026-12-18"
    r = await api.post(f"/api/tickets/{n}/extension/approve", json={}, headers=auth(api, "operator"))
    view = await r.json()
    assert view["clocks"]["reply"]["due_text"] == "2026年12月18日（星期五）24:00前"
    r = await api.post(f"/api/tickets/{n}/extension", json={"reason": "再延", "new_due": "2027-01-18"}, headers=auth(api, "laishan"))
    assert r.status == 409 and "最多" in (await r.json())["error"]


async def test_departments_see_only_their_tickets_and_no_identity_without_consent(api):
    n = (await file_complaint(api))["number"]
    mine = await (await api.get(f"/api/tickets/{n}", headers=auth(api, "civil_affairs"))).json()  # assisting
    assert mine["description"] and "complainant" not in mine and "field_sources" not in mine
    for method, path, body in [
        ("GET", f"/api/tickets/{n}", None),
        ("GET", f"/api/tickets/{n}/events", None),
        ("POST", f"/api/tickets/{n}/accept", {}),
        ("POST", f"/api/tickets/{n}/return", {"reason": "不是我们的"}),
    ]:
        r = await api.request(method, path, json=body, headers=auth(api, "environment"))
        assert r.status == 404, path
    listing = await (await api.get("/api/tickets", headers=auth(api, "environment"))).json()
    assert listing["total"] == 0
    operator_view = await (await api.get(f"/api/tickets/{n}", headers=auth(api, "operator"))).json()
    assert operator_view["complainant"]["phone"] == "13905355678"
    consented = (await file_complaint(api, idempotency_key="conv-2:form-1", consent_disclose=True))["number"]
    lead_view = await (await api.get(f"/api/tickets/{consented}", headers=auth(api, "laishan"))).json()
    assert lead_view["complainant"]["name"] == "李先生"


async def test_every_protected_endpoint_refuses_no_one_and_the_wrong_role(api):
    n = (await file_complaint(api))["number"]
    for ep in api.app[ENDPOINTS]:
        if not ep.roles:
            continue
        path = ep.path.replace("{number}", n).replace("{conversation_id}", "web:abc")
        r = await api.request(ep.method, path, json={})
        assert r.status == 401, (ep.method, path)
        # A role the endpoint is not for; a department not routed the ticket gets 404.
        for token, role in (("environment", "department"), ("operator", "operator"), ("service", "service"),
                            ("supervisor", "supervisor")):
            if role in ep.roles and (role != "department" or "{number}" not in ep.path):
                continue
            r = await api.request(ep.method, path, json={}, headers=auth(api, token))
            assert r.status in (403, 404), (ep.method, path, token, r.status)


async def test_operator_reroutes_but_never_to_the_accused(api):
    n = (await file_complaint(api, idempotency_key="key-accused-1", respondent="莱山区政府", category="township_service"))["number"]
    r = await api.post(f"/api/tickets/{n}/reroute", json={"lead": "laishan", "co": [], "reason": "属地"},
                       headers=auth(api, "operator"))
    assert r.status == 409 and "回避" in (await r.json())["error"]
    r = await api.post(f"/api/tickets/{n}/reroute", json={"lead": "civil_affairs", "co": ["credit"], "reason": "民政牵头"},
                       headers=auth(api, "operator"))
    assert (await r.json())["lead"] == "civil_affairs"


BAD_BODIES = [
    ("not json", b"{oops", 400, "malformed_json"),
    ("not an object", b"[1, 2]", 400, "malformed_json"),
    ("not utf-8", "{\"description\": \"欠款\"}".encode("gbk"), 400, "malformed_json"),
    ("unknown field", json.dumps({**COMPLAINT, "idempotency_key": "bad-00001", "secret": 1}).encode(), 422, "validation_error"),
    ("wrong type", json.dumps({**COMPLAINT, "idempotency_key": "bad-00002", "urgent": "very"}).encode(), 422, "validation_error"),
    ("negative amount", json.dumps({**COMPLAINT, "idempotency_key": "bad-00003", "amount_yuan": -5}).encode(), 422, "validation_error"),
    ("blank description", json.dumps({**COMPLAINT, "idempotency_key": "bad-00004", "description": "   "}).encode(), 422, "validation_error"),
    ("oversized text", json.dumps({**COMPLAINT, "idempotency_key": "bad-00005", "description": "欠" * 6000}).encode(), 422, "validation_error"),
    ("unknown category", json.dumps({**COMPLAINT, "idempotency_key": "bad-00006", "category": "aliens"}).encode(), 422, "unknown_category"),
    ("bad phone", json.dumps({**COMPLAINT, "idempotency_key": "bad-00007", "contact_phone": "call me"}).encode(), 422, "validation_error"),
    ("huge body", json.dumps({**COMPLAINT, "evidence": "证" * 40000}).encode(), 413, "too_large"),
]


@pytest.mark.parametrize("name,raw,status,code", BAD_BODIES, ids=[b[0] for b in BAD_BODIES])
async def test_malformed_requests_get_a_clear_4xx_and_write_nothing(api, backoffice, name, raw, status, code):
    r = await api.post("/api/tickets", data=raw, headers={**auth(api, "service"), "Content-Type": "application/json"})
    body = await r.json()
    assert r.status == status, body
    assert body["code"] == code and body["error"]
    with session_scope(backoffice.engine) as s:
        assert s.execute(select(func.count()).select_from(Ticket)).scalar_one() == 0
        assert s.execute(select(func.count()).select_from(TicketEvent)).scalar_one() == 0


async def test_forged_ids_bad_tokens_and_bad_filters(api):
    r = await api.get("/api/tickets/99999999-9999", headers=auth(api, "operator"))
    assert r.status == 404
    r = await api.post("/api/tickets/../../etc/accept", json={}, headers=auth(api, "laishan"))
    assert r.status == 404
    r = await api.get("/api/tickets", headers={"Authorization": "Bearer not-a-token"})
    assert r.status == 401 and (await r.json())["code"] == "invalid_token"
    r = await api.get("/api/tickets", headers={"Authorization": "Basic abc"})
    assert r.status == 401
    for q in ("state=flying", "overdue=maybe", "limit=0", "limit=abc", "category=x"):
        r = await api.get(f"/api/tickets?{q}", headers=auth(api, "operator"))
        assert r.status == 400, q
    r = await api.post("/api/tickets/20261116-0001/verify", json={"result": "大概", "findings": "x"}, headers=auth(api, "laishan"))
    assert r.status in (404, 422)
    r = await api.delete("/api/tickets", headers=auth(api, "operator"))
    assert r.status == 405 and (await r.json())["error"]


async def test_listing_filters(api):
    await file_complaint(api)
    await file_complaint(api, idempotency_key="key-ppp-1", category="ppp", category_confidence=0.3)
    op = auth(api, "operator")
    everything = await (await api.get("/api/tickets", headers=op)).json()
    assert everything["total"] == 2
    assert (await (await api.get("/api/tickets?state=submitted", headers=op)).json())["total"] == 1
    assert (await (await api.get("/api/tickets?category=township_service", headers=op)).json())["total"] == 1
    assert (await (await api.get("/api/tickets?department=laishan", headers=op)).json())["total"] == 1
    assert (await (await api.get("/api/tickets?overdue=true", headers=op)).json())["total"] == 0


async def test_openapi_describes_every_route(api):
    doc = await (await api.get("/api/openapi.json")).json()
    served = {(r.method, r.resource.canonical) for r in api.app.router.routes()
              if r.method != "HEAD" and not in_area(r.resource.canonical)}  # not the console's HTML pages
    described = {(m.upper(), p) for p, ops in doc["paths"].items() for m in ops}
    assert served == described
    assert "TicketIn" in doc["components"]["schemas"]


def described(doc, method, path, status="200"):
    """The schema the OpenAPI document gives for a success, resolved."""
    ref = doc["paths"][path][method]["responses"][status]["content"]["application/json"]["schema"]["$ref"]
    return doc["components"]["schemas"][ref.rsplit("/", 1)[1]]


async def test_openapi_describes_what_the_assistant_and_staff_read(api):
    doc = await (await api.get("/api/openapi.json")).json()
    t = await file_complaint(api)
    op = auth(api, "operator")
    answers = [
        (described(doc, "post", "/api/tickets", "201"), t),
        (described(doc, "post", "/api/status"),
         await (await api.post("/api/status", json={"number": t["number"], "query_code": t["query_code"]})).json()),
        (described(doc, "get", "/api/tickets"), await (await api.get("/api/tickets", headers=op)).json()),
        (described(doc, "get", "/api/tickets/{number}"), await (await api.get(f"/api/tickets/{t['number']}", headers=op)).json()),
        (described(doc, "post", "/api/tickets/{number}/accept"),
         await (await api.post(f"/api/tickets/{t['number']}/accept", json={}, headers=auth(api, "laishan"))).json()),
    ]
    for schema, body in answers:
        assert set(schema["required"]) <= set(body) <= set(schema["properties"]), (schema["title"], sorted(body))
    assert "query_code" in described(doc, "post", "/api/tickets", "201")["required"]
    assert "replayed" in described(doc, "post", "/api/tickets", "200")["properties"]
    assert described(doc, "post", "/api/tickets/{number}/followup")["properties"]["message"]["type"] == "string"
    assert described(doc, "post", "/api/conversations/{conversation_id}/handoff", "202")["required"] == ["queued"]
    assert "ranking" in described(doc, "post", "/api/understand")["required"]
    # A department never sees the complainant unless they agreed: the field is absent, as the document says it may be.
    dept = await (await api.get(f"/api/tickets/{t['number']}", headers=auth(api, "laishan"))).json()
    assert "complainant" not in dept and "complainant" not in described(doc, "get", "/api/tickets/{number}")["required"]


async def test_understand_gives_category_accused_body_and_route_to_service_and_operators(api):
    text = "我们公司2022年给长安镇人民政府修了村道，验收合格，结算八十六万，至今还欠五十二万工程款，镇里一直说没钱"
    r = await api.post("/api/understand", json={"text": text}, headers=auth(api, "service"))
    assert r.status == 200
    body = await r.json()
    assert body["category"] == "arrears" and 0 < body["confidence"] <= 1
    assert body["respondent"] == "长安镇人民政府"
    assert body["lead"] and body["lead_name"] and len(body["co"]) == len(body["co_names"])
    assert (await api.post("/api/understand", json={"text": text}, headers=auth(api, "laishan"))).status == 403
    bad = await api.post("/api/understand", json={"text": ""}, headers=auth(api, "operator"))
    assert bad.status == 422 and "text" in json.dumps(await bad.json(), ensure_ascii=False)


async def test_the_accused_never_assists_when_an_operator_chooses_the_route(api):
    n = (await file_complaint(api, idempotency_key="key-accused-2", respondent="莱山区政府", category="township_service"))["number"]
    r = await api.post(f"/api/tickets/{n}/reroute", json={"lead": "civil_affairs", "co": ["laishan"], "reason": "属地协办"},
                       headers=auth(api, "operator"))
    body = await r.json()
    assert r.status == 409 and body["code"] == "conflict_of_interest" and "协办" in body["error"], body
    # 谁认定谁修复: for a credit record the body that made it assists in correcting it.
    credit = (await file_complaint(api, idempotency_key="key-accused-4", respondent="民政局", category="credit_objection",
                                   description="民政局把我们公司错误列入失信名单，申请异议。"))["number"]
    r = await api.post(f"/api/tickets/{credit}/reroute", json={"lead": "credit", "co": ["civil_affairs"], "reason": "谁认定谁修复"},
                       headers=auth(api, "operator"))
    assert r.status == 200, await r.text()


async def test_amending_the_respondent_after_dispatch_keeps_the_accused_out(api):
    n = (await file_complaint(api, idempotency_key="key-amend-1", respondent="初家街道办", category="township_service"))["number"]
    r = await api.post(f"/api/tickets/{n}/reroute", json={"lead": "civil_affairs", "co": ["laishan"], "reason": "民政牵头"},
                       headers=auth(api, "operator"))
    assert r.status == 200, await r.text()
    # The operator finds that the 区政府 itself is accused: it may not keep assisting, nor lead.
    r = await api.post(f"/api/tickets/{n}/amend", json={"respondent": "莱山区政府", "reason": "群众补充"},
                       headers=auth(api, "operator"))
    body = await r.json()
    assert r.status == 409 and body["code"] == "conflict_of_interest" and "请先改派" in body["error"]
    r = await api.post(f"/api/tickets/{n}/reroute", json={"lead": "civil_affairs", "co": [], "reason": "回避"},
                       headers=auth(api, "operator"))
    assert r.status == 200
    r = await api.post(f"/api/tickets/{n}/amend", json={"respondent": "莱山区政府", "reason": "群众补充"},
                       headers=auth(api, "operator"))
    assert r.status == 200, await r.text()
