"""An anonymous complainant's name and phone, written in the complaint itself,
reach no department and no partner: not in an API answer, a portal page, an
export or an event. Supervisors see phone numbers masked everywhere."""
import io
import json
import zipfile

import aiohttp
from console_site import SERVICE_TOKEN, visible_text

from intake_store.auth import create_token
from intake_store.tickets import numbering
from intake_store.tickets.lookup import get_ticket

NAME, PHONE = "王建国", "13812345678"
WORDS = {
    "description": f"我叫{NAME}，电话{PHONE}。莱山区初家街道办去年答应给我们小区加装电梯补贴每户两万，到现在一分没给。",
    "promise": f"街道答应{NAME}家补贴两万元",
    "evidence": f"通知照片在我手机里，打{PHONE}找我",
    "place": "莱山区初家街道幸福小区3号楼2单元501室",
}


async def call(site, token, method, path, **kw):
    async with aiohttp.ClientSession(base_url=site.base) as http:
        async with http.request(method, path, headers={"Authorization": f"Bearer {token}"}, **kw) as r:
            raw = await r.read()
    if raw.startswith(b"PK"):  # a spreadsheet: the text is in its XML parts
        with zipfile.ZipFile(io.BytesIO(raw)) as book:
            return r.status, "".join(book.read(n).decode() for n in book.namelist() if n.endswith(".xml"))
    return r.status, raw.decode()


def leaks(text: str) -> list[str]:
    return [s for s in (NAME, PHONE, "501室") if s in text]


async def test_an_anonymous_complainants_name_and_phone_reach_no_department_or_partner(site):
    number = await site.file(idempotency_key="identity-0001", anonymous=True, contact_name=None, contact_phone=None,
                             category_confidence=0.99, **WORDS)
    tokens = await site.db(lambda s: {
        "laishan": create_token(s, "莱山区政府接口", "department", "laishan"),
        "civil_affairs": create_token(s, "民政局接口", "department", "civil_affairs"),
        "partner": create_token(s, "省平台", "partner"),
        "supervisor": create_token(s, "督办接口", "supervisor"),
    })
    # The ticket goes its whole way: amended, worked, rated (the citizen's comment names them again).
    assert (await call(site, SERVICE_TOKEN, "GET", f"/api/tickets/{number}"))[0] == 200
    op = await site.db(lambda s: create_token(s, "话务员接口", "operator"))
    status, body = await call(site, op, "POST", f"/api/tickets/{number}/amend",
                              json={"urgency_reason": f"{NAME}说春节前要用钱", "reason": f"{NAME}来电{PHONE}补充"})
    assert status == 200, body
    lead = tokens["laishan"]
    for action, payload in (("accept", {}), ("verify", {"result": "属实", "findings": "补贴未拨付"}),
                            ("reply", {"text": "已责成街道12月底前拨付。"})):
        status, body = await call(site, lead, "POST", f"/api/tickets/{number}/{action}", json=payload)
        assert status == 200, (action, body)
    code = await site.db(lambda s: numbering.query_code(site.backoffice.secret, get_ticket(s, number).query_nonce))
    status, body = await call(site, SERVICE_TOKEN, "POST", f"/api/tickets/{number}/followup",
                              json={"query_code": code, "satisfaction": "不满意", "comment": f"我是{NAME}，还是没给，电话{PHONE}"})
    assert status == 200, body

    answers = {}
    for who in ("laishan", "civil_affairs"):
        for path in (f"/api/tickets/{number}", f"/api/tickets/{number}/events", "/api/tickets",
                     "/api/integrity/records", "/api/integrity/scorecards"):
            answers[(who, path)] = await call(site, tokens[who], "GET", path)
    for path in ("/open311/v2/requests.json", f"/open311/v2/requests/{number}.json", f"/open311/v2/requests/{number}.xml"):
        answers[("partner", path)] = await call(site, tokens["partner"], "GET", path)
    for fmt in ("csv", "xlsx"):
        answers[("export", fmt)] = await call(site, tokens["supervisor"], "GET", f"/api/integrity/export/tickets?format={fmt}")
    records = json.loads(answers[("laishan", "/api/integrity/records")][1])
    for record in records.get("records", records if isinstance(records, list) else []):
        answers[("laishan", f"record {record['id']}")] = await call(site, lead, "GET", f"/api/integrity/records/{record['id']}")
    dept = await site.signed_in("laishan1")
    for path in ("/portal/", f"/portal/tickets/{number}"):
        page = await dept.get(path)
        answers[("portal", path)] = (page.status, page.text)

    ticket = json.loads(answers[("laishan", f"/api/tickets/{number}")][1])
    assert ticket["description"].startswith("我叫***，电话138****5678。莱山区初家街道办")  # the complaint still reads
    assert "complainant" not in ticket
    assert answers[("portal", f"/portal/tickets/{number}")][0] == 200
    assert "加装电梯补贴" in visible_text(answers[("portal", f"/portal/tickets/{number}")][1])
    leaked = {key: leaks(text) for key, (status, text) in answers.items() if leaks(text)}
    assert leaked == {}
    assert all(status == 200 for (who, _), (status, _) in answers.items() if who != "civil_affairs"), \
        {k: v[0] for k, v in answers.items()}


async def test_supervisors_see_every_phone_number_masked(site):
    number = await site.file(idempotency_key="identity-0002", **WORDS)
    token = await site.db(lambda s: create_token(s, "督办接口", "supervisor"))
    status, body = await call(site, token, "GET", f"/api/tickets/{number}")
    ticket = json.loads(body)
    assert status == 200 and ticket["complainant"] == {"name": "李先生", "phone": "139****5678"}
    assert PHONE not in body and "138****5678" in ticket["description"]
    boss = await site.signed_in("sup1")
    for path in (f"/console/tickets/{number}", "/console/", "/console/conversations/web:citizen-1"):
        page = await boss.get(path)
        assert PHONE not in page.text and "13905355678" not in page.text, path
