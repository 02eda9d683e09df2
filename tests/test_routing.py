"""Routing follows DOMAIN.md's table, uses the place for local complaints, and never
routes a complaint to the body it accuses (回避)."""
import pytest

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
    accused = CAT.find_department(respondent).code
    assert r.lead != accused
    if category != "credit_objection":
        assert accused not in r.co


def test_unknown_category_falls_back_to_other():
    assert route("no_such_thing", catalog=CAT).category == "other"


def test_a_broken_catalog_is_refused_at_load(tmp_path):
    for name in ("departments.yml", "clocks.yml"):
        (tmp_path / name).write_text((CAT_DIR / name).read_text(encoding="utf-8"), encoding="utf-8")
    (tmp_path / "categories.yml").write_text(
        "categories:\n  - {code: x, name: X, lead: nobody, co: [], supervisor: credit}\n", encoding="utf-8"
    )
    with pytest.raises(ValueError, match="nobody"):
        load_catalog(tmp_path)


from intake_store.catalog import DATA_DIR as CAT_DIR  # noqa: E402
