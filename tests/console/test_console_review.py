"""The pure decisions behind the pages: source links, duplicate scores, what a
viewer may do, the sign-in lock. No database, no server."""
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

from intake_store.catalog import default_catalog
from intake_store.console.accounts import LoginPolicy, check_password_policy, hash_password, locked_until, verify_password
from intake_store.console.review import (
    DUPLICATE_THRESHOLD,
    MatterKey,
    TranscriptMessage,
    allowed_actions,
    describe_event,
    duplicate_score,
    link_sources,
    text_similarity,
)
from intake_store.lifecycle import Event, replay
from intake_store.tickets.viewer import Viewer

T0 = datetime(2026, 11, 16, 2, 0, tzinfo=timezone.utc)
MESSAGES = [
    TranscriptMessage(1, "r1", "in", "你好"),
    TranscriptMessage(2, "r2", "out", "请问是哪个单位？"),
    TranscriptMessage(3, None, "in", "是初家街道办答应的"),
    TranscriptMessage(4, "r4", "in", "欠了我们 20000 元，身份证号 370602199001011234"),
]


def test_fields_link_to_messages_by_id_then_by_text():
    links = link_sources({
        "respondent": {"message_id": None, "text": "是初家街道办答应的"},
        "amount_yuan": {"message_id": "r4", "text": "whatever"},
        "place": {"message_id": "gone", "text": "初家街道办"},  # a fragment of message 3
        "evidence": {"message_id": None, "text": "欠了我们 20000 元，身份证号 370602**********"},  # masked copy
        "promise": {"message_id": None, "text": "从没说过的话"},
    }, MESSAGES)
    assert links == {"respondent": 3, "amount_yuan": 4, "place": 3, "evidence": 4, "promise": None}


def test_an_assistant_message_is_never_taken_for_the_citizens_words():
    assert link_sources({"respondent": {"message_id": None, "text": "请问是哪个单位？"}}, MESSAGES) == {"respondent": None}


def _key(respondent_code="laishan_chujia", respondent="初家街道办", amount="20000", text="初家街道办答应加装电梯补贴每户两万元至今未兑现"):
    return MatterKey(respondent_code, respondent, Decimal(amount) if amount else None, text)


def test_duplicate_score_weighs_respondent_amount_and_text():
    same, reasons = duplicate_score(_key(), _key(text="初家街道办答应加装电梯补贴每户两万元，一直没给"))
    assert same >= 0.8 and reasons[:2] == ["同一被投诉单位", "金额相同（20,000.00 元）"]
    respondent_only, _ = duplicate_score(_key(), _key(amount=None, text="街道环境卫生没人管"))
    assert respondent_only < DUPLICATE_THRESHOLD  # a body with many complaints is not one matter
    text_only, reasons = duplicate_score(_key(None, None, None), _key(None, None, None))
    assert text_only >= DUPLICATE_THRESHOLD and reasons == ["内容相似度 100%"]
    assert duplicate_score(_key(), _key("finance", "财政局", "5", "工程款拖欠三年"))[0] < 0.1


def test_text_similarity_needs_no_word_segmentation():
    assert text_similarity("拖欠工程款三百万", "拖欠工程款三百万元") > 0.9
    assert text_similarity("拖欠工程款", "") == 0.0
    assert text_similarity("，。！", "？？") == 0.0


def _life(*events):
    return replay(list(events))


def test_allowed_actions_follow_the_lifecycle_rules():
    submit = Event("submit", T0, payload={"category": "township_service"})
    dispatch = Event("dispatch", T0, payload={"lead": "laishan", "co": ["civil_affairs"]})
    operator = Viewer("operator", "op")
    lead = Viewer("department", "ls", "laishan")
    assisting = Viewer("department", "mz", "civil_affairs")
    assert {"dispatch", "reject", "merge", "amend", "reroute"} <= allowed_actions(_life(submit), operator)
    assert allowed_actions(_life(submit, dispatch), lead) == {"accept", "return", "pause"}
    assert allowed_actions(_life(submit, dispatch), assisting) == set()  # reads, does not act
    accepted = _life(submit, dispatch, Event("accept", T0))
    assert "extension_approve" not in allowed_actions(accepted, operator)
    asked = _life(submit, dispatch, Event("accept", T0),
                  Event("extension_request", T0, reason="资金", payload={"new_due": date(2026, 12, 18)}))
    assert {"extension_approve", "extension_refuse"} <= allowed_actions(asked, operator)
    assert "extension_request" not in allowed_actions(asked, lead)
    assert "return" not in allowed_actions(accepted, lead)  # 退单 only before 签收


def test_history_details_read_in_chinese():
    catalog = default_catalog()
    assert describe_event(catalog, {"action": "reroute", "payload": {"lead": "civil_affairs", "co": ["laishan"]}}) == [
        ("主办", "烟台市民政局"), ("协办", "烟台市莱山区人民政府")]
    amend = {"action": "amend", "payload": {"category": "arrears", "urgent": True,
                                            "before": {"category": "other", "urgent": False}}}
    assert describe_event(catalog, amend) == [
        ("类别", "不属于政务失信的一般诉求（转普通工单） → 拖欠企业账款（含工程款、货款、中小企业账款）"), ("紧急", "否 → 是")]


def test_sign_in_locks_after_repeated_failures_and_frees_itself():
    policy = LoginPolicy(max_failures=5, max_failures_per_ip=20, window=timedelta(minutes=15))
    fails = [T0 + timedelta(minutes=i) for i in range(5)]
    now = T0 + timedelta(minutes=5)
    assert locked_until(fails[:4], [], now, policy) is None
    assert locked_until(fails, [], now, policy) == T0 + timedelta(minutes=15)  # the oldest ages out
    assert locked_until(fails, [], T0 + timedelta(minutes=15, seconds=1), policy) is None
    many_accounts = [T0 + timedelta(seconds=i) for i in range(20)]
    assert locked_until([], many_accounts, now, policy) == T0 + timedelta(minutes=15)


def test_passwords_are_hashed_with_argon2id_and_checked():
    stored = hash_password("长城-Great-Wall-2026")
    assert stored.startswith("$argon2id$") and "Great" not in stored
    assert verify_password(stored, "长城-Great-Wall-2026") == (True, None)
    assert verify_password(stored, "长城-Great-Wall-2025") == (False, None)
    assert verify_password("not a hash", "x") == (False, None)
    for weak, problem in (("short", "至少"), ("aaaaaaaaaaaa", "过于简单")):
        try:
            check_password_policy(weak)
        except ValueError as e:
            assert problem in str(e)
        else:
            raise AssertionError(weak)
