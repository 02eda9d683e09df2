"""Any Chinese public body a citizen names is resolved: to the catalog body when
it really is that body, else to a kind and level that routing can use."""
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from intake_store.bodies import accused_body, bodies_in_text, find_bodies, find_department, resolve, vocabulary
from intake_store.catalog import default_catalog

CAT = default_catalog()


def r(name):
    return resolve(name, CAT)


# ---------------------------------------------------------------- regressions


@pytest.mark.parametrize("name", ["烟台市人民政府", "蓬莱区人民政府", "长安镇人民政府", "人民政府", "县人民政府"])
def test_minzheng_is_never_found_inside_renmin_zhengfu(name):
    assert r(name).department != "civil_affairs"
    assert find_department(name, CAT) is None or find_department(name, CAT).code != "civil_affairs"


def test_the_city_government_is_the_city_government():
    b = r("烟台市人民政府")
    assert (b.kind, b.level, b.place, b.department) == ("government", "市", "烟台市", None)


def test_a_district_court_is_a_court_not_the_district_government():
    b = r("芝罘区人民法院")
    assert (b.kind, b.level, b.place) == ("court", "区县", "芝罘区")
    assert b.department is None
    assert r("芝罘区政府").department == "zhifu"


def test_a_district_finance_bureau_is_not_the_city_finance_bureau():
    b = r("芝罘区财政局")
    assert (b.kind, b.level, b.function, b.place) == ("bureau", "区县", "财政", "芝罘区")
    assert b.department is None and b.function_code == "finance"
    assert r("市财政局").department == r("财政局").department == r("烟台市财政局").department == "finance"
    assert r("山东省烟台市财政局").department == "finance"


@pytest.mark.parametrize("name", ["济南市财政局", "济南财政局", "山东省财政局", "龙口市财政局", "区财政局"])
def test_a_finance_bureau_elsewhere_is_not_yantais(name):
    b = r(name)
    assert b.department is None and b.kind == "bureau" and b.function == "财政"


@pytest.mark.parametrize(
    "name,kind,level,function,place",
    [
        ("蓬莱区人民政府", "government", "区县", None, "蓬莱区"),
        ("长安镇政府", "township", "乡镇街道", None, "长安镇"),
        ("开发区管委会", "zone_committee", "区县", None, ""),
        ("东台高新技术产业开发区管理委员会", "zone_committee", "区县", None, "东台高新技术产业开发区"),
        ("XX县人民法院", "court", "区县", None, "XX县"),
        ("某某街道办", "township", "乡镇街道", None, "某某街道"),
        ("区住建局", "bureau", "区县", "住建", ""),
        ("甘泉县道镇政府", "township", "乡镇街道", None, "甘泉县道镇"),
        ("深泽县铁杆镇张村村委会", "village", "村", None, "深泽县铁杆镇张村"),
        ("宽甸满族自治县长甸镇政府", "township", "乡镇街道", None, "宽甸满族自治县长甸镇"),
        ("永宁县交通运输局", "bureau", "区县", "交通", "永宁县"),
        ("陶圩镇财政所", "bureau", "乡镇街道", "财政", "陶圩镇"),
        ("台江县扶贫开发投资集团有限责任公司", "state_company", "区县", None, "台江县"),
        ("曲靖市沾益区某中心学校", "institution", "区县", None, "曲靖市沾益区"),
        ("哈尔滨市道外区永源镇人民政府", "township", "乡镇街道", None, "哈尔滨市道外区永源镇"),
        ("天门市卢市镇", "township", "乡镇街道", None, "天门市卢市镇"),
        ("西湖一号物业公司", "other", None, None, ""),
    ],
)
def test_bodies_outside_the_catalog_get_kind_level_function_and_place(name, kind, level, function, place):
    b = r(name)
    assert (b.kind, b.level, b.function, b.place) == (kind, level, function, place)
    assert b.department is None


@pytest.mark.parametrize(
    "name,code",
    [
        ("市人社局", "hrss"), ("人社局", "hrss"), ("劳动监察大队", "hrss"), ("发改委", "credit"), ("信用办", "credit"),
        ("市纪委监委", "discipline"), ("中院", "court"), ("烟台市中级人民法院", "court"), ("招商局", "commerce"),
        ("芝罘区政府", "zhifu"), ("芝罘区", "zhifu"), ("龙口市人民政府", "longkou"), ("向阳街道办", "zhifu_xiangyang"),
        ("莱山区黄海路街道办事处", "laishan_huanghailu"), ("烟台市人民政府国有资产监督管理委员会", "sasac"),
        ("12345热线办", "hotline"), ("民政局", "civil_affairs"),
    ],
)
def test_catalog_bodies_resolve_to_themselves(name, code):
    assert r(name).department == code


# ---------------------------------------------------------------- free text


def test_bodies_in_a_narrative_come_in_order_with_spans_and_the_accused_first():
    text = ("我是包工头，2019年给甘泉县道镇蒙家湾村修路，县农业局验收过。"
            "可道镇政府一直拖欠工程款42万元，找了芝罘区财政局也没人管。")
    found = find_bodies(text, CAT)
    assert [b.text for b in found] == ["县农业局", "道镇政府", "芝罘区财政局"]
    assert all(text[b.start:b.end] == b.text for b in found)
    accused = accused_body(text, CAT)
    assert accused.text == "道镇政府" and accused.kind == "township" and "拖" in accused.why
    assert [b.text for b in bodies_in_text(text, CAT)] == ["道镇政府", "县农业局", "芝罘区财政局"]


def test_the_court_that_judged_is_not_the_accused():
    text = "2015年遵义市中级法院判新舟镇政府付我们工程款102万多元，镇政府到现在还是没给。"
    assert accused_body(text, CAT).kind == "township"


def test_the_complainants_own_company_is_not_the_accused():
    text = "我是奉新县沿河建设投资开发有限公司负责人，工程完工后奉新县政府拒不履行仲裁裁决。"
    accused = accused_body(text, CAT)
    assert accused.kind == "government" and accused.place == "奉新县"


# ---------------------------------------------------------------- properties over the catalog

V = vocabulary(CAT)
TERMS = sorted({(t, d.code) for d in CAT.departments.values() for t in (d.name, d.short, *d.aliases)})
# written forms that are whole body names (with a head such as 局, 政府, 法院)
NAMES = [(t, c) for t, c in TERMS if (b := find_bodies(t, CAT)) and b[-1].end == len(t) and b[-1].start == 0]
OTHER_CITIES = ["济南市", "青岛市", "威海市", "潍坊市", "广州市", "甘肃省兰州市", "河南省郑州市", "某市"]
NARRATIVE = st.text(alphabet="我们去年找过这个说了很多次至今没有结果，。请领导督促一下谢谢", max_size=30)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def test_every_catalog_name_is_read_as_a_whole():
    assert len(NAMES) >= 60
    for term, code in NAMES:
        assert r(term).department == code, term


@FAST
@given(st.sampled_from([(t, c) for t, c in NAMES if CAT.departments[c].level == "市"]), st.sampled_from(OTHER_CITIES))
def test_a_city_body_with_another_citys_name_is_not_the_catalog_body(pair, city):
    term, code = pair
    term = term.removeprefix(CAT.city)
    if term.startswith("中共"):
        return
    b = r(city + term)
    assert b.department != code, city + term


@FAST
@given(st.sampled_from(NAMES), NARRATIVE, NARRATIVE)
def test_a_catalog_name_inside_a_narrative_is_found(pair, before, after):
    term, code = pair
    text = before + "，" + term + "拖欠工程款，" + after
    found = [b for b in find_bodies(text, CAT) if b.department == code]
    assert found, text
    assert accused_body(text, CAT).department == code


@FAST
@given(st.sampled_from(TERMS), st.sampled_from(NAMES))
def test_no_alias_resolves_inside_another_bodys_name_to_a_different_body(alias_pair, name_pair):
    alias, alias_code = alias_pair
    name, name_code = name_pair
    if alias not in name or alias_code == name_code:
        return
    codes = {b.department for b in find_bodies(name, CAT)}
    assert alias_code not in codes or name_code in codes, (alias, name)
    assert r(name).department == name_code
