"""Chat gateway benchmark: the latency of one conversation turn through the
gateway (web chat WebSocket → store → Rasa → store → page; and a WeChat push
→ store → Rasa → store → passive reply, or customer-service message when the
assistant is later than WeChat waits) against the same messages sent straight
to Rasa's REST channel, in the same run, with the real Rasa server and action
server; at 1, 10 and 50 concurrent conversations. WeChat's servers are the
local fake the tests use (signed, encrypted pushes; token and 客服消息 API).

It also counts, for the gateway runs, the messages stored against the
messages sent and answered: nothing may be lost or stored twice under load.
Figures only, no pass/fail.

Run: `.venv/bin/python -m bench.gateway [--levels 1,10,50] [--turns 10] [--rounds 2] [--db sqlite|postgresql]`
(trains the model first if needed; ASSISTANT_TEST_MODEL=<file> uses a given one).
"""
from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bench.backoffice import fresh_pg, pct
from bot.gateway import texts
from intake_store.db import make_engine, migrate, session_scope
from intake_store.models import Message, PendingMessage

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))  # the real-assistant launcher the end-to-end tests use
sys.path.insert(0, str(ROOT / "tests" / "gateway"))
from e2e_servers import RealAssistant, Service, free_port, trained_model  # noqa: E402
from fake_wechat import FakeWeChat  # noqa: E402

TOKEN = "bench-gateway-token"
# One complaint, told the way the end-to-end citizen tells it.
SCRIPT = [
    "你好",
    "芝罘区向阳街道办欠我们公司工程款三十万，拖了两年了",
    "说好工程验收后三个月内付清工程款",
    "2023年10月验收的",
    "三十万",
    "芝罘区向阳街道",
    "有合同和验收单",
    "我电话13812345678",
    "不同意",
    "确认提交",
]


async def direct_conversation(http: aiohttp.ClientSession, rasa_url: str, turns: list[str]) -> list[float]:
    sender = f"bench-direct-{uuid.uuid4().hex[:12]}"
    took = []
    for text in turns:
        t0 = time.perf_counter()
        async with http.post(f"{rasa_url}/webhooks/rest/webhook", json={"sender": sender, "message": text}) as r:
            await r.json()
        took.append(time.perf_counter() - t0)
    return took


async def gateway_conversation(app_url: str, turns: list[str], counts: dict) -> list[float]:
    """A web chat visitor on the WebSocket: send, wait for the assistant's answer."""
    took = []
    async with aiohttp.ClientSession() as http:
        await (await http.get(f"{app_url}/")).read()  # the page sets the visitor cookie
        async with http.ws_connect(f"{app_url}/chat/ws", max_msg_size=0) as ws:
            for i, text in enumerate(turns):
                t0 = time.perf_counter()
                await ws.send_json({"type": "say", "text": text, "client_id": f"b{i}"})
                counts["sent"] += 1
                while True:
                    frame = await ws.receive_json()
                    if frame["type"] != "messages":
                        continue
                    out = [m for m in frame["messages"] if m["direction"] == "out"]
                    if out:  # every turn ends in the assistant's answer or the gateway's "saved" notice
                        counts["notices"] += sum(m["text"] == texts.SAVED_NOTICE for m in out)
                        counts["answered"] += any(not m["notice"] for m in out)
                        counts["received"] += len(out)
                        break
                took.append(time.perf_counter() - t0)
    return took


async def wechat_conversation(wx: FakeWeChat, turns: list[str], counts: dict) -> list[float]:
    """A citizen in the official account: push, wait for the answer in the
    response or, when it is later than WeChat waits, as a customer-service message."""
    openid = f"oBench{uuid.uuid4().hex[:22]}"
    took = []
    for text in turns:
        t0 = time.perf_counter()
        before = len(wx.seen_by(openid))
        counts["sent"] += 1
        passive = await wx.says(openid, text)
        if passive is None:
            await wx.wait_for(openid, before + 1)
        took.append(time.perf_counter() - t0)
        got = wx.seen_by(openid)[before:]
        counts["passive"] += passive is not None
        counts["custom"] += sum(s.via == "custom" for s in got)
        counts["notices"] += sum(s.text == texts.SAVED_NOTICE for s in got)
    return took


def stored_counts(engine, channel: str = "web") -> dict:
    with session_scope(engine) as s:
        rows = dict(s.execute(select(Message.direction, func.count()).where(Message.conversation_id.like(f"{channel}:%"))
                              .group_by(Message.direction)).all())
        pending = s.execute(select(func.count()).select_from(PendingMessage)).scalar_one()
        dup = s.execute(select(func.count()).select_from(
            select(Message.conversation_id, Message.external_id).where(Message.external_id.is_not(None))
            .group_by(Message.conversation_id, Message.external_id).having(func.count() > 1).subquery())).scalar_one()
    return {"in": rows.get("in", 0), "out": rows.get("out", 0), "pending": pending, "duplicates": dup}


async def run_level(n: int, turns: list[str], rasa_url: str, app_url: str, engine, rounds: int,
                    wx: FakeWeChat) -> dict:
    """`rounds` times: n conversations straight to Rasa, then n through the
    gateway's web chat, then n in WeChat (alternating, so a drift in the
    machine's load hits all alike)."""
    d, g, w = [], [], []
    counts = {"sent": 0, "answered": 0, "received": 0, "notices": 0}
    wx_counts = {"sent": 0, "passive": 0, "custom": 0, "notices": 0}
    before, wx_before = stored_counts(engine), stored_counts(engine, "wechat")
    for _ in range(rounds):
        async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as http:
            for took in await asyncio.gather(*(direct_conversation(http, rasa_url, turns) for _ in range(n))):
                d += took
        for took in await asyncio.gather(*(gateway_conversation(app_url, turns, counts) for _ in range(n))):
            g += took
        for took in await asyncio.gather(*(wechat_conversation(wx, turns, wx_counts) for _ in range(n))):
            w += took
    after, wx_after = stored_counts(engine), stored_counts(engine, "wechat")
    return {
        "n": n, "direct_p50": statistics.median(d), "direct_p99": pct(d, 99),
        "gateway_p50": statistics.median(g), "gateway_p99": pct(g, 99),
        "wechat_p50": statistics.median(w), "wechat_p99": pct(w, 99),
        "stored_in": after["in"] - before["in"], "stored_out": after["out"] - before["out"],
        "pending": after["pending"], "duplicates": after["duplicates"], **counts,
        "wechat": {**wx_counts, "stored_in": wx_after["in"] - wx_before["in"],
                   "stored_out": wx_after["out"] - wx_before["out"]},
    }


async def bench(levels: list[int], turns: list[str], db: str, rounds: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-gateway-"))
    drop = None
    if db == "postgresql":
        url, drop = fresh_pg()
    else:
        url = f"sqlite:///{work / 'bench.db'}"
    port = free_port()
    wx = await FakeWeChat().start()
    wx.server_url, wx.safe_mode = f"http://127.0.0.1:{port}/wechat", True
    print(f"chat gateway turn latency, real Rasa + action server, store: {db}; training/loading the model ...", flush=True)
    model = await asyncio.to_thread(trained_model)
    stack = await asyncio.to_thread(RealAssistant.start, work / "assistant", f"http://127.0.0.1:{port}", TOKEN, model)
    await asyncio.to_thread(migrate, url)
    # The app runs as in production: its own process (`hotline serve`, the gateway plugged in).
    env = {**os.environ, "DATABASE_URL": url, "HOTLINE_SERVICE_TOKEN": TOKEN, "HOTLINE_SECRET": "bench-secret",
           "RASA_URL": stack.rasa_url, "ACTIONS_URL": stack.actions_url,
           "RASA_TIMEOUT_SECONDS": "120", "RASA_GIVE_UP_SECONDS": "300",
           "WECHAT_APP_ID": wx.app_id, "WECHAT_APP_SECRET": wx.secret, "WECHAT_TOKEN": wx.token,
           "WECHAT_ENCODING_AES_KEY": wx.aes_key, "WECHAT_API_BASE_URL": wx.api_base_url}
    app = Service("app", [str(ROOT / ".venv" / "bin" / "hotline"), "serve", "--port", str(port)], env,
                  work / "app.log", f"http://127.0.0.1:{port}/api/health")
    await asyncio.to_thread(app.start)
    engine = make_engine(url)
    app_url = f"http://127.0.0.1:{port}"
    try:
        await run_level(2, turns[:3], stack.rasa_url, app_url, engine, 1, wx)  # warm up every path
        print(f"{len(turns)} turns per conversation; latency from message sent to the assistant's answer received")
        print(f"{'conversations':>13} | {'direct p50':>10} {'p99':>8} | {'gateway p50':>11} {'p99':>8} | "
              f"{'ratio p50':>9} {'p99':>6} | sent/stored in/answered/stored out/received, pending, duplicates, notices")
        for n in levels:
            r = await run_level(n, turns, stack.rasa_url, app_url, engine, rounds, wx)
            print(f"{n:>13} | {r['direct_p50'] * 1000:>8.0f}ms {r['direct_p99'] * 1000:>6.0f}ms | "
                  f"{r['gateway_p50'] * 1000:>9.0f}ms {r['gateway_p99'] * 1000:>6.0f}ms | "
                  f"{r['gateway_p50'] / r['direct_p50']:>9.3f} {r['gateway_p99'] / r['direct_p99']:>6.3f} | "
                  f"{r['sent']}/{r['stored_in']}/{r['answered']}/{r['stored_out']}/{r['received']}, "
                  f"{r['pending']}, {r['duplicates']}, {r['notices']}", flush=True)
            x = r["wechat"]
            print(f"{'':>13} | {'WeChat':>10} {'':>8} | {r['wechat_p50'] * 1000:>9.0f}ms {r['wechat_p99'] * 1000:>6.0f}ms | "
                  f"{r['wechat_p50'] / r['direct_p50']:>9.3f} {r['wechat_p99'] / r['direct_p99']:>6.3f} | "
                  f"sent {x['sent']}, stored in {x['stored_in']}; received {x['passive'] + x['custom']} "
                  f"(in the response {x['passive']}, 客服消息 {x['custom']}) carrying {x['stored_out']} stored replies; "
                  f"notices {x['notices']}", flush=True)
    finally:
        await asyncio.to_thread(app.stop)
        engine.dispose()
        await asyncio.to_thread(stack.stop)
        await wx.stop()
        if drop:
            drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--levels", default="1,10,50", help="concurrent conversations, comma-separated")
    parser.add_argument("--turns", type=int, default=len(SCRIPT), help=f"messages per conversation (max {len(SCRIPT)})")
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--rounds", type=int, default=2, help="alternations of direct and gateway runs per level")
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",") if x.strip()]
    asyncio.run(bench(levels, SCRIPT[: args.turns], args.db, args.rounds))


if __name__ == "__main__":
    main()
