"""Routing: which bodies handle a complaint (主办 lead, 协办 assisting).

A plain function over the catalog: category → default lead and assisting
bodies, refined by where it happened and by whom it accuses. 回避 is applied
last, so no refinement can route a complaint to the body it accuses.
"""
from __future__ import annotations

from dataclasses import dataclass

from .catalog import LOCAL_GOVERNMENT, Catalog, Department, default_catalog

FALLBACK_CATEGORY = "other"


@dataclass(frozen=True)
class Route:
    category: str
    lead: str
    lead_name: str
    co: tuple[str, ...]
    co_names: tuple[str, ...]
    respondent_code: str | None
    district_code: str | None
    notes: tuple[str, ...]  # why the route differs from the category default, in Chinese

    def as_dict(self) -> dict:
        return {
            "category": self.category,
            "lead": self.lead,
            "lead_name": self.lead_name,
            "co": list(self.co),
            "co_names": list(self.co_names),
        }


def route(
    category: str | None,
    respondent: str | None = None,
    place: str | None = None,
    catalog: Catalog | None = None,
) -> Route:
    catalog = catalog or default_catalog()
    cat = catalog.categories.get(category or "") or catalog.categories[FALLBACK_CATEGORY]
    accused = catalog.find_department(respondent)
    district = _district(catalog, accused, place)
    notes: list[str] = []

    lead = cat.lead
    co = list(cat.co)
    if lead == LOCAL_GOVERNMENT:
        if district:
            lead = district.code
            notes.append(f"属地办理：由{district.short}主办")
        else:
            lead = catalog.categories[FALLBACK_CATEGORY].lead
            notes.append("发生地不明，由热线办核实属地后转派")
    co = [district.code if c == LOCAL_GOVERNMENT else c for c in co if c != LOCAL_GOVERNMENT or district]

    if accused and accused.level != "市" and district and district.code not in (lead, *co):
        # A local respondent: its district government takes part in handling.
        co.append(district.code)
        notes.append(f"被投诉单位在{district.short}辖区，属地政府协办")
    if accused and cat.respondent_assists and accused.code not in co:
        co.append(accused.code)
        notes.append(f"谁认定谁修复：{accused.short}协办")

    # 回避: the accused never leads; the category's supervisor takes over.
    if accused and lead == accused.code:
        lead = _supervisor_for(catalog, cat.supervisor, accused)
        notes.append(f"回避：不由被投诉单位{accused.short}主办，改由{catalog.departments[lead].short}主办")
    if accused and not cat.respondent_assists and accused.code in co:
        co.remove(accused.code)
        notes.append(f"回避：{accused.short}不参与办理")
    co = [c for i, c in enumerate(co) if c != lead and c not in co[:i]]

    return Route(
        category=cat.code,
        lead=lead,
        lead_name=catalog.name_of(lead),
        co=tuple(co),
        co_names=tuple(catalog.name_of(c) for c in co),
        respondent_code=accused.code if accused else None,
        district_code=district.code if district else None,
        notes=tuple(notes),
    )


def _district(catalog: Catalog, accused: Department | None, place: str | None) -> Department | None:
    """The 区县 where it happened: the accused's own district, else the place named."""
    if accused:
        own = catalog.district_of(accused)
        if own:
            return own
    for body in catalog.local_bodies(place):
        d = catalog.district_of(body)
        if d:
            return d
    return None


def _supervisor_for(catalog: Catalog, supervisor: str, accused: Department) -> str:
    """The category's supervisor, or the accused body's own supervisor when
    the category's supervisor is the accused itself."""
    if supervisor != accused.code:
        return supervisor
    if accused.supervisor and accused.supervisor != accused.code:
        return accused.supervisor
    # Nobody in the city catalog stands above it: the hotline office takes it
    # and reports it upward.
    return "hotline"
