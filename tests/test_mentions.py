"""Amounts, places and phone numbers as callers say them, read from an
operator's notes."""
from decimal import Decimal

import pytest

from intake_store.mentions import amount_in, parse_amount, phone_number, place_in


@pytest.mark.parametrize("said, yuan", [
    ("52万", 520000), ("12600元", 12600), ("12,600元", 12600), ("三万二", 32000), ("八十六万", 860000),
    ("1.5亿", 150000000), ("两万三千五百元", 23500), ("三百五十块", 350), ("十万", 100000), ("５２万", 520000),
])
def test_an_amount_as_said_is_read_in_yuan(said, yuan):
    assert parse_amount(said) == Decimal(yuan)


@pytest.mark.parametrize("said", ["", "不知道", "万", "三个月"])
def test_what_is_no_amount_is_none(said):
    assert parse_amount(said) is None


@pytest.mark.parametrize("text, yuan", [
    # the sum still owed, not the contract total said before it
    ("我们公司2022年给长安镇人民政府修了村道，结算八十六万，至今还欠五十二万工程款", 520000),
    ("项目总价一百二十万，还有三万二尾款没结", 32000),
    # dates, counts and phone numbers are no money
    ("去年3月干了20天活，工资12600元一直没给，电话13812345678", 12600),
    ("小区20户，每户补贴两万", 20000),
])
def test_the_amount_a_complaint_is_about(text, yuan):
    assert amount_in(text) == Decimal(yuan)


def test_a_complaint_without_money_has_no_amount():
    assert amount_in("2023年3月交的材料，到现在20个工作日了还没批") is None


@pytest.mark.parametrize("text, place", [
    ("我在烟台市莱山区黄海路街道的工地干活", "烟台市莱山区黄海路街道"),
    ("芝罘区向阳街道办欠我们公司工程款三十万", "芝罘区向阳街道"),
    ("甘泉县道镇政府拖欠补偿款", "甘泉县道镇"),
    ("去年莱山区政府答应的", "莱山区"),
    ("长安镇人民政府修了村道", "长安镇"),
    ("沛县政府", "沛县"),
])
def test_the_place_a_caller_names(text, place):
    assert place_in(text) == place


@pytest.mark.parametrize("text", ["我住阳光小区，物业不管", "社区说没办法", "向区政府反映过", "市财政局欠款"])
def test_words_that_only_look_like_places(text):
    assert place_in(text) is None


@pytest.mark.parametrize("said, phone", [
    ("13812345678", "13812345678"), ("138 1234 5678", "13812345678"), ("+86 13812345678", "13812345678"),
    ("0535-6612345", "0535-6612345"), ("05356612345", "0535-6612345"), ("010-62345678", "010-62345678"),
])
def test_a_phone_number_is_normalised(said, phone):
    assert phone_number(said) == phone


@pytest.mark.parametrize("said", ["12345", "1381234567", "23812345678", "电话", "0535-0612345"])
def test_a_malformed_phone_number_is_none(said):
    assert phone_number(said) is None
