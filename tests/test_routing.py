"""Routing follows DOMAIN.md's table, uses the place for local complaints, and never
routes a complaint to the body it accuses (回避)."""
import pytest

from intake_store.bodies import find_department
from intake_store.catalog import default_catalog, load_catalog
from intake_store.routing import route

CAT = default_catalog()

# DOMAIN.md: category -> lead (主办), assisting (协办), in the default catalog's codes.
DOMAIN_TABLE = {
    "arrears": ("industry", {"finance", "sasac"}),
    "wage_arrears": ("hrss", {"housing"}),
    "investment_promise": ("commerce", {"credit"}),
    "legacy_default": ("credit", {"discipline", "justice"}),
    "procurement": ("finance", {"trading_center"}),
    "ppp": ("finance", {"credit"}),
    "bidding": ("credit", {"finance", "trading_center"}),
    "debt": ("finance", set()),
    "court_judgment": ("court", {"credit"}),
    "approval": ("approval", set()),
    "disclosure": ("gov_services", {"credit", "market", "justice"}),
    "official_misconduct": ("discipline", {"organization", "hrss"}),
    "safety": ("emergency", {"discipline"}),
    "statistics": ("statistics", {"discipline"}),
    "environment": ("environment", set()),
    "property_rights": ("housing", {"natural_resources", "local", "justice"}),
    "credit_objection": ("credit", {"organization", "hrss"}),
    "other": ("hotline", set()),
}


def test_catalog_has_all_19_categories_and_three_levels():
    assert len(CAT.categories) == 19
    assert {d.level for d in CAT.departments.values()} == {"市", "区县", "街道"}
    for d in CAT.departments.values():
        if d.level == "街道":
            assert CAT.departments[d.parent].level == "区县"


@pytest.mark.parametrize("category,expected", DOMAIN_TABLE.items())
def test_default_route_per_category(category, expected):
    r = route(category, catalog=CAT)
    assert (r.lead, set(r.co)) == expected
    assert r.lead_name == CAT.name_of(r.lead)
    assert list(r.co_names) == [CAT.name_of(c) if c != "local" else "属地区县人民政府" for c in r.co]
    assert r.dispatch_lead == r.lead and set(r.dispatch_co) == set(r.co) - {"local"}


def test_township_service_goes_to_the_district_where_it_happened():
    r = route("township_service", place="莱山区黄海路街道", catalog=CAT)
    assert r.lead == "laishan"
    assert r.district_code == "laishan"
    assert "civil_affairs" in r.co


def test_township_service_without_a_known_place_goes_to_the_hotline_for_placement():
    r = route("township_service", place="外地某镇", catalog=CAT)
    assert (r.lead, r.lead_name) == ("local", "某镇所在区县人民政府")
    assert r.dispatch_lead == "hotline"  # the hotline passes it on
    assert any("不在单位目录中" in n for n in r.notes)


def test_local_respondent_brings_its_district_government_in():
    r = route("arrears", respondent="向阳街道办", catalog=CAT)
    assert r.lead == "industry"
    assert "zhifu" in r.co
    assert r.respondent_code == "zhifu_xiangyang"


def test_recusal_when_the_lead_itself_is_accused():
    r = route("wage_arrears", respondent="人社局", catalog=CAT)
    assert r.lead == "credit"  # the category's supervisor takes over
    assert "hrss" not in r.co
    assert any("回避" in n for n in r.notes)


def test_recusal_for_misconduct_by_the_discipline_body_goes_to_its_supervisor():
    # 纪委监委 is both lead and supervisor of misconduct: it cannot judge itself.
    r = route("official_misconduct", respondent="市纪委监委", catalog=CAT)
    assert r.lead != "discipline"
    assert "discipline" not in r.co


def test_accused_district_government_never_assists_in_its_own_case():
    r = route("property_rights", respondent="芝罘区政府", place="芝罘区", catalog=CAT)
    assert "zhifu" not in (r.lead, *r.co)


def test_credit_objection_brings_the_body_that_made_the_record():
    r = route("credit_objection", respondent="市场监管局", catalog=CAT)
    assert r.lead == "credit"
    assert "market" in r.co  # 谁认定谁修复


@pytest.mark.parametrize("category", list(DOMAIN_TABLE))
@pytest.mark.parametrize("respondent", ["人社局", "财政局", "发改委", "芝罘区政府", "向阳街道办", "市纪委监委", "工信局", "12345热线办"])
def test_never_routed_to_the_accused(category, respondent):
    r = route(category, respondent=respondent, catalog=CAT)
    accused = find_department(respondent, CAT).code
    assert r.lead != accused
    if category != "credit_objection":
        assert accused not in r.co


def test_unknown_category_falls_back_to_other():
    assert route("no_such_thing", catalog=CAT).category == "other"


def test_a_broken_catalog_is_refused_at_load(tmp_path):
    for name in ("departments.yml", "clocks.yml"):
        (tmp_path / name).write_text((CAT_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "categories.yml").write_text(
        "categories:\n  - {code: x, lead: nobody, co: [], supervisor: credit}\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="nobody"):
        load_catalog(tmp_path)


from intake_store.catalog import DATA_DIR as CAT_DIR  # noqa: E402

# ---------------------------------------------------------------- cases a careful 派单员 would route so
# (category, respondent as written, place, text, expected lead, bodies that must assist, bodies that must not take part)
CASES = [
    ("township_service", "长安镇人民政府", None, None, "local", {"civil_affairs"}, set()),
    ("township_service", "初家街道办", None, None, "laishan", {"civil_affairs"}, {"laishan_chujia"}),
    ("township_service", "蓬莱区人民政府", None, None, "credit", {"civil_affairs"}, {"local"}),
    ("township_service", "芝罘区政府", None, None, "credit", {"civil_affairs"}, {"zhifu"}),
    ("arrears", "甘泉县道镇政府", None, None, "industry", {"finance", "sasac", "local"}, set()),
    ("arrears", "深泽县铁杆镇张村村委会", None, None, "industry", {"finance", "local"}, set()),
    ("arrears", "龙山县安达交通建设投资有限责任公司", None, None, "industry", {"sasac", "finance"}, set()),
    ("arrears", "芝罘区财政局", None, None, "industry", {"finance", "zhifu"}, set()),
    ("arrears", "财政局", None, None, "industry", {"sasac"}, {"finance"}),
    ("wage_arrears", "芝罘区人社局", None, None, "hrss", {"housing", "zhifu"}, set()),
    ("wage_arrears", "市人社局", None, None, "credit", {"housing"}, {"hrss"}),
    ("wage_arrears", "宁强县大安镇政府", None, None, "hrss", {"housing", "local"}, set()),
    ("court_judgment", "长甸镇政府", None, None, "court", {"credit", "local"}, set()),
    ("court_judgment", "奉新县人民政府", None, None, "court", {"credit"}, {"local"}),
    ("court_judgment", "芝罘区人民法院", None, None, "court", {"credit"}, set()),
    # 回避: the category's supervisor leads, and that is the 信用办 unless it is misconduct (DOMAIN.md).
    ("court_judgment", "烟台市中级人民法院", None, None, "credit", set(), {"court"}),
    ("investment_promise", "灌云经济开发区管委会", None, None, "commerce", {"credit"}, {"local"}),
    ("investment_promise", "宝鸡高新汽车工业园发展有限公司", None, None, "commerce", {"credit", "sasac"}, set()),
    ("investment_promise", "招商局", None, None, "credit", set(), {"commerce"}),
    ("procurement", "济南市财政局", None, None, "finance", {"trading_center"}, set()),
    ("procurement", "烟台市财政局", None, None, "credit", {"trading_center"}, {"finance"}),
    ("ppp", "琼中黎族苗族自治县水务局", None, None, "finance", {"credit", "local"}, set()),
    ("property_rights", "新安县磁涧镇人民政府", None, None, "housing", {"natural_resources", "local"}, set()),
    ("property_rights", "涵江区人民政府", None, None, "housing", {"natural_resources", "justice"}, {"local"}),
    ("property_rights", None, "莱山区", None, "housing", {"natural_resources", "laishan"}, set()),
    ("official_misconduct", "前进村村委会", None, None, "discipline", {"organization", "local"}, set()),
    ("environment", "天门市环境保护局", None, None, "environment", set(), set()),
    ("environment", "烟台市生态环境局", None, None, "credit", set(), {"environment"}),
    ("debt", "横县陶圩镇人民政府、陶圩镇财政所", None, None, "finance", {"local"}, set()),
    ("credit_objection", "市场监管局", None, None, "credit", {"market"}, set()),
    ("statistics", "汉川市脉旺镇人民政府", None, None, "statistics", {"discipline", "local"}, set()),
    # no respondent field: the accused is read from the complaint
    ("arrears", None, None, "我们给道镇修路垫了一百多万，验收合格三年了，甘泉县道镇政府一直拖欠工程款不给。",
     "industry", {"finance", "local"}, set()),
    ("wage_arrears", None, None, "【府谷县政府拖欠野大公路工程款】县政府一直拖着，民工工资欠了四年多。",
     "hrss", {"housing"}, {"local"}),
    ("investment_promise", None, None, "当初招商局答应的厂房补贴到现在都没兑现，打电话也没人管。",
     "credit", set(), {"commerce"}),
]


@pytest.mark.parametrize("category,respondent,place,text,lead,assisting,excluded", CASES)
def test_route_by_category_and_the_kind_of_respondent(category, respondent, place, text, lead, assisting, excluded):
    r = route(category, respondent=respondent, place=place, text=text, catalog=CAT)
    assert r.lead == lead, r.notes
    assert assisting <= set(r.co), (r.co, r.notes)
    assert not excluded & {r.lead, *r.co}, (r.co, r.notes)
    assert all(c in CAT.departments or c == "local" for c in (r.lead, *r.co))
    if r.lead != CAT.categories[category].lead or set(r.co) != set(CAT.categories[category].co):
        assert r.notes  # every departure from the default says why
    assert r.dispatch_lead in CAT.departments and all(c in CAT.departments for c in r.dispatch_co)


def test_local_is_named_after_the_place():
    r = route("arrears", respondent="甘泉县道镇政府", catalog=CAT)
    assert dict(zip(r.co, r.co_names))["local"] == "甘泉县人民政府"
    r = route("township_service", respondent="长安镇政府", catalog=CAT)
    assert r.lead_name == "长安镇所在区县人民政府" and r.dispatch_lead == "hotline"
    assert any("不在单位目录中" in n for n in r.notes)


def test_a_basic_court_is_handled_by_its_superior():
    r = route("official_misconduct", respondent="芝罘区人民法院", catalog=CAT)
    assert "court" in r.co
    assert any("上级法院" in n for n in r.notes)


def test_a_state_owned_platform_company_brings_in_the_sasac():
    r = route("investment_promise", respondent="某县城投公司", catalog=CAT)
    assert "sasac" in r.co and any("国资委" in n for n in r.notes)
