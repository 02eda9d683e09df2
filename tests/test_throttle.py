"""Guessing a query code and flooding: refused with 429 and a Chinese message
that says when to try again; only a configured proxy may say who the caller is."""
import pytest
from aiohttp.test_utils import TestClient, TestServer
from test_api import COMPLAINT, SERVICE_TOKEN

from intake_store.app import create_app
from intake_store.settings import Settings
from intake_store.throttle import Window, client_address, networks

WRONG = "00000000"


async def client_for(backoffice, **settings) -> TestClient:
    app = create_app(Settings(database_url="sqlite://", hotline_service_token=SERVICE_TOKEN, **settings),
                     backoffice=backoffice)
    client = TestClient(TestServer(app))
    await client.start_server()
    return client


@pytest.fixture
async def site(backoffice):
    client = await client_for(backoffice)
    yield client
    await client.close()


async def file(client, key: str) -> dict:
    r = await client.post("/api/tickets", json={**COMPLAINT, "idempotency_key": key},
                          headers={"Authorization": f"Bearer {SERVICE_TOKEN}"})
    assert r.status == 201
    return await r.json()


async def lookup(client, number, code, **headers):
    r = await client.post("/api/status", json={"number": number, "query_code": code}, headers=headers)
    return r.status, await r.json()


async def test_a_ticket_stops_answering_after_five_wrong_codes_even_the_right_one(site):
    t = await file(site, "throttle-1")
    for _ in range(5):
        assert (await lookup(site, t["number"], WRONG, **{"X-Forwarded-For": "203.0.113.9"}))[0] == 404
    status, body = await lookup(site, t["number"], t["query_code"])
    assert status == 429 and body["code"] == "too_many_lookups"
    assert body["error"].startswith("查询失败次数过多") and "15 分钟后再试" in body["error"]
    # Another ticket is not affected.
    other = await file(site, "throttle-2")
    assert (await lookup(site, other["number"], other["query_code"]))[0] == 200


async def test_one_address_walking_ticket_numbers_is_stopped(site):
    t = await file(site, "throttle-3")
    prefix, seq = t["number"].split("-")
    for i in range(20):
        # Unknown numbers count too: walking the sequence is guessing.
        assert (await lookup(site, f"{prefix}-{int(seq) + 100 + i:04d}", WRONG))[0] == 404
    status, body = await lookup(site, t["number"], t["query_code"])
    assert status == 429 and "12345" in body["error"]


async def test_the_chat_lookup_is_limited_per_conversation(site):
    t = await file(site, "throttle-4")
    service = {"Authorization": f"Bearer {SERVICE_TOKEN}"}
    prefix, seq = t["number"].split("-")
    for i in range(20):
        status, _ = await lookup(site, f"{prefix}-{int(seq) + 100 + i:04d}", WRONG,
                                 **service, **{"X-Hotline-Conversation": "web:guesser"})
        assert status == 404
    assert (await lookup(site, t["number"], t["query_code"], **service,
                         **{"X-Hotline-Conversation": "web:guesser"}))[0] == 429
    # Other citizens chatting through the same action server are not held up.
    assert (await lookup(site, t["number"], t["query_code"], **service,
                         **{"X-Hotline-Conversation": "telegram:42"}))[0] == 200
    # The header means nothing from anyone but the assistant: an anonymous caller is counted by address.
    assert (await lookup(site, t["number"], t["query_code"], **{"X-Hotline-Conversation": "web:fresh"}))[0] == 200


async def test_forwarded_for_is_believed_only_from_a_trusted_proxy(backoffice):
    t = None
    behind = await client_for(backoffice, trusted_proxies="127.0.0.1")
    try:
        t = await file(behind, "throttle-5")
        prefix, seq = t["number"].split("-")
        for i in range(20):
            await lookup(behind, f"{prefix}-{int(seq) + 100 + i:04d}", WRONG, **{"X-Forwarded-For": "198.51.100.7"})
        assert (await lookup(behind, t["number"], t["query_code"], **{"X-Forwarded-For": "198.51.100.7"}))[0] == 429
        # Another citizen behind the same proxy still gets an answer.
        assert (await lookup(behind, t["number"], t["query_code"], **{"X-Forwarded-For": "198.51.100.8"}))[0] == 200
    finally:
        await behind.close()


def test_client_address_reads_forwarded_for_from_the_right_past_trusted_proxies():
    proxies = networks(["10.0.0.0/8", "127.0.0.1"])
    assert client_address("127.0.0.1", "198.51.100.7", proxies) == "198.51.100.7"
    # A client's own X-Forwarded-For entry (left) cannot choose its address.
    assert client_address("10.0.0.2", "1.2.3.4, 198.51.100.7, 10.0.0.5", proxies) == "198.51.100.7"
    assert client_address("203.0.113.5", "198.51.100.7", proxies) == "203.0.113.5"  # not a proxy
    assert client_address("127.0.0.1", "not-an-ip", proxies) == "127.0.0.1"
    assert client_address("127.0.0.1", None, []) == "127.0.0.1"


def test_a_window_lets_hits_through_again_once_they_age():
    now = [0.0]
    w = Window(2, 60, clock=lambda: now[0])
    assert w.take("a") == 0 and w.take("a") == 0 and w.take("a") == 60
    assert w.take("b") == 0
    now[0] = 30
    assert w.wait_seconds("a") == 30
    now[0] = 60.5
    assert w.take("a") == 0
