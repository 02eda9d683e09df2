"""Unit tests of the custom actions. They need rasa_sdk, so they run in the
Rasa environment with plain unittest:

    .venv-rasa/bin/python -m unittest -v tests.assistant.test_actions_units

(test_action_units_wrapper.py runs exactly that from the app's pytest.)
"""
from __future__ import annotations

import asyncio
import json
import os
import re
import threading
import unittest
import uuid
from datetime import date
from pathlib import Path
from typing import Any, Dict, List, Optional

import yaml
from aiohttp import web
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import status
from actions.complaint import (
    ActionAskConfirmStop,
    ActionSubmitComplaint,
    ValidateComplaintForm,
    ValidateRetryForm,
    required_slots,
    ticket_payload,
)
from actions.extraction import corrected_value, evidence_from, field_named, promise_from
from actions.fallback import ActionYesOrNo
from actions.parsing import (
    amount_from_text,
    find_id_numbers,
    find_phone,
    find_query_code,
    find_ticket_number,
    format_yuan,
    is_valid_phone,
    mask_id_number,
    mask_ids,
    mask_phone,
    normalize_phone,
    parse_amount,
)
from actions.status import ValidateStatusForm
from actions.urgency import assess_urgency

ID = "370602199001011234"
ROOT = Path(__file__).resolve().parents[2]
# the domain as Rasa sends it with every call: the actions take their lines from it
DOMAIN = yaml.safe_load((ROOT / "bot" / "domain.yml").read_text(encoding="utf-8"))
RESPONSES = DOMAIN["responses"]


def asked(slots: Dict[str, Any]) -> str:
    """The question the form asks next, as Rasa picks it: the variation whose
    condition the slots meet (the example after a failed answer), else the
    plain one."""
    variations = RESPONSES.get(f"utter_ask_{slots.get('requested_slot')}") or []
    meets = [v for v in variations if v.get("condition")
             and all(slots.get(c["name"]) == c["value"] for c in v["condition"])]
    plain = [v for v in variations if not v.get("condition")]
    chosen = (meets or plain or [{}])[0]
    return chosen.get("text", "")


def rendered(message: Dict[str, Any]) -> str:
    """What the citizen reads: a plain text, or the domain response filled in
    as Rasa fills it (from the values the action passed)."""
    if message.get("text"):
        return message["text"]
    name = message.get("response") or message.get("template")
    if not name:
        return ""
    template = RESPONSES[name][0]["text"]
    return re.sub(r"\{(\w+)\}", lambda m: str(message.get(m.group(1), m.group(0))), template)


# What the category model would say, by the words that decide it here.
UNDERSTOOD = (
    ("路灯", "other", 0.91), ("挪用", "official_misconduct", 0.83), ("工资", "wage_arrears", 0.95),
    ("电梯", "township_service", 0.77), ("低保", "township_service", 0.8),
)


class UnderstandStub:
    """/api/understand on a free port, in its own thread, for the form tests."""

    def __init__(self):
        self.texts: List[str] = []
        self.loop = asyncio.new_event_loop()
        self.port = 0
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(ready,), daemon=True).start()
        ready.wait()

    async def understand(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.texts.append(body["text"])
        category, confidence = next(((c, p) for word, c, p in UNDERSTOOD if word in body["text"]), ("arrears", 0.88))
        return web.json_response({"category": category, "confidence": confidence, "dishonesty": 0.9,
                                  "ranking": [], "respondent": body.get("respondent")})

    def _serve(self, ready: threading.Event) -> None:
        asyncio.set_event_loop(self.loop)
        app = web.Application()
        app.router.add_post("/api/understand", self.understand)
        runner = web.AppRunner(app)
        self.loop.run_until_complete(runner.setup())
        site = web.TCPSite(runner, "127.0.0.1", 0)
        self.loop.run_until_complete(site.start())
        self.port = site._server.sockets[0].getsockname()[1]
        ready.set()
        self.loop.run_forever()


_STUB: Optional[UnderstandStub] = None


def understand_stub() -> UnderstandStub:
    global _STUB
    if _STUB is None:
        _STUB = UnderstandStub()
    return _STUB


class AmountParserTest(unittest.TestCase):
    def test_spoken_and_written_amounts(self):
        cases = {
            "30万": 300_000, "三十万元": 300_000, "1.2亿": 120_000_000, "12,600元": 12_600, "八千多": 8_000,
            "两万三": 23_000, "80多万": 800_000, "六十五万三千元": 653_000, "一百零五万": 1_050_000,
            "十五万": 150_000, "4万8": 48_000, "12万5千": 125_000, "一亿二千万": 120_000_000, "一亿二": 120_000_000,
            "三百五": 350, "大概六十来万": 600_000, "1200多万": 12_000_000, "87.5万元": 875_000, "8千多块": 8_000,
            "是三十五万": 350_000, "12600": 12_600, "三千多万": 30_000_000, "２１５万": 2_150_000,
        }
        for text, expected in cases.items():
            with self.subTest(text=text):
                self.assertEqual(parse_amount(text), expected)

    def test_not_amounts(self):
        for text in ("", "万", "几十万", "1,2", "三十万，二十万", "住建局"):
            with self.subTest(text=text):
                self.assertIsNone(parse_amount(text))

    def test_amount_in_a_sentence_prefers_what_is_owed(self):
        self.assertEqual(amount_from_text("合同三百六十万，款却只付了一百万，剩下二百六十万拖了四年"), 2_600_000)
        self.assertEqual(amount_from_text("总投资1.2亿，还有三千多万没给"), 30_000_000)
        self.assertEqual(amount_from_text("大概三十万吧"), 300_000)

    def test_dates_phones_and_head_counts_are_not_money(self):
        self.assertIsNone(amount_from_text("2021年开工，30多名工人，电话13812345678"))

    def test_format(self):
        self.assertEqual(format_yuan(350_000), "35万元（350,000元）")
        self.assertEqual(format_yuan(8_000), "8,000元")
        self.assertEqual(format_yuan(120_000_000), "1.2亿元（120,000,000元）")


class PhoneTest(unittest.TestCase):
    def test_valid_numbers_with_separators(self):
        cases = {
            "13812345678": "13812345678", "138 1234 5678": "13812345678", "138-1234-5678": "13812345678",
            "+86 138 1234 5678": "13812345678", "１３８１２３４５６７８": "13812345678",
            "0535-6612345": "0535-6612345", "(0535)6612345": "0535-6612345", "0535 661 2345": "0535-6612345",
            "010-62345678": "010-62345678", "01062345678": "010-62345678",
        }
        for text, expected in cases.items():
            with self.subTest(text=text):
                self.assertTrue(is_valid_phone(text))
                self.assertEqual(normalize_phone(text), expected)

    def test_invalid_numbers(self):
        for text in ("12345", "1381234567", "12812345678", "138123456789", "0535-123", ID, "电话多少"):
            with self.subTest(text=text):
                self.assertFalse(is_valid_phone(text))
        self.assertIsNone(find_phone(f"身份证{ID}"))

    def test_phone_inside_a_sentence(self):
        self.assertEqual(find_phone("我姓王，电话 139 0535 1234，白天打"), "13905351234")

    def test_masking(self):
        self.assertEqual(mask_phone("13812345678"), "138****5678")
        self.assertEqual(mask_phone("0535-6612345"), "0535-***2345")


class IdMaskingTest(unittest.TestCase):
    def test_mask_keeps_first_six_and_last_four(self):
        self.assertEqual(mask_id_number(ID), "370602********1234")
        self.assertEqual(mask_id_number("37068719900101002X"), "370687********002X")

    def test_masked_everywhere_in_text(self):
        text = f"我叫张三，身份证{ID}，另一个 370602 19900101 1234，电话13812345678"
        masked = mask_ids(text)
        self.assertNotIn(ID, masked)
        self.assertNotIn("19900101", masked)
        self.assertIn("13812345678", masked)  # a phone number is not an ID number
        self.assertEqual(find_id_numbers(text), ["370602********1234", "370602********1234"])

    def test_full_width_digits(self):
        self.assertEqual(mask_ids("３７０６０２１９９００１０１１２３４"), "370602********1234")


class TicketFormatTest(unittest.TestCase):
    def test_ticket_number_forms(self):
        for text in ("20261122-0007", "202611220007", "20261122 0007", "工单号是20261122－0007"):
            with self.subTest(text=text):
                self.assertEqual(find_ticket_number(text), "20261122-0007")
        self.assertIsNone(find_ticket_number("20261341-0007"))

    def test_query_code(self):
        self.assertEqual(find_query_code("工单20261122-0007 查询码58392017"), "58392017")
        self.assertIsNone(find_query_code("202611220007"))
        self.assertIsNone(find_query_code("13812345678"))


class UrgencyTest(unittest.TestCase):
    def test_wages_before_spring_festival(self):
        urgent, reason = assess_urgency(["包工头说春节前一定给，现在工资还欠着"], "wage_arrears", date(2026, 6, 1))
        self.assertTrue(urgent)
        self.assertIn("春节", reason)

    def test_wages_in_winter_without_keyword(self):
        self.assertTrue(assess_urgency(["工地欠了三个月工钱"], "wage_arrears", date(2027, 1, 10))[0])
        self.assertFalse(assess_urgency(["工地欠了三个月工钱"], "wage_arrears", date(2026, 6, 10))[0])

    def test_many_people(self):
        urgent, reason = assess_urgency(["欠我们几十个工人的钱"], "arrears")
        self.assertTrue(urgent)
        self.assertIn("几十个工人", reason)
        self.assertTrue(assess_urgency(["全村的补偿款都没发"], "property_rights")[0])
        self.assertFalse(assess_urgency(["我们5个人合伙干的"], "arrears")[0])

    def test_safety_and_hardship(self):
        self.assertIn("安全", assess_urgency(["安置房墙裂了，随时可能塌"], "property_rights")[1])
        self.assertIn("受伤", assess_urgency(["工地已经有人受伤了"], "safety")[1])
        self.assertIn("就医", assess_urgency(["我爸住院等着这笔钱做手术"], "arrears")[1])

    def test_plain_complaint_is_not_urgent(self):
        self.assertEqual(assess_urgency(["区住建局欠我们工程款三十万"], "arrears"), (False, None))


class ExtractionTest(unittest.TestCase):
    def test_promise_and_evidence_from_a_long_message(self):
        text = "我们公司2022年给龙口市住建局修路，验收时答应年底前付清三十五万，到现在一分没给，有合同和验收单"
        self.assertIn("答应年底前付清", promise_from(text))
        self.assertEqual(evidence_from(text), "合同、验收单")
        self.assertEqual(evidence_from("都是口头答应的"), "无")

    def test_correction_words(self):
        self.assertEqual(field_named("金额说错了"), "amount")
        self.assertEqual(field_named("承诺时间不对"), "promise_date")
        self.assertEqual(field_named("单位写错了"), "respondent")
        self.assertEqual(field_named("联系电话要改"), "phone")
        self.assertEqual(corrected_value("不是三十万，是三百万"), "三百万")


# ---------------------------------------------------------------- actions on hand-made conversations

def entity(text: str, name: str, said: str, value: Optional[str] = None) -> Dict[str, Any]:
    start = text.index(said)
    return {"entity": name, "value": value or said, "start": start, "end": start + len(said)}


class Conversation:
    """Events as the action server receives them, built turn by turn."""

    def __init__(self, sender: str = "web-abc"):
        self.sender = sender
        self.events: List[Dict[str, Any]] = []
        self.slots: Dict[str, Any] = {}
        self.messages: List[Dict[str, Any]] = []

    def say(self, text: str, intent: str, entities=(), confidence: float = 0.93) -> "Conversation":
        self.events.append({"event": "action", "name": "action_listen"})
        self.events.append({
            "event": "user", "text": text, "message_id": uuid.uuid4().hex, "input_channel": "rest",
            "parse_data": {"text": text, "intent": {"name": intent, "confidence": confidence},
                           "entities": list(entities)},
        })
        return self

    def tracker(self, extra: List[Dict[str, Any]] = ()) -> Tracker:
        events = self.events + list(extra)
        user = [e for e in events if e["event"] == "user"][-1]
        latest = dict(user["parse_data"], message_id=user["message_id"])
        return Tracker(self.sender, dict(self.slots), latest, events, False, None,
                       {"name": "complaint_form"}, "action_listen")

    def run(self, action, extra: List[Dict[str, Any]] = (), loop: Optional[str] = None) -> List[Dict[str, Any]]:
        """Run an action; a form's validation sees the form's own run last,
        as Rasa appends it for the call."""
        dispatcher = CollectingDispatcher()
        name = action.name()
        loop = loop or (name[len("validate_"):] if name.startswith("validate_") else None)
        visible = list(extra) + ([{"event": "action", "name": loop}] if loop else [])
        events = asyncio.run(action.run(dispatcher, self.tracker(visible), DOMAIN))
        self.messages = dispatcher.messages
        self.events.extend(extra)
        for e in events:
            self.events.append(e)
            if e["event"] == "slot":
                self.slots[e["name"]] = e["value"]
        return events

    def start(self, form: str = "complaint_form", action=None):
        return self.run(action or ValidateComplaintForm(), [{"event": "active_loop", "name": form}])

    def texts(self) -> str:
        """What the citizen reads after the last run: the messages, then the question."""
        return "\n".join([rendered(m) for m in self.messages] + [asked(self.slots)])


ALL_AT_ONCE = "我们公司2022年给龙口市住建局修的路，验收时答应年底前付清三十五万，到现在一分没给，有合同和验收单，我电话13812345678"


class FormTestCase(unittest.TestCase):
    """The back office's /api/understand answers from a stub."""

    def setUp(self):
        self._url = os.environ.get("HOTLINE_API_URL")
        os.environ["HOTLINE_API_URL"] = f"http://127.0.0.1:{understand_stub().port}"

    def tearDown(self):
        if self._url is None:
            os.environ.pop("HOTLINE_API_URL", None)
        else:
            os.environ["HOTLINE_API_URL"] = self._url


class ComplaintFormTest(FormTestCase):
    def test_everything_in_the_first_message_is_not_asked_again(self):
        c = Conversation().say(ALL_AT_ONCE, "complain", [
            entity(ALL_AT_ONCE, "date", "2022年"),
            entity(ALL_AT_ONCE, "respondent", "龙口市住建局", "烟台市住房和城乡建设局"),
            entity(ALL_AT_ONCE, "amount", "三十五万"),
            entity(ALL_AT_ONCE, "phone", "13812345678"),
        ], confidence=0.88)
        c.start()
        s = c.slots
        self.assertEqual(s["category"], "arrears")
        self.assertAlmostEqual(s["category_confidence"], 0.88)
        self.assertEqual(s["description"], ALL_AT_ONCE)
        self.assertEqual(s["respondent"], "龙口市住建局")  # as the citizen wrote it
        self.assertEqual(s["amount"], 350_000)
        self.assertEqual(s["promise_date"], "2022年")
        self.assertIn("答应年底前付清", s["promise"])
        self.assertEqual(s["evidence"], "合同、验收单")
        self.assertEqual(s["phone"], "13812345678")
        self.assertFalse(s["anonymous"])
        # 龙口市 is not a 区/县 prefix, so the place is still asked; then consent
        self.assertEqual(s["requested_slot"], "place")
        c.say("龙口市", "inform", [entity("龙口市", "place", "龙口市")])
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["place"], "龙口市")
        self.assertEqual(c.slots["requested_slot"], "consent_disclose")
        c.say("/deny", "deny")
        c.run(ValidateComplaintForm())
        self.assertIs(c.slots["consent_disclose"], False)
        self.assertEqual(c.slots["requested_slot"], "confirmed")

    def test_short_start_asks_for_the_story_then_each_field(self):
        c = Conversation().say("我要投诉", "complain", confidence=0.6)
        c.start()
        self.assertIsNone(c.slots.get("description"))
        self.assertEqual(c.slots["requested_slot"], "description")
        text = "给福山区住建局的工地干活，工头说干完就结工资，一直没给"
        c.say(text, "complain", [entity(text, "respondent", "福山区住建局")], confidence=0.95)
        c.run(ValidateComplaintForm())
        self.assertIn("一直没给", c.slots["description"])
        self.assertEqual(c.slots["place"], "福山区")  # read from 福山区住建局
        self.assertEqual((c.slots["category"], c.slots["category_confidence"]), ("wage_arrears", 0.95))
        self.assertIn("工头说干完就结工资", understand_stub().texts[-1])  # the whole story is classified
        self.assertEqual(c.slots["requested_slot"], "promise_date")
        c.say("去年腊月", "inform", [entity("去年腊月", "date", "去年腊月")])
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["requested_slot"], "amount")
        c.say("八千多", "inform")
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["amount"], 8_000)
        self.assertEqual(c.slots["requested_slot"], "evidence")
        c.say("没有", "deny")
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["evidence"], "无")
        self.assertEqual(c.slots["requested_slot"], "phone")

    def test_an_answer_may_carry_more_fields(self):
        first = "区住建局的事我要投诉一下，太不像话了"
        c = Conversation().say(first, "complain", [entity(first, "respondent", "区住建局")])
        c.start()
        self.assertEqual(c.slots["requested_slot"], "promise")
        text = "去年十月答应年底前付清"
        c.say(text, "inform", [entity(text, "date", "去年十月")])
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["promise"], text)
        self.assertEqual(c.slots["promise_date"], "去年十月")
        self.assertEqual(c.slots["requested_slot"], "amount")

    def test_more_story_is_not_taken_for_a_short_answer(self):
        c = self._at("place")
        c.say("村里修路的钱也被挪用了", "complain", confidence=0.99)
        c.run(ValidateComplaintForm())
        self.assertIsNone(c.slots.get("place"))
        self.assertTrue(c.slots["description"].endswith("。村里修路的钱也被挪用了"))
        self.assertEqual(c.slots["category"], "official_misconduct")
        self.assertEqual(c.slots["requested_slot"], "place")

    def test_unsure_long_message_is_not_a_place(self):
        c = self._at("place")
        c.say("村里修路的钱被挪用了", "nlu_fallback", confidence=0.2)
        c.run(ValidateComplaintForm())
        self.assertIsNone(c.slots.get("place"))
        self.assertIn("例如“福山区”", c.texts())  # an example, not the same question again
        self.assertEqual(c.slots["requested_slot"], "place")

    def test_place_answer_keeps_the_street(self):
        c = self._at("place")
        c.say("牟平区宁海街道", "inform", [entity("牟平区宁海街道", "place", "牟平区")])
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["place"], "牟平区宁海街道")

    def test_bad_phone_gets_a_plain_re_ask(self):
        c = self._at("phone")
        c.say("1381234", "inform")
        events = c.run(ValidateComplaintForm())
        self.assertIn("号码好像不对", c.texts())
        self.assertEqual(c.slots["requested_slot"], "phone")
        self.assertFalse(any(e["event"] == "action_execution_rejected" for e in events))
        c.say("0535 661 2345", "give_contact")
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["phone"], "0535-6612345")
        self.assertEqual(c.slots["requested_slot"], "consent_disclose")

    def test_anonymous_skips_phone_and_consent_and_says_no_callback(self):
        c = self._at("phone")
        c.say("/want_anonymous", "want_anonymous")
        c.run(ValidateComplaintForm())
        self.assertTrue(c.slots["anonymous"])
        self.assertIsNone(c.slots["phone"])
        self.assertIn("无法打电话给您回访", c.texts())
        self.assertEqual(c.slots["requested_slot"], "confirmed")
        self.assertNotIn("phone", required_slots(c.slots))
        self.assertNotIn("consent_disclose", required_slots(c.slots))

    def test_correction_with_value_then_read_back_again(self):
        c = self._at("confirmed")
        text = "金额说错了，是三十五万"
        c.say(text, "correct_field", [entity(text, "amount", "三十五万")])
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["amount"], 350_000)
        self.assertIn("涉及金额已改为：35万元", c.texts())
        self.assertIsNone(c.slots["confirmed"])
        self.assertEqual(c.slots["requested_slot"], "confirmed")

    def test_correction_that_names_no_field_asks_which(self):
        c = self._at("confirmed")
        c.say("不对", "deny")
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["requested_slot"], "field_to_correct")
        c.say("改地点", "correct_field")
        c.run(ValidateComplaintForm())
        self.assertIsNone(c.slots["place"])
        self.assertEqual(c.slots["requested_slot"], "place")
        c.say("牟平区", "inform", [entity("牟平区", "place", "牟平区")])
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["place"], "牟平区")
        self.assertEqual(c.slots["requested_slot"], "confirmed")

    def test_wrong_entity_after_denial_is_ignored(self):
        c = self._at("confirmed")
        text = "不是镇政府，是街道办"
        c.say(text, "correct_field", [entity(text, "respondent", "镇政府"), entity(text, "respondent", "街道办")])
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["respondent"], "街道办")

    def test_confirm_ends_the_form(self):
        c = self._at("confirmed")
        c.say("/affirm", "affirm")
        c.run(ValidateComplaintForm())
        self.assertTrue(c.slots["confirmed"])
        self.assertIsNone(c.slots["requested_slot"])

    def test_interruptions_are_left_to_the_rules(self):
        for intent in ("chitchat", "stop", "ask_human", "bot_challenge"):
            with self.subTest(intent=intent):
                c = self._at("place")
                c.say("随便说点什么", intent)
                events = c.run(ValidateComplaintForm())
                self.assertEqual([e["event"] for e in events], ["action_execution_rejected"])

    def test_low_confidence_answer_is_used_when_it_fits(self):
        c = self._at("place")
        c.say("福山区清洋街道", "nlu_fallback", confidence=0.3)
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["place"], "福山区清洋街道")
        c = self._at("amount")
        c.say("啥", "nlu_fallback", confidence=0.2)
        c.run(ValidateComplaintForm())
        self.assertIn("例如“35万”", c.texts())
        self.assertEqual(c.slots["requested_slot"], "amount")

    def test_resumed_form_does_not_take_the_interrupting_message(self):
        c = self._at("place")
        c.say("继续", "deny")
        c.run(ValidateComplaintForm(), [{"event": "loop_interrupted", "is_interrupted": True}])
        self.assertIsNone(c.slots["place"])
        self.assertEqual(c.slots["requested_slot"], "place")

    def test_form_asks_again_after_chitchat_was_answered(self):
        c = self._at("place")
        c.say("你叫什么名字", "chitchat")
        self.assertEqual([e["event"] for e in c.run(ValidateComplaintForm())], ["action_execution_rejected"])
        # the chitchat rule answered; the form runs again without a new message
        events = c.run(ValidateComplaintForm(), [
            {"event": "action", "name": "utter_chitchat"}, {"event": "bot", "text": "我是热线的投诉助手"}])
        self.assertNotIn("action_execution_rejected", [e["event"] for e in events])
        self.assertEqual(c.slots["requested_slot"], "place")

    def test_id_number_is_never_stored_unmasked(self):
        text = f"我叫张三，身份证{ID}，市财政局欠我货款两万三，电话13812345678"
        c = Conversation().say(text, "complain", [
            entity(text, "id_number", ID), entity(text, "respondent", "市财政局", "烟台市财政局"),
            entity(text, "amount", "两万三"),
        ])
        c.start()
        self.assertEqual(c.slots["id_number"], "370602********1234")
        self.assertIn("身份证号", c.texts())
        for name, value in c.slots.items():
            self.assertNotIn(ID, json.dumps(value, ensure_ascii=False), name)
        self.assertEqual(c.slots["contact_name"], "张三")
        self.assertEqual(c.slots["amount"], 23_000)
        payload = ticket_payload(c.tracker())
        self.assertNotIn(ID, json.dumps(payload, ensure_ascii=False))

    def test_entities_cut_from_an_id_number_are_ignored(self):
        text = f"我叫王芳，身份证{ID}，电话139 0535 1234"
        c = Conversation().say("门口路灯坏了好几天了，晚上看不见", "complain")
        c.start()
        c.say(text, "give_contact", [entity(text, "date", "19900101"), entity(text, "phone", "139 0535 1234")])
        c.run(ValidateComplaintForm())
        self.assertIsNone(c.slots.get("promise_date"))
        self.assertEqual(c.slots["phone"], "13905351234")
        self.assertIsNone(c.slots.get("place"))  # a phone number is not the place asked for
        self.assertEqual(c.slots["requested_slot"], "place")

    def test_started_by_a_button_after_did_you_mean(self):
        c = Conversation().say("我家门口的路灯坏了好几天了，晚上走路看不见", "nlu_fallback", confidence=0.3)
        original = c.events[-1]
        c.say("/complain_other", "complain", confidence=1.0)
        c.start()
        self.assertEqual(c.slots["description"], original["text"])
        source = ticket_payload(c.tracker())["field_sources"]["description"]
        self.assertEqual(source, {"message_id": original["message_id"], "text": original["text"]})

    def test_a_complaint_may_start_with_details(self):
        text = "我们公司2023年给福山区住建局修路，验收时答应年底前付清三十五万，一分没给，我电话13812345678"
        c = Conversation().say(text, "give_contact", [entity(text, "phone", "13812345678")])
        c.events[-1]["parse_data"]["intent_ranking"] = [
            {"name": "give_contact", "confidence": 0.6}, {"name": "complain", "confidence": 0.3}]
        c.start()
        self.assertEqual((c.slots["category"], c.slots["category_confidence"]), ("arrears", 0.88))
        self.assertEqual(c.slots["description"], text)
        self.assertEqual(c.slots["phone"], "13812345678")
        # 匿名 first: the story is asked, and a complaint intent then sets the category
        c = Conversation().say("我想匿名反映个事", "want_anonymous")
        c.start()
        self.assertTrue(c.slots["anonymous"])
        self.assertIsNone(c.slots.get("category"))
        self.assertEqual(c.slots["requested_slot"], "description")
        c.say("街道办答应给我们小区装电梯的补贴，两年了一直没兑现", "complain")
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["category"], "township_service")
        self.assertEqual(c.slots["requested_slot"], "respondent")

    def test_general_request_is_other(self):
        c = Conversation().say("我家门口的路灯坏了好几天了，晚上走路看不见", "complain")
        c.start()
        self.assertEqual(c.slots["category"], "other")
        self.assertIn("一般诉求", c.texts())
        self.assertEqual(c.slots["requested_slot"], "place")

    def test_payload_keeps_sources_and_a_stable_key(self):
        c = self._at("confirmed")
        c.say("/affirm", "affirm")
        c.run(ValidateComplaintForm())
        payload = ticket_payload(c.tracker())
        self.assertEqual(payload["channel"], "rest")
        self.assertEqual(payload["conversation_id"], c.sender)
        self.assertEqual(payload["amount_yuan"], 300_000)
        self.assertEqual(payload["contact_phone"], "13812345678")
        first = [e for e in c.events if e["event"] == "user"][0]
        self.assertEqual(payload["field_sources"]["respondent"]["message_id"], first["message_id"])
        self.assertEqual(payload["field_sources"]["amount_yuan"]["text"], "三十万")
        self.assertEqual(payload["idempotency_key"], ticket_payload(c.tracker())["idempotency_key"])
        # a second complaint in the same conversation gets another key
        c.say("还有一件事，街道办答应的低保一直没落实", "complain")
        c.start()
        self.assertNotEqual(c.slots["complaint_key"], payload["idempotency_key"])

    @staticmethod
    def _at(slot: str) -> Conversation:
        """A wage complaint walked up to the given question."""
        c = Conversation()
        text = "区住建局欠我们公司的工程款"
        c.say(text, "complain", [entity(text, "respondent", "区住建局")])
        c.start()
        answers = {
            "promise": ("说好验收后三个月内付清", "inform", []),
            "promise_date": ("2023年10月", "inform", [entity("2023年10月", "date", "2023年10月")]),
            "amount": ("三十万", "inform", [entity("三十万", "amount", "三十万")]),
            "place": ("福山区", "inform", [entity("福山区", "place", "福山区")]),
            "evidence": ("有合同", "inform", []),
            "phone": ("13812345678", "give_contact", [entity("13812345678", "phone", "13812345678")]),
            "consent_disclose": ("/affirm", "affirm", []),
        }
        for _ in range(len(answers)):
            asked = c.slots.get("requested_slot")
            if asked == slot:
                break
            c.say(*answers[asked])
            c.run(ValidateComplaintForm())
        assert c.slots.get("requested_slot") == slot, c.slots.get("requested_slot")
        return c


class FollowsTheCitizenTest(FormTestCase):
    """Any field from any turn; consent and anonymity only as said; no dead ends."""

    at = staticmethod(lambda slot: ComplaintFormTest._at(slot))

    def test_consent_in_the_citizens_words(self):
        cases = [("可以告诉他们我的名字和电话", "want_anonymous", True), ("行", "affirm", True),
                 ("没问题", "affirm", True), ("告诉他们吧", "inform", True), ("别告诉", "deny", False),
                 ("不要透露", "inform", False), ("不行", "deny", False), ("无所谓，告诉就告诉吧", "inform", True)]
        for text, intent, expected in cases:
            with self.subTest(text=text):
                c = self.at("consent_disclose")
                c.say(text, intent)
                c.run(ValidateComplaintForm())
                self.assertIs(c.slots["consent_disclose"], expected)
                self.assertFalse(c.slots["anonymous"])
                self.assertEqual(c.slots["phone"], "13812345678")
                self.assertEqual(c.slots["requested_slot"], "confirmed")

    def test_a_phone_given_is_dropped_only_when_the_citizen_confirms(self):
        c = self.at("consent_disclose")
        c.say("我还是匿名吧", "want_anonymous")
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["phone"], "13812345678")
        self.assertEqual(c.slots["requested_slot"], "confirm_anonymous")
        c.say("保留电话吧", "inform")
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["phone"], "13812345678")
        self.assertFalse(c.slots["anonymous"])
        self.assertIn("保留", c.texts())
        c.say("不想留电话，匿名", "want_anonymous")
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["requested_slot"], "confirm_anonymous")
        c.say("确定匿名", "affirm")
        c.run(ValidateComplaintForm())
        self.assertTrue(c.slots["anonymous"])
        self.assertIsNone(c.slots["phone"])
        self.assertIn("无法打电话给您回访", c.texts())

    def test_answers_the_nlu_took_for_something_else_are_taken(self):
        for slot, text, intent, value in (("evidence", "有受理单", "query_status", "有受理单"),
                                          ("evidence", "没有", "stop", "无"),
                                          ("promise_date", "记不清了", "stop", "记不清"),
                                          ("consent_disclose", "告诉他们吧，让他们直接找我", "ask_human", True),
                                          ("phone", "13912345678", "stop", "13912345678")):
            with self.subTest(text=text):
                c = self.at(slot)
                c.say(text, intent)
                events = c.run(ValidateComplaintForm())
                self.assertNotIn("action_execution_rejected", [e["event"] for e in events])
                self.assertEqual(c.slots[slot], value)
        c = self.at("phone")
        c.say("1381234", "stop")
        c.run(ValidateComplaintForm())
        self.assertIn("号码好像不对", c.texts())
        c = self.at("place")
        c.say("算了，不说了", "stop")
        self.assertEqual([e["event"] for e in c.run(ValidateComplaintForm())], ["action_execution_rejected"])

    def test_the_body_is_named_as_written_when_the_nlu_split_it(self):
        text = "开发区管委会答应的补贴一直不兑现"
        c = Conversation().say(text, "complain", [entity(text, "place", "开发区"), entity(text, "respondent", "管委会")])
        c.start()
        self.assertEqual(c.slots["respondent"], "开发区管委会")

    def test_an_answer_to_another_question_fills_that_field(self):
        c = self.at("place")
        c.say("有判决书", "inform")
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["evidence"], "判决书")
        self.assertIsNone(c.slots.get("place"))
        self.assertEqual(c.slots["requested_slot"], "place")

    def test_several_facts_in_one_message(self):
        c = Conversation().say("我要投诉", "complain")
        c.start()
        text = "区住建局欠了我们三十五万工程款，2022年答应的，有合同，在福山区"
        c.say(text, "complain", [entity(text, "respondent", "区住建局"), entity(text, "amount", "三十五万"),
                                 entity(text, "date", "2022年"), entity(text, "place", "福山区")])
        c.run(ValidateComplaintForm())
        s = c.slots
        self.assertEqual((s["respondent"], s["amount"], s["promise_date"], s["place"], s["evidence"]),
                         ("区住建局", 350_000, "2022年", "福山区", "合同"))
        self.assertEqual(s["requested_slot"], "phone")

    def test_two_unclear_answers_are_taken_as_unknown_and_the_form_moves_on(self):
        c = self.at("promise_date")
        c.say("这个嘛", "inform")
        c.run(ValidateComplaintForm())
        self.assertIn("例如“2023年10月”", c.texts())
        self.assertEqual(c.slots["requested_slot"], "promise_date")
        c.say("嗯嗯", "affirm")
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["promise_date"], "记不清")
        self.assertIn("工作人员核实时会再问您", c.texts())
        self.assertNotEqual(c.slots["requested_slot"], "promise_date")

    def test_a_bare_yes_to_a_question_that_wants_content_gets_an_example(self):
        c = self.at("evidence")
        c.say("是的", "affirm")
        c.run(ValidateComplaintForm())
        self.assertIsNone(c.slots.get("evidence"))
        self.assertIn("例如“合同和验收单”", c.texts())
        self.assertNotIn("您手上有哪些证据", c.texts())  # the example, not the question twice
        c.say("有合同和聊天记录", "inform")
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["evidence"], "有合同和聊天记录")

    def test_the_example_is_asked_once_then_the_plain_question_again(self):
        c = self.at("phone")
        c.say("1381234", "inform")
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["hint"], "phone_number")
        self.assertNotIn("请留一个联系电话", c.texts())
        c.say("你是机器人吗", "bot_challenge")
        c.run(ValidateComplaintForm(), [{"event": "action", "name": "utter_iamabot"}])
        self.assertIsNone(c.slots["hint"])
        self.assertIn("请留一个联系电话", c.texts())

    def test_going_on_after_the_stop_question_is_no_answer(self):
        for intent in ("complain", "stop"):
            with self.subTest(intent=intent):
                c = self.at("place")
                c.say("继续投诉", intent)
                events = c.run(ValidateComplaintForm())
                self.assertNotIn("action_execution_rejected", [e["event"] for e in events])
                self.assertIsNone(c.slots.get("place"))
                self.assertEqual(c.slots["requested_slot"], "place")

    def test_an_opening_is_not_the_story_and_the_story_after_it_is(self):
        c = Conversation()
        c.say("有个事想问问", "complain")
        c.start()
        self.assertIsNone(c.slots.get("description"))
        self.assertEqual(c.slots["requested_slot"], "description")

    def test_an_amount_the_nlu_missed_in_the_story_is_read_from_its_words(self):
        text = "我替我爸反映一下，他给镇里修了三年路灯，镇政府欠他工钱九万多，一直说没钱"
        c = Conversation().say(text, "complain", [entity(text, "respondent", "镇政府")])
        c.start()
        self.assertEqual(c.slots["amount"], 90_000)

    def test_a_story_told_when_asked_for_the_place_is_kept(self):
        c = self.at("place")
        story = "法院判了街道办还我们四十万，一年多了街道办就是不执行"
        c.say(story, "complain", [entity(story, "respondent", "街道办")])
        c.run(ValidateComplaintForm())
        self.assertIn(story, c.slots["description"])

    def test_a_yes_to_is_this_a_complaint_takes_the_story_before_it(self):
        story = "区住建局欠我们公司的工程款三十五万，一直不给"
        c = Conversation().say(story, "nlu_fallback", [entity(story, "respondent", "区住建局")])
        c.events.append({"event": "bot", "text": "抱歉，我不太确定您的意思。您是想反映一个问题、投诉或举报吗？"})
        c.say("是的，我要投诉", "complain")
        # Rasa's two-stage fallback rewinds the answer and puts it back as the clarification
        c.events += [{"event": "active_loop", "name": None}, {"event": "rewind"}]
        c.say("是的，我要投诉", "complain")
        c.start()
        self.assertEqual(c.slots["description"], story)
        self.assertEqual(c.slots["respondent"], "区住建局")
        self.assertEqual(c.slots["amount"], 350_000)

    def test_a_field_is_corrected_by_saying_it_in_the_citizens_words(self):
        c = self.at("confirmed")
        text = "单位不对，是开发区管委会"
        c.say(text, "correct_field", [entity(text, "respondent", "管委会")])
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["respondent"], "开发区管委会")
        self.assertIn("被投诉单位已改为：开发区管委会", c.texts())
        self.assertEqual(c.slots["requested_slot"], "confirmed")

    def test_no_usable_phone_twice_goes_on_without_one_and_not_anonymous(self):
        c = self.at("phone")
        c.say("电话就算了吧", "deny")
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["requested_slot"], "phone")
        c.say("不方便", "deny")
        c.run(ValidateComplaintForm())
        self.assertEqual(c.slots["phone"], "")
        self.assertFalse(c.slots.get("anonymous"))
        self.assertEqual(c.slots["requested_slot"], "confirmed")
        payload = ticket_payload(c.tracker())
        self.assertIsNone(payload["contact_phone"])
        self.assertFalse(payload["anonymous"])

    def test_the_back_office_away_leaves_the_category_to_the_operator(self):
        os.environ["HOTLINE_API_URL"] = "http://127.0.0.1:9"  # nothing listens there
        text = "区住建局欠我们公司的工程款三十万，一直不给"
        c = Conversation().say(text, "complain", [entity(text, "respondent", "区住建局")])
        c.start()
        self.assertIsNone(c.slots.get("category"))
        self.assertEqual(c.slots["description"], text)
        self.assertIn(c.slots["requested_slot"], ("promise_date", "place"))
        self.assertIsNone(ticket_payload(c.tracker())["category"])


class RetryFormTest(unittest.TestCase):
    def test_retry_words_whatever_the_intent(self):
        for text, intent in (("重新提交", "stop"), ("再试一次", "inform"), ("/affirm", "affirm")):
            with self.subTest(text=text):
                c = Conversation().say(text, intent)
                c.run(ValidateRetryForm())
                self.assertTrue(c.slots["retry_submit"])
                self.assertIsNone(c.slots["requested_slot"])

    def test_stop_is_left_to_the_rules(self):
        c = Conversation().say("先不提交了", "stop")
        events = c.run(ValidateRetryForm())
        self.assertEqual([e["event"] for e in events], ["action_execution_rejected"])


class StatusFormTest(unittest.TestCase):
    def test_number_and_code_in_one_message(self):
        text = "工单20261122 0007，查询码58392017"
        c = Conversation().say(text, "query_status")
        c.start("status_form", ValidateStatusForm())
        self.assertEqual(c.slots["ticket_number"], "20261122-0007")
        self.assertEqual(c.slots["query_code"], "58392017")
        self.assertIsNone(c.slots["requested_slot"])

    def test_filed_ticket_is_used_and_another_number_needs_its_code(self):
        c = Conversation()
        c.slots.update(filed_ticket_number="20261122-0007", filed_query_code="58392017")
        c.say("查一下进度", "query_status")
        c.start("status_form", ValidateStatusForm())
        self.assertEqual((c.slots["ticket_number"], c.slots["query_code"]), ("20261122-0007", "58392017"))
        c.say("查下20261120-0003这个", "query_status")
        c.start("status_form", ValidateStatusForm())
        self.assertEqual(c.slots["ticket_number"], "20261120-0003")
        self.assertIsNone(c.slots["query_code"])
        self.assertEqual(c.slots["requested_slot"], "query_code")
        c.say("1234", "inform")
        c.run(ValidateStatusForm())
        self.assertIn("8位数字", c.texts())
        c.say("66120398", "inform")
        c.run(ValidateStatusForm())
        self.assertEqual(c.slots["query_code"], "66120398")
        self.assertIsNone(c.slots["requested_slot"])


class BackofficeStub:
    """A tiny back office: answers 503 until `up` is set, then files tickets."""

    def __init__(self):
        self.up = False
        self.refuse_lookups = False
        self.requests: List[Dict[str, Any]] = []
        self.tickets: Dict[str, Dict[str, Any]] = {}

    async def create(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"auth": request.headers.get("Authorization"), "body": body})
        if not self.up:
            return web.json_response({"error": "维护中"}, status=503)
        key = body["idempotency_key"]
        replayed = key in self.tickets
        if not replayed:
            self.tickets[key] = {"number": f"20261122-{len(self.tickets) + 1:04d}", "query_code": "58392017"}
        t = self.tickets[key]
        return web.json_response({**t, "lead_name": "烟台市工业和信息化局",
                                  "reply_due_text": "2026年11月27日（星期五）24:00前", "replayed": replayed},
                                 status=200 if replayed else 201)

    async def followup(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"auth": request.headers.get("Authorization"), "body": body,
                              "number": request.match_info["number"]})
        if body["query_code"] != "58392017":
            return web.json_response({"error": "工单号或查询码不正确，请核对后再试。"}, status=404)
        if not self.up:
            return web.json_response({"error": "这张工单目前没有待评价的答复。"}, status=409)
        return web.json_response({"state": "closed", "state_name": "已办结", "message": "感谢您的评价，工单已办结。"})

    async def status(self, request: web.Request) -> web.Response:
        body = await request.json()
        self.requests.append({"auth": request.headers.get("Authorization"), "body": body,
                              "conversation": request.headers.get("X-Hotline-Conversation")})
        if self.refuse_lookups:
            return web.json_response({"error": "查询失败次数过多，为保护工单信息，暂停查询。请 15 分钟后再试。",
                                      "code": "too_many_lookups"}, status=429)
        for t in self.tickets.values():
            if t["number"] == body["number"] and t["query_code"] == body["query_code"]:
                return web.json_response({"number": t["number"], "state_name": "已受理", "category_name": "拖欠企业账款",
                                          "lead_name": "烟台市工业和信息化局", "followup_open": False, "timeline": []})
        return web.json_response({"error": "工单号或查询码不正确，请核对后再试。"}, status=404)


class SubmitOverHttpTest(unittest.IsolatedAsyncioTestCase):
    async def asyncSetUp(self):
        self.stub = BackofficeStub()
        app = web.Application()
        app.router.add_post("/api/tickets", self.stub.create)
        app.router.add_post("/api/status", self.stub.status)
        app.router.add_post("/api/tickets/{number}/followup", self.stub.followup)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        self._env = {k: os.environ.get(k) for k in ("HOTLINE_API_URL", "HOTLINE_SERVICE_TOKEN")}
        os.environ["HOTLINE_API_URL"] = f"http://127.0.0.1:{port}"
        os.environ["HOTLINE_SERVICE_TOKEN"] = "t0ken"

    async def asyncTearDown(self):
        await self.runner.cleanup()
        for k, v in self._env.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v

    async def test_down_then_retry_files_one_ticket_with_the_same_key(self):
        def confirmed() -> Conversation:
            c = ComplaintFormTest._at("confirmed")
            c.say("/affirm", "affirm")
            c.run(ValidateComplaintForm())
            return c

        # the conversation above runs its own event loop, so build it in a thread
        c = await asyncio.to_thread(confirmed)

        async def submit():
            d = CollectingDispatcher()
            events = await ActionSubmitComplaint().run(d, c.tracker(), DOMAIN)
            for e in events:
                c.events.append(e)
                if e["event"] == "slot":
                    c.slots[e["name"]] = e["value"]
            return d.messages

        self.assertEqual(await submit(), [])
        self.assertTrue(c.slots["submit_pending"])
        self.assertIsNotNone(c.slots["respondent"])  # kept for the retry
        self.stub.up = True
        messages = await submit()
        text = rendered(messages[0])
        self.assertIn("工单号：20261122-0001", text)
        self.assertIn("查询码：58392017", text)
        self.assertIn("烟台市工业和信息化局", text)
        self.assertIn("2026年11月27日", text)
        self.assertFalse(c.slots["submit_pending"])
        self.assertEqual(c.slots["filed_ticket_number"], "20261122-0001")
        self.assertIsNone(c.slots["respondent"])
        keys = {r["body"]["idempotency_key"] for r in self.stub.requests}
        self.assertEqual(len(self.stub.requests), 2)
        self.assertEqual(len(keys), 1)
        self.assertEqual(len(self.stub.tickets), 1)
        self.assertEqual(self.stub.requests[0]["auth"], "Bearer t0ken")

    async def test_rating_goes_to_the_ticket_of_this_conversation(self):
        c = Conversation()
        c.slots.update(ticket_number="20261122-0001", query_code="58392017", satisfaction="不满意")  # a slot filled before ratings were codes
        c.say("不满意，钱还是没给", "rate_unsatisfied")
        d = CollectingDispatcher()
        await status.ActionSubmitFollowup().run(d, c.tracker(), DOMAIN)
        self.assertIn("没有需要评价", rendered(d.messages[0]))  # 409: nothing to rate yet
        self.stub.up = True
        d = CollectingDispatcher()
        events = await status.ActionSubmitFollowup().run(d, c.tracker(), DOMAIN)
        self.assertEqual(rendered(d.messages[0]), "感谢您的评价，工单已办结。")
        sent = self.stub.requests[-1]
        self.assertEqual(sent["number"], "20261122-0001")
        self.assertEqual(sent["body"], {"query_code": "58392017", "satisfaction": "unsatisfied", "comment": "不满意，钱还是没给"})
        self.assertIn({"event": "slot", "timestamp": None, "name": "satisfaction", "value": None}, events)

    async def test_wrong_code_says_the_same_as_an_unknown_number(self):
        self.stub.up = True
        self.stub.tickets["k"] = {"number": "20261122-0001", "query_code": "58392017"}
        for number, code in (("20261122-0001", "00000000"), ("20991231-9999", "58392017")):
            d = CollectingDispatcher()
            c = Conversation()
            c.slots.update(ticket_number=number, query_code=code)
            c.say("查进度", "query_status")
            await status.ActionCheckStatus().run(d, c.tracker(), DOMAIN)
            self.assertEqual(rendered(d.messages[0]), "工单号或查询码不正确，请核对后再试。")

    async def test_a_lookup_is_made_for_this_conversation_and_a_pause_is_explained(self):
        self.stub.up, self.stub.refuse_lookups = True, True
        c = Conversation()
        c.slots.update(ticket_number="20261122-0001", query_code="00000000")
        c.say("查进度", "query_status")
        d = CollectingDispatcher()
        await status.ActionCheckStatus().run(d, c.tracker(), DOMAIN)
        self.assertTrue(rendered(d.messages[0]).startswith("查询失败次数过多"))
        sent = self.stub.requests[-1]
        self.assertEqual((sent["auth"], sent["conversation"]), ("Bearer t0ken", c.tracker().sender_id))


class YesOrNoTest(unittest.TestCase):
    def run_after(self, bot: Dict[str, Any], text: str, intent: str):
        c = Conversation().say("区住建局欠我们公司的工程款三十五万，一直不给", "nlu_fallback")
        c.events.append({"event": "bot", "text": "……", "metadata": bot})
        c.say(text, intent)
        d = CollectingDispatcher()
        events = asyncio.run(ActionYesOrNo().run(d, c.tracker(), DOMAIN))
        return events, [m.get("response") for m in d.messages]

    def test_a_typed_yes_to_did_you_mean_starts_what_was_guessed(self):
        guessed = {"utter_action": "utter_did_you_mean", "guess": "complain"}
        events, said = self.run_after(guessed, "是的", "affirm")
        self.assertEqual((events, said), ([{"event": "followup", "timestamp": None, "name": "complaint_form"}], []))
        events, said = self.run_after({**guessed, "guess": "query_status"}, "对", "affirm")
        self.assertEqual(events[0]["name"], "status_form")

    def test_a_yes_or_no_with_nothing_asked_gets_how_can_i_help(self):
        for bot, text, intent in (({"utter_action": "utter_greet"}, "是的", "affirm"),
                                  ({"utter_action": "utter_did_you_mean", "guess": "complain"}, "不是", "deny")):
            with self.subTest(text=text):
                self.assertEqual(self.run_after(bot, text, intent), ([], ["utter_how_can_i_help"]))


class ConfirmStopTest(unittest.TestCase):
    def after(self, bot: str, text: str):
        c = Conversation().say("区住建局欠我们公司的工程款三十五万，一直不给", "complain")
        c.events.append({"event": "bot", "text": "……", "metadata": {"utter_action": bot}})
        c.say(text, "stop")
        d = CollectingDispatcher()
        events = asyncio.run(ActionAskConfirmStop().run(d, c.tracker(), DOMAIN))
        return [e.get("name") for e in events], [m.get("response") for m in d.messages]

    def test_stop_is_asked_about_first(self):
        self.assertEqual(self.after("utter_ask_place", "算了"), ([], ["utter_ask_confirm_stop"]))

    def test_the_answer_to_the_stop_question_is_read_by_its_words(self):
        for text, then in (("继续投诉", "complaint_form"), ("不，继续", "complaint_form"),
                           ("不投诉了", "action_cancel_complaint"), ("算了", "action_cancel_complaint")):
            with self.subTest(text=text):
                self.assertEqual(self.after("utter_ask_confirm_stop", text), ([then], []))


class WordingTest(unittest.TestCase):
    def test_every_response_an_action_names_is_in_the_domain(self):
        named = set()
        for path in (ROOT / "actions").glob("*.py"):
            named |= set(re.findall(r"\"(utter_(?!action\")\w+)\"", path.read_text(encoding="utf-8")))
        self.assertGreater(len(named), 40)
        self.assertEqual(sorted(n for n in named if n not in RESPONSES), [])

    def test_actions_say_nothing_but_domain_responses(self):
        for path in (ROOT / "actions").glob("*.py"):
            with self.subTest(path=path.name):
                self.assertNotRegex(path.read_text(encoding="utf-8"), r"utter_message\((?!response=)")

    def test_the_read_back_and_the_filing_notice_are_made_of_domain_lines(self):
        from actions.complaint import filed_details, read_back
        summary = read_back(DOMAIN, {"category": "arrears", "respondent": "开发区管委会", "amount": 350_000,
                                     "phone": "13812345678", "consent_disclose": True}, amount_needed=True)
        self.assertEqual(summary.splitlines(), [
            "投诉类别：拖欠企业账款", "被投诉单位：开发区管委会", "涉及金额：35万元（350,000元）",
            "联系电话：138****5678（同意告知承办单位）"])
        details = filed_details(DOMAIN, {"lead_name": "烟台市工业和信息化局"}, {"anonymous": True})
        self.assertEqual(details.splitlines(), [
            "承办单位：烟台市工业和信息化局", "您是匿名投诉，我们不会电话回访，请凭工单号和查询码查询进度。"])


if __name__ == "__main__":
    unittest.main()
