"""Routing: which bodies handle a complaint (主办 lead, 协办 assisting).

A plain function over the catalog: category → default lead and assisting
bodies, refined by where it happened and by whom it accuses — its kind and
level when it is not a catalog body (a township government brings in its
区县人民政府, a state-owned company the 国资委, a basic court its superior
court). 回避 is applied last, so no refinement can route a complaint to the
body it accuses. Every change from the category's default is explained in
`notes`.

`lead` and `co` are catalog codes or `local`: the 区县人民政府 where it
happened when the catalog does not have it (`lead_name` then names it, e.g.
甘泉县人民政府). Dispatching needs catalog bodies, so `dispatch_lead` and
`dispatch_co` hand a `local` lead to the hotline office, which passes the
case on.
"""
from __future__ import annotations

from dataclasses import dataclass

from vocabulary.categories import OTHER as ORDINARY  # bodies.OTHER is a kind of body

from .bodies import (
    GOVERNMENT,
    OTHER,
    Body,
    accused_body,
    catalog_place,
    catalog_place_in,
    district_name,
    resolve,
)
from .catalog import LOCAL_GOVERNMENT, Catalog, Department, default_catalog

LOCAL = LOCAL_GOVERNMENT
UNKNOWN_LOCAL_NAME = "属地区县人民政府"


@dataclass(frozen=True)
class Route:
    category: str
    lead: str  # a catalog code or "local"
    lead_name: str
    co: tuple[str, ...]  # catalog codes or "local"
    co_names: tuple[str, ...]
    respondent_code: str | None
    district_code: str | None
    notes: tuple[str, ...]  # why the route differs from the category default, in Chinese
    dispatch_lead: str = ""  # catalog codes only: what a dispatch uses
    dispatch_co: tuple[str, ...] = ()
    respondent: Body | None = None  # the accused body as resolved


def route(
    category: str | None,
    respondent: str | None = None,
    place: str | None = None,
    catalog: Catalog | None = None,
    text: str | None = None,
) -> Route:
    """Route a complaint. `respondent` is the accused body as the citizen wrote
    it; without one, the accused is looked for in the complaint's `text`."""
    catalog = catalog or default_catalog()
    cat = catalog.categories.get(category or "") or catalog.categories[ORDINARY]
    notes: list[str] = []

    accused = resolve(respondent, catalog) if respondent and respondent.strip() else None
    if accused is None and text:
        accused = accused_body(text, catalog)
        if accused:
            notes.append(f"被投诉单位取自投诉内容：{accused.text}（{accused.why}）")
    accused_dept = catalog.departments.get(accused.department) if accused and accused.department else None
    district = _district(catalog, accused, accused_dept, place)
    local_name = district.name if district else _local_name(catalog, accused, place)
    # an accused 区县人民政府 outside the catalog is itself "the local government"
    accused_is_local = bool(
        accused and not accused_dept and accused.kind == GOVERNMENT and accused.level == "区县"
    )

    lead = cat.lead
    co = list(cat.co)
    if lead == LOCAL:
        lead = district.code if district else LOCAL
        notes.append(f"属地办理：由{district.short if district else local_name}主办")

    # who is accused brings bodies in: its 区县 government, 国资委, the superior court
    if accused:
        kind = _kind(catalog, accused, accused_dept)
        for rule in catalog.respondent_rules:
            if not rule.applies(kind, accused.level):
                continue
            for code in rule.co:
                code = district.code if code == LOCAL and district else code
                if code not in (lead, *co):
                    co.append(code)
                    notes.append(_joins_because(catalog, code, accused, local_name))
        if cat.respondent_assists and accused_dept and accused_dept.code not in co:
            co.append(accused_dept.code)
            notes.append(f"谁认定谁修复：{accused_dept.short}协办")
    if LOCAL in co and district:
        co = [district.code if c == LOCAL else c for c in co]
        notes.append(f"属地协办：{district.short}")

    # 回避: the accused never leads and never assists (except 谁认定谁修复)
    accused_code = accused_dept.code if accused_dept else None
    if accused and (lead == accused_code or (lead == LOCAL and accused_is_local)):
        was = accused_dept.short if accused_dept else accused.text
        lead = _supervisor_for(catalog, cat.supervisor, accused_dept)
        notes.append(f"回避：不由被投诉单位{was}主办，改由{catalog.departments[lead].short}主办")
    for code in list(co):
        if accused_dept and code == accused_code and not cat.respondent_assists:
            co.remove(code)
            notes.append(f"回避：{accused_dept.short}不参与办理")
        elif accused and code == LOCAL and accused_is_local:
            co.remove(code)
            notes.append(f"回避：{accused.text}不参与办理")
    if accused and accused.kind == "court" and accused_code is None and "court" in (lead, *co):
        notes.append(f"被投诉的{accused.text}由其上级法院{catalog.departments['court'].short}办理")
    co = [c for i, c in enumerate(co) if c != lead and c not in co[:i]]

    name = lambda code: local_name if code == LOCAL else catalog.name_of(code)  # noqa: E731
    dispatch_lead = lead
    if lead == LOCAL:
        dispatch_lead = catalog.categories[ORDINARY].lead
        notes.append(f"{local_name}不在单位目录中：由{catalog.departments[dispatch_lead].short}转交")
    dispatch_co = tuple(c for c in co if c != LOCAL and c != dispatch_lead)
    if LOCAL in co:
        notes.append(f"{local_name}不在单位目录中：协办由热线办转告")
    return Route(
        category=cat.code,
        lead=lead,
        lead_name=name(lead),
        co=tuple(co),
        co_names=tuple(name(c) for c in co),
        respondent_code=accused_code,
        district_code=district.code if district else None,
        notes=tuple(notes),
        dispatch_lead=dispatch_lead,
        dispatch_co=dispatch_co,
        respondent=accused,
    )


def _kind(catalog: Catalog, accused: Body, dept: Department | None) -> str:
    """A catalog 街道 is a township government like any other for the rules."""
    if dept and dept.level == "街道":
        return "township"
    return accused.kind


def _district(catalog: Catalog, accused: Body | None, dept: Department | None,
              place: str | None) -> Department | None:
    """The catalog 区县 where it happened: the accused's own, else the place named."""
    if dept:
        own = catalog.district_of(dept)
        if own:
            return own
        if dept.level == "市":
            return _district_of_code(catalog, catalog_place_in(place, catalog))
    if accused and accused.places:
        code = catalog_place([p.name for p in accused.places if not p.bare], catalog)
        if code:
            return _district_of_code(catalog, code)
        if any(not p.bare and p.level in ("市", "区县", "省") for p in accused.places):
            return None  # a body of another place: the catalog's districts do not apply
    return _district_of_code(catalog, catalog_place_in(place, catalog))


def _district_of_code(catalog: Catalog, code: str | None) -> Department | None:
    return catalog.district_of(catalog.departments[code]) if code else None


def _local_name(catalog: Catalog, accused: Body | None, place: str | None) -> str:
    """The 区县人民政府 outside the catalog, by name when the text gives it."""
    for body in (accused, resolve(place, catalog) if place else None):
        if body is None or body.kind == OTHER and not body.places:
            continue
        name = district_name(body)
        if name:
            return name + "人民政府"
        town = body.place_at("乡镇街道")
        if town:
            return f"{town.name}所在区县人民政府"
    return UNKNOWN_LOCAL_NAME


def _joins_because(catalog: Catalog, code: str, accused: Body, local_name: str) -> str:
    who = catalog.departments[code].short if code in catalog.departments else local_name
    return f"被投诉单位{accused.text}是{accused.kind_name}（{accused.level or '层级不明'}）：{who}协办"


def _supervisor_for(catalog: Catalog, supervisor: str, accused: Department | None) -> str:
    """The category's supervisor, or the accused body's own supervisor when
    the category's supervisor is the accused itself."""
    if accused is None or supervisor != accused.code:
        return supervisor
    if accused.supervisor and accused.supervisor != accused.code:
        return accused.supervisor
    # Nobody in the city catalog stands above it: the hotline office takes it
    # and reports it upward.
    return "hotline"
