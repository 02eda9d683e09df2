"""The pure rules: what is masked in a transcript shown outside the hotline,
and what of a message goes to the assistant."""
import pytest

from bot.gateway import texts
from bot.gateway.inputs import prepare
from bot.gateway.telegram import split_text
from vocabulary.masking import mask_identity, mask_personal


@pytest.mark.parametrize("typed, shown", [
    ("我电话13812345678", "我电话138****5678"),
    ("联系人王女士 139 0535 1234", "联系人王女士 139 **** 1234"),
    ("+86 138-1234-5678 找我", "+86 138-****-5678 找我"),
    ("身份证370602199001011234", "身份证370602********1234"),
    ("身份证37060219900101123X", "身份证370602********123X"),
    ("３７０６０２１９９００１０１１２３４", "３７０６０２********１２３４"),  # full-width digits
    ("老身份证370602900101123", "老身份证370602*****1123"),
    ("座机0535-6612345", "座机0535-***2345"),
    ("(010)88886666", "(010)****6666"),
])
def test_phone_and_id_numbers_are_masked(typed, shown):
    assert mask_personal(typed) == shown


@pytest.mark.parametrize("text", [
    "工单号20261122-0007，查询码58392017", "欠款300000元", "合同编号HT-2021-088", "2023年10月", "",
])
def test_what_is_not_a_phone_or_id_number_stays(text):
    assert mask_personal(text) == text


def test_what_goes_to_the_assistant():
    assert prepare("  街道办\x00欠款\u200b\x07 ", 100).forward == "街道办欠款"
    assert prepare("第一行\n第二行", 100).forward == "第一行\n第二行"
    assert prepare("", 100) == prepare(" \n\t", 100)
    assert prepare("", 100).forward is None and prepare("", 100).note == texts.EMPTY_HINT
    assert prepare("👍🙏!!", 100).forward is None and prepare("👍🙏!!", 100).note == texts.SYMBOLS_HINT
    assert prepare("👍好的", 100).forward == "👍好的"
    long = prepare("欠" * 120, 100)
    assert long.forward == "欠" * 100 and long.note == texts.LONG_NOTE.format(length=120, limit=100)
    assert prepare("<script>x</script>", 100).forward == "<script>x</script>"


def test_long_telegram_messages_are_split_at_line_breaks():
    text = ("甲" * 3000 + "\n") * 3
    parts = split_text(text)
    assert all(len(p) <= 4096 for p in parts) and "".join(parts).replace("\n", "") == "甲" * 9000
    assert split_text("短") == ["短"]


@pytest.mark.parametrize("typed, forwarded", [
    ("/complain_x", "complain_x"), ("  /affirm", "affirm"), ("/ /deny", "deny"), ("//", None), ("查询/进度", "查询/进度"),
])
def test_typed_text_is_never_an_intent(typed, forwarded):
    assert prepare(typed, 100).forward == forwarded


@pytest.mark.parametrize("typed, shown", [
    ("我叫王建国，电话13812345678，区政府欠我工程款", "我叫***，电话138****5678，区政府欠我工程款"),
    ("本人张伟电话13912345678", "本人**电话139****5678"),
    ("联系人：欧阳娜娜 手机13800001111", "联系人：**** 手机138****1111"),
    ("请找李先生或者赵女士", "请找*先生或者*女士"),
    ("我家住幸福小区3号楼2单元501室", "我家住幸福小区*号楼*单元*室"),
    ("车牌鲁F12345被扣", "车牌鲁F*****被扣"),
    ("车牌号粤B·D12345", "车牌号粤B·******"),
])
def test_identity_is_masked_for_departments(typed, shown):
    assert mask_identity(typed) == shown


@pytest.mark.parametrize("text", [
    "我是莱山区一家建筑公司的负责人，初家街道办欠我们工程款三十万元",
    "我是李村的村民，村委会答应的补贴没给",
    "合同编号HT-2021-088，欠款300000元，2023年10月到期",
    "区财政局张科长说年底前付清",
    "芝罘区向阳街道办事处",
])
def test_what_is_not_a_persons_identity_stays(text):
    assert mask_identity(text) == text


def test_the_complainants_own_name_is_masked_wherever_it_appears():
    assert mask_identity("王芳反映：王芳家的补贴没有发", names=["王芳"]) == "**反映：**家的补贴没有发"
