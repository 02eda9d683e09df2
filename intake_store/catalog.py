"""The department catalog, the category table and the clock rules, as plain data.

Loaded from the YAML files in `intake_store/data/` (a deployment edits those,
not the code). The back office mirrors them into its tables with
`hotline load-defaults`; everything that decides (routing, clocks) reads a
`Catalog` object, whichever source it came from.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

DATA_DIR = Path(__file__).resolve().parent / "data"
LEVELS = ("市", "区县", "街道")
# In the routing table: "the 区县人民政府 where it happened" (a catalog 区县 when
# known, else named from the place, e.g. 甘泉县人民政府).
LOCAL_GOVERNMENT = "local"


@dataclass(frozen=True)
class Department:
    code: str
    name: str
    short: str
    level: str
    parent: str | None = None
    supervisor: str | None = None
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True)
class ClockRule:
    name: str
    label: str
    days: int
    kind: str = "working"  # working | calendar | hours
    starts: str = "dispatch"  # submit | dispatch | accept | reply
    urgent_hours: float | None = None
    complex_days: int | None = None
    max_days: int | None = None  # the longest the clock may run, extensions included


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    lead: str
    co: tuple[str, ...]
    supervisor: str
    local: bool = False
    complex: bool = False
    respondent_assists: bool = False
    clock_overrides: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class RespondentRule:
    """Bodies that join a case because of who is accused (kind and level of
    a body outside the catalog, or a catalog body of that kind)."""

    kind: str
    level: str | None
    co: tuple[str, ...]

    def applies(self, kind: str, level: str | None) -> bool:
        return self.kind == kind and (self.level is None or self.level == level)


@dataclass(frozen=True)
class Catalog:
    city: str
    departments: dict[str, Department]
    categories: dict[str, Category]
    clocks: dict[str, ClockRule]
    max_extensions: int = 1
    auto_dispatch_min_confidence: float = 0.8
    respondent_rules: tuple[RespondentRule, ...] = ()

    def department(self, code: str) -> Department:
        return self.departments[code]

    def name_of(self, code: str) -> str:
        return self.departments[code].name

    def clock_rule(self, clock: str, category: str | None) -> ClockRule:
        """The rule for one clock, with the category's overrides applied."""
        base = self.clocks[clock]
        cat = self.categories.get(category or "")
        override = (cat.clock_overrides.get(clock) if cat else None) or {}
        if not override:
            return base
        merged = {**base.__dict__, **override}
        return ClockRule(**merged)

    def district_of(self, dept: Department) -> Department | None:
        """The 区县 a local body belongs to (itself for a 区县)."""
        if dept.level == "区县":
            return dept
        if dept.level == "街道" and dept.parent:
            return self.departments.get(dept.parent)
        return None


def _load_yaml(path: Path) -> dict:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


def load_catalog(data_dir: Path = DATA_DIR) -> Catalog:
    """Read the catalog from YAML and check that every code it uses exists."""
    depts_doc = _load_yaml(data_dir / "departments.yml")
    cats_doc = _load_yaml(data_dir / "categories.yml")
    clocks_doc = _load_yaml(data_dir / "clocks.yml")

    departments = {}
    for d in depts_doc["departments"]:
        departments[d["code"]] = Department(
            code=d["code"],
            name=d["name"],
            short=d.get("short") or d["name"],
            level=d["level"],
            parent=d.get("parent"),
            supervisor=d.get("supervisor"),
            aliases=tuple(str(a) for a in d.get("aliases") or ()),
        )
    categories = {}
    for c in cats_doc["categories"]:
        categories[c["code"]] = Category(
            code=c["code"],
            name=c["name"],
            lead=c["lead"],
            co=tuple(c.get("co") or ()),
            supervisor=c["supervisor"],
            local=bool(c.get("local")),
            complex=bool(c.get("complex")),
            respondent_assists=bool(c.get("respondent_assists")),
            clock_overrides=dict(c.get("clocks") or {}),
        )
    clocks = {
        name: ClockRule(name=name, **rule) for name, rule in clocks_doc["clocks"].items()
    }
    catalog = Catalog(
        city=depts_doc.get("city", ""),
        departments=departments,
        categories=categories,
        clocks=clocks,
        max_extensions=int(clocks_doc.get("max_extensions", 1)),
        auto_dispatch_min_confidence=float(clocks_doc.get("auto_dispatch_min_confidence", 0.8)),
        respondent_rules=_respondent_rules(cats_doc),
    )
    check_catalog(catalog)
    return catalog


def _respondent_rules(doc: dict) -> tuple[RespondentRule, ...]:
    return tuple(
        RespondentRule(kind=r["kind"], level=r.get("level"), co=tuple(r.get("co") or ()))
        for r in doc.get("respondents") or ()
    )


def check_catalog(catalog: Catalog) -> None:
    """Refuse a catalog whose codes point nowhere: a typo in a data file must
    fail at start-up, not when a citizen's ticket is routed."""
    known = set(catalog.departments)
    problems = []
    for d in catalog.departments.values():
        if d.level not in LEVELS:
            problems.append(f"department {d.code}: level {d.level!r} is not one of {LEVELS}")
        for ref in (d.parent, d.supervisor):
            if ref and ref not in known:
                problems.append(f"department {d.code}: unknown department {ref!r}")
    for c in catalog.categories.values():
        for ref in (c.lead, *c.co, c.supervisor):
            if ref != LOCAL_GOVERNMENT and ref not in known:
                problems.append(f"category {c.code}: unknown department {ref!r}")
        for clock in c.clock_overrides:
            if clock not in catalog.clocks:
                problems.append(f"category {c.code}: unknown clock {clock!r}")
    for r in catalog.respondent_rules:
        for ref in r.co:
            if ref != LOCAL_GOVERNMENT and ref not in known:
                problems.append(f"respondent rule {r.kind}: unknown department {ref!r}")
    if problems:
        raise ValueError("catalog data is inconsistent:\n" + "\n".join(problems))


@lru_cache(maxsize=1)
def default_catalog() -> Catalog:
    return load_catalog()
