"""Which public body a citizen names: a catalog body, or a kind and level.

A Chinese body name is read as places + function + head: 蓬莱区 + 人民政府,
芝罘区 + 财政 + 局, 甘泉县 + 道镇 + 政府, 深泽县 + 铁杆镇 + 张村 + 村委会. The
head (局, 政府, 法院, 村委会 …) is found first and the name is read backwards
from it, so an alias can only match as the function of a whole name: 民政 is
never found inside 人民政府, 芝罘区人民法院 is a court, and 芝罘区财政局 is a
district bureau, not the city 财政局.

A name is the catalog body only when its function and head are that body's
and its places are that body's own (the city's bodies: no place, 市, or the
city itself; 济南市财政局 is not Yantai's). Anything else is described by kind,
level, function and places, which routing uses to bring in the local
government.

The vocabulary (heads, place suffixes, functions, cue words) is data in
`data/bodies.yml`; this module is the grammar over it.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path

import yaml

from .catalog import Catalog, Department

DATA_FILE = Path(__file__).resolve().parent / "data" / "bodies.yml"

# kind codes; the Chinese words that make them are in data/bodies.yml
GOVERNMENT = "government"  # 省/市/区县人民政府
ZONE = "zone_committee"  # 开发区管委会
BUREAU = "bureau"  # 局、委、办 … with a function
COURT = "court"
PROCURATORATE = "procuratorate"
TOWNSHIP = "township"  # 乡镇人民政府、街道办事处
VILLAGE = "village"  # 村（居）民委员会
STATE_COMPANY = "state_company"  # 城投、平台公司
INSTITUTION = "institution"  # 学校、医院 …
OTHER = "other"  # private firms, 物业 …
COMPANY = "company"  # a firm, before deciding whether it is state-owned

KIND_NAMES = {
    GOVERNMENT: "人民政府", ZONE: "开发区管委会", BUREAU: "政府部门", COURT: "法院",
    PROCURATORATE: "检察院", TOWNSHIP: "乡镇政府/街道办事处", VILLAGE: "村（居）委会",
    STATE_COMPANY: "国有企业", INSTITUTION: "事业单位", OTHER: "其他",
}
# levels, top down; "zone" places (开发区) count as 区县 for a body's level
LEVELS = ("国", "省", "市", "区县", "乡镇街道", "村")

_SENTENCE_END = "。！？!?；;\n"
_CLAUSE_END = _SENTENCE_END + "，,、：:（）()【】[]“”\"'《》"
_CJK = re.compile(r"[\u4e00-\u9fff]")


@dataclass(frozen=True)
class Place:
    name: str  # as written: 芝罘区, 烟台, 道镇; for a bare level word: 市, 区, 当地
    level: str | None  # 省 市 区县 乡镇街道 村 zone; None when unknown
    bare: bool = False  # a level word without a name ("市人社局")

    @property
    def key(self) -> str:
        """The name without its level suffix, to compare 烟台 with 烟台市."""
        return _strip_suffix(self.name)


@dataclass(frozen=True)
class Body:
    """A public body as the text names it."""

    text: str
    kind: str
    level: str | None = None
    places: tuple[Place, ...] = ()
    function: str | None = None  # 财政, 人社, 住建 … for a bureau
    department: str | None = None  # the catalog body when it is that body
    function_code: str | None = None  # the catalog body of the same function (finance for 芝罘区财政局)
    start: int = 0
    end: int = 0
    why: str = ""  # for the accused body: the rule that picked it

    @property
    def place(self) -> str:
        """The places named, joined: 甘泉县道镇."""
        return "".join(p.name for p in self.places if not p.bare)

    def place_at(self, level: str) -> Place | None:
        for p in reversed(self.places):
            if p.level == level and not p.bare:
                return p
        return None

    @property
    def kind_name(self) -> str:
        return KIND_NAMES.get(self.kind, self.kind)


@dataclass(frozen=True)
class _Head:
    word: str
    kind: str
    level: str | None
    needs: str | None  # known | name | place

    @property
    def cls(self) -> str:
        return _HEAD_CLASS.get(self.word, self.word)


# Heads that mean the same for telling catalog bodies apart.
_HEAD_CLASS = {
    "委员会": "委", "办公室": "办", "人民政府": "政府", "人民法院": "法院",
    "中级人民法院": "中院", "中级法院": "中院", "管理委员会": "管委会",
    "村民委员会": "村委会", "村委": "村委会", "居民委员会": "居委会",
}


def _strip_suffix(name: str) -> str:
    for s in ("特别行政区", "自治区", "自治州", "自治县", "自治旗", "街道", "社区", "地区",
              "省", "市", "州", "盟", "县", "区", "旗", "镇", "乡", "村"):
        if name.endswith(s) and len(name) - len(s) >= 2:
            return name[: -len(s)]
    return name


@dataclass
class Vocabulary:
    """The words of data/bodies.yml plus what the catalog adds (its places and aliases)."""

    heads: list[_Head]
    head_re: re.Pattern
    suffixes: list[tuple[str, str]]  # (suffix, level), longest first
    level_words: dict[str, str | None]
    provinces: set[str]
    municipalities: set[str]
    variants: dict[str, str]  # written function → canonical function
    variant_list: list[str]  # longest first
    stop: set[str]
    not_places: set[str]
    not_place_endings: set[str]
    accusation_cues: list[str]
    complaint_cues: list[str]
    self_cues: list[str]
    overseers: set[str]  # catalog codes of bodies complaints are taken to (纪委监委)
    state_markers: list[str]
    institution_markers: list[str]
    known_places: dict[str, str]  # name (with and without suffix) → level
    not_followed_by: dict[str, tuple[str, ...]]
    province_of_catalog: str
    # catalog
    signatures: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (function, head class) → codes
    function_codes: dict[str, str] = field(default_factory=dict)  # function → code, when only one body has it
    exact: dict[str, str] = field(default_factory=dict)  # every name/short/alias → code
    chains: dict[str, tuple[str, ...]] = field(default_factory=dict)  # code → place keys, city first
    own_place: dict[str, str | None] = field(default_factory=dict)  # code → its most specific place key
    levels: dict[str, str] = field(default_factory=dict)  # code → level as bodies.LEVELS
    place_codes: dict[str, str] = field(default_factory=dict)  # 芝罘区, 芝罘, 向阳街道 → the catalog body of that place


def _load_data(path: Path = DATA_FILE) -> dict:
    with path.open(encoding="utf-8") as f:
        return yaml.safe_load(f) or {}


_VOCABULARIES: dict[int, tuple[object, Vocabulary]] = {}


def vocabulary(catalog: Catalog) -> Vocabulary:
    """The vocabulary for one catalog (built once per catalog object)."""
    held = _VOCABULARIES.get(id(catalog))
    if held is None or held[0] is not catalog:
        held = (catalog, _build(catalog, _data()))
        _VOCABULARIES[id(catalog)] = held
    return held[1]


@lru_cache(maxsize=1)
def _data() -> dict:
    return _load_data()


def _build(catalog: Catalog, data: dict) -> Vocabulary:
    heads = sorted(
        (_Head(h["head"], h["kind"], h.get("level"), h.get("needs")) for h in data["heads"]),
        key=lambda h: -len(h.word),
    )
    variants: dict[str, str] = {}
    for canonical, words in (data.get("functions") or {}).items():
        for w in words:
            variants.setdefault(str(w), str(canonical))
    provinces = set(data.get("provinces") or [])
    known: dict[str, str] = {}
    for p in provinces:
        known[p] = "省"
    for name in data.get("long_places") or []:
        level = "区县" if name.endswith("旗") else "市"
        known[name] = level
        if level == "市":
            known[name + "市"] = level
    province = str(data.get("province") or "")
    if province:
        known[province] = "省"
        known[_strip_suffix(province)] = "省"
    v = Vocabulary(
        heads=heads,
        head_re=re.compile("|".join(re.escape(h.word) for h in heads)),
        suffixes=sorted(((s["suffix"], s["level"]) for s in data["place_suffixes"]), key=lambda s: -len(s[0])),
        level_words=dict(data.get("level_words") or {}),
        provinces=provinces,
        municipalities=set(data.get("municipalities") or []),
        variants=variants,
        variant_list=[],
        stop=set(str(data.get("stop_chars") or "")),
        not_places=set(data.get("not_places") or []),
        not_place_endings=set(data.get("not_place_endings") or []),
        accusation_cues=sorted(data.get("accusation_cues") or [], key=len, reverse=True),
        complaint_cues=list(data.get("complaint_cues") or []),
        self_cues=list(data.get("self_cues") or []),
        overseers=set(data.get("overseers") or []),
        state_markers=list(data.get("state_company_markers") or []),
        institution_markers=list(data.get("institution_markers") or []),
        known_places=known,
        not_followed_by={k: tuple(w) for k, w in (data.get("not_followed_by") or {}).items()},
        province_of_catalog=province,
    )
    _add_catalog(v, catalog)
    v.variant_list = sorted(v.variants, key=len, reverse=True)
    return v


def _catalog_level(level: str) -> str:
    return {"街道": "乡镇街道"}.get(level, level)


def _own_place(dept: Department) -> str | None:
    """The place a 区县/街道 body is named after: 芝罘区人民政府 → 芝罘区."""
    for head in ("人民政府", "办事处", "政府"):
        if dept.short.endswith(head) and len(dept.short) > len(head):
            return dept.short[: -len(head)]
    return None


def _add_catalog(v: Vocabulary, catalog: Catalog) -> None:
    city = catalog.city
    if city:
        v.known_places[city] = "市"
        v.known_places[_strip_suffix(city)] = "市"
    own: dict[str, str | None] = {}
    for d in catalog.departments.values():
        place = _own_place(d) if d.level != "市" else None
        own[d.code] = place
        if place:
            level = _catalog_level(d.level)
            v.known_places[place] = level
            v.place_codes[place] = d.code
            if d.level == "区县":
                v.known_places.setdefault(_strip_suffix(place), level)
                v.place_codes.setdefault(_strip_suffix(place), d.code)
    for d in catalog.departments.values():
        chain = [_strip_suffix(city)] if city else []
        parent = catalog.departments.get(d.parent or "")
        if parent and own.get(parent.code):
            chain.append(_strip_suffix(own[parent.code]))
        if own[d.code]:
            chain.append(_strip_suffix(own[d.code]))
        v.chains[d.code] = tuple(chain)
        v.own_place[d.code] = chain[-1] if chain else None
        v.levels[d.code] = _catalog_level(d.level)
    # every way the catalog writes a body teaches a function and a signature
    stems_by_code: dict[str, set[str]] = {}
    for d in catalog.departments.values():
        for term in (d.name, d.short, *d.aliases):
            v.exact.setdefault(term, d.code)
            stem, head = _split_catalog_term(v, term)
            if head is None:
                continue
            canonical = v.variants.get(stem, stem)
            if stem and stem not in v.variants:
                v.variants[stem] = canonical
            codes = v.signatures.setdefault((canonical, head.cls), [])
            if d.code not in codes:
                codes.append(d.code)
            if canonical:
                stems_by_code.setdefault(canonical, set()).add(d.code)
    v.function_codes = {f: next(iter(codes)) for f, codes in stems_by_code.items() if len(codes) == 1}


def _split_catalog_term(v: Vocabulary, term: str) -> tuple[str, _Head | None]:
    """烟台市发展和改革委员会（社会信用体系建设办公室） → (发展和改革, 委员会)."""
    t = re.sub(r"[（(].*?[)）]", "", term).strip()
    t = t.split()[0] if t.split() else t
    t = t.removeprefix("中共")
    changed = True
    while changed:
        changed = False
        for place in sorted(v.known_places, key=len, reverse=True):
            if t.startswith(place) and len(t) > len(place):
                t, changed = t[len(place):], True
                break
    t = t.removeprefix("人民政府") if not t == "人民政府" else t
    for head in v.heads:
        if t.endswith(head.word):
            return t[: -len(head.word)], head
    return t, None


# ---------------------------------------------------------------- reading a name backwards


def _name_char(v: Vocabulary, ch: str) -> bool:
    return bool(_CJK.match(ch) or ch in "XxＸｘ") and ch not in v.stop


class _Reader:
    """Reads one body name backwards from its head."""

    def __init__(self, v: Vocabulary, text: str, limit: int):
        self.v, self.text, self.limit = v, text, limit

    def ends(self, word: str, pos: int) -> bool:
        return pos - len(word) >= self.limit and self.text.startswith(word, pos - len(word))

    def function_before(self, pos: int) -> str | None:
        for w in self.v.variant_list:
            if self.ends(w, pos):
                return w
        return None

    def known_place_before(self, pos: int) -> str | None:
        best = None
        for name in self.v.known_places:
            if self.ends(name, pos) and (best is None or len(name) > len(best)):
                best = name
        return best

    def suffix_before(self, pos: int) -> tuple[str, str] | None:
        for suffix, level in self.v.suffixes:
            if self.ends(suffix, pos):
                return suffix, level
        return None

    def place_before(self, pos: int) -> Place | None:
        """The place whose name ends at pos, or None."""
        known = self.known_place_before(pos)
        if known:
            return Place(known, self.v.known_places[known])
        suffixes = {s for s, _ in self.v.suffixes}
        for word, level in self.v.level_words.items():
            if len(word) >= 2 and word not in suffixes and self.ends(word, pos):
                return Place(word, level, bare=True)  # 当地政府, 乡镇政府
        found = self.suffix_before(pos)
        if not found:
            return None
        suffix, level = found
        start = pos - len(suffix)
        name_start = self._name_start(start, long=suffix.startswith("自治"))
        name = self.text[name_start:start]
        if not name:
            if level == "zone":  # 开发区管委会: a zone left unnamed
                return Place(suffix, level, bare=True)
            if suffix in self.v.level_words and len(suffix) <= 2:
                return Place(suffix, self.v.level_words[suffix], bare=True)
            return None
        full = name + suffix
        if full in self.v.not_places or full[-2:] in self.v.not_place_endings:
            return None  # 小区, 超市, 城乡: words, not places
        if level == "市" and _strip_suffix(full) in self.v.municipalities:
            level = "省"
        return Place(full, level)

    def _name_start(self, end: int, long: bool) -> int:
        """Where the name before a place suffix starts.

        Between two places the whole stretch is the name (甘泉县|道|镇,
        铁杆镇|张|村); a leftmost name is a known place or province it starts
        with, else two characters, the usual length of a Chinese place name.
        """
        most = 10 if long else 6
        j = end
        while j > self.limit and end - j < most and _name_char(self.v, self.text[j - 1]):
            j -= 1
            if j < end and self._boundary(j):
                return j
        stretch = self.text[j:end]
        if not stretch:
            return end
        if stretch.endswith("某"):  # 某县, 湛江某区: the place is unnamed
            return end - (len(stretch) - len(stretch.rstrip("某")))
        for p in sorted(self.v.provinces, key=len, reverse=True):
            if stretch.startswith(p) and len(stretch) > len(p):
                return j + len(p)  # 辽宁宽甸县: the province is a place of its own
        if long:
            return j
        return max(j, end - 2)

    def _boundary(self, j: int) -> bool:
        """True when a place ends right before j (its suffix has a name before it)."""
        if self.known_place_before(j):
            return True
        found = self.suffix_before(j)
        if not found:
            return False
        before = j - len(found[0])
        return before > self.limit and _name_char(self.v, self.text[before - 1])

    def places_before(self, pos: int, unnamed: bool = False) -> tuple[int, list[Place]]:
        places: list[Place] = []
        while pos > self.limit:
            p = self.place_before(pos)
            if not p:
                break
            places.insert(0, p)
            pos -= len(p.name)
        # two more name characters right before: an unnamed place (济南中院, 丹东中院)
        if unnamed and not places and pos - 2 >= self.limit and all(_name_char(self.v, c) for c in self.text[pos - 2:pos]):
            word = self.text[pos - 2:pos]
            if word not in self.v.not_places and not any(word.endswith(c) for c in self.v.complaint_cues):
                places.insert(0, Place(word, self.v.known_places.get(word)))
                pos -= 2
        return pos, places


def _read_body(v: Vocabulary, text: str, head: _Head, hs: int, he: int, limit: int) -> Body | None:
    r = _Reader(v, text, limit)
    pos = hs
    function = r.function_before(pos)
    core = function or ""
    if not function and head.kind in (COMPANY, INSTITUTION, BUREAU) and head.needs != "known":
        j = pos
        most = 14 if head.kind == COMPANY else 6
        while j > limit and pos - j < most and _name_char(v, text[j - 1]) and not (j < pos and r._boundary(j)):
            j -= 1
        core = text[j:pos]
    pos -= len(core)
    if core and head.kind == BUREAU:
        for infix in ("人民政府", "政府"):  # 烟台市人民政府国有资产监督管理委员会
            if r.ends(infix, pos):
                pos -= len(infix)
                break
    start, places = r.places_before(pos, unnamed=head.kind in (COURT, BUREAU) and not core[2:])
    if head.word == "办" and not function and places and places[-1].level == "乡镇街道":
        head = _Head("办事处", GOVERNMENT, None, None)  # 某某街道办
    if head.needs == "known" and not function:
        return None
    if head.needs == "name" and len(core) < 2 and not places:
        return None
    if head.needs == "place" and not places and not function:
        return None
    if head.kind == COMPANY and len(core) < 2:
        return None
    return _describe(v, text[start:he], head, places, function, core, start, he)


def _level_of(head: _Head, places: list[Place]) -> str | None:
    if head.level:
        return head.level
    for p in reversed(places):
        if p.level == "zone":
            return "区县"
        if p.level:
            return p.level
    return None


def _describe(v: Vocabulary, text: str, head: _Head, places: list[Place], function: str | None,
              core: str, start: int, end: int) -> Body:
    kind = head.kind
    level = _level_of(head, places)
    last = next((p for p in reversed(places) if p.level), None)
    if kind == GOVERNMENT and last is not None:
        kind = {"乡镇街道": TOWNSHIP, "村": VILLAGE, "zone": ZONE}.get(last.level, GOVERNMENT)
    if kind == COMPANY:
        kind = STATE_COMPANY if any(m in text for m in v.state_markers) else OTHER
    canonical = v.variants.get(function, function) if function else None
    if kind == BUREAU and not canonical and core:
        canonical = core
    body = Body(text=text, kind=kind, level=level, places=tuple(places), function=canonical,
                start=start, end=end)
    code = _catalog_match(v, body, head)
    fcode = v.function_codes.get(canonical or "") if kind == BUREAU else None
    if head.word == "部" and not places and not code:
        level = "国"  # 财政部, 住建部: a ministry
    return replace(body, department=code, function_code=fcode, level=level)


def _catalog_match(v: Vocabulary, body: Body, head: _Head) -> str | None:
    codes = v.signatures.get((body.function or "", head.cls), [])
    if body.kind in (TOWNSHIP, GOVERNMENT, VILLAGE, ZONE) and head.cls == "政府":
        codes = v.signatures.get(("", "政府"), [])
    if body.kind == TOWNSHIP and head.word in ("办事处", "办"):
        codes = v.signatures.get(("", "办事处"), []) + v.signatures.get(("", "办"), [])
    matches = [c for c in dict.fromkeys(codes) if _places_fit(v, c, body.places)]
    return matches[0] if len(matches) == 1 else None


def _places_fit(v: Vocabulary, code: str, places: tuple[Place, ...] | list[Place]) -> bool:
    """Whether the places written can be the catalog body's own places."""
    named = [p for p in places if not p.bare]
    bare = [p for p in places if p.bare]
    own = v.own_place.get(code)
    chain = set(v.chains.get(code, ()))
    if v.province_of_catalog:
        chain |= {_strip_suffix(v.province_of_catalog), v.province_of_catalog}
    if not named:
        if bare:
            return bare[-1].level == v.levels.get(code)
        return True
    if any(p.key not in chain and p.name not in chain for p in named):
        return False
    return named[-1].key == own or named[-1].name == own


# ---------------------------------------------------------------- public functions


def find_bodies(text: str | None, catalog: Catalog) -> list[Body]:
    """Every body named in a free text, in the order written, with spans.

    Where two readings overlap the longer one wins (烟台市人民政府国有资产
    监督管理委员会 is one body, not a government and a committee).
    """
    if not text:
        return []
    v = vocabulary(catalog)
    found: list[Body] = []
    for m in v.head_re.finditer(text):
        head = next(h for h in v.heads if h.word == m.group(0))
        if text[m.end():m.end() + 1] and text[m.end()] in v.not_followed_by.get(head.word, ()):
            continue
        body = _read_body(v, text, head, m.start(), m.end(), 0)
        if body is None:
            continue
        # a later, longer reading swallows the earlier ones it covers
        while found and found[-1].start >= body.start:
            found.pop()
        if found and body.start < found[-1].end:
            body = _read_body(v, text, head, m.start(), m.end(), found[-1].end)
            if body is None:
                continue
        found.append(body)
    return found


def resolve(name: str | None, catalog: Catalog) -> Body | None:
    """The body a respondent field names: a catalog body, else kind and level.

    "蓬莱区人民政府" → government, 区县, 蓬莱区; "芝罘区财政局" → bureau 财政,
    区县, 芝罘区 (function_code finance); "人社局" → the catalog's hrss.
    """
    if not name or not name.strip():
        return None
    text = name.strip()
    v = vocabulary(catalog)
    bodies = find_bodies(text, catalog)
    if text in v.exact:
        code = v.exact[text]
        whole = next((b for b in bodies if b.start == 0 and b.end == len(text)), None)
        if whole:
            return replace(whole, department=code)
        return Body(text=text, kind=_kind_of_catalog(catalog, code), level=v.levels[code],
                    department=code, end=len(text))
    if bodies:
        return accused_of(bodies, text, v) or bodies[0]
    start, places = _Reader(v, text, 0).places_before(len(text))
    if places and all(not p.bare and p.level for p in places):
        # a place alone stands for its government: "长安镇", "天门市卢市镇"
        head = _Head("人民政府", GOVERNMENT, None, None)
        return _describe(v, text[start:], head, places, None, "", start, len(text))
    return Body(text=text, kind=OTHER, end=len(text))


def find_department(text: str | None, catalog: Catalog) -> Department | None:
    """The catalog body a citizen's wording names, if it really is one.

    "莱山区黄海路街道" is the street office, "人社局" the city's 人社局;
    "芝罘区财政局", "济南市财政局" and "烟台市人民政府" are none (see
    `resolve` for what they are instead).
    """
    body = resolve(text, catalog)
    return catalog.departments[body.department] if body and body.department else None


def _kind_of_catalog(catalog: Catalog, code: str) -> str:
    d = catalog.departments[code]
    if d.level == "区县":
        return GOVERNMENT
    if d.level == "街道":
        return TOWNSHIP
    return COURT if "法院" in d.name else BUREAU


def accused_body(text: str | None, catalog: Catalog) -> Body | None:
    """The body a complaint accuses, by the first rule that finds one:

    1. the first body followed, in the same clause, by owing or not doing
       (拖欠, 不兑现, 拒不执行 …), unless written as 被…/我是…;
    2. else the first body right after 投诉/举报/起诉 …;
    3. else the first government body (not a court: courts judge, they are
       seldom the accused);
    4. else the first body.

    A body complaints are taken to (纪委监委: "要求纪委查处", "向纪委举报") is
    accused only by rule 1 ("纪委一直不理"); None when it is the only body named.
    """
    if not text:
        return None
    bodies = find_bodies(text, catalog)
    return accused_of(bodies, text, vocabulary(catalog)) if bodies else None


def bodies_in_text(text: str | None, catalog: Catalog) -> list[Body]:
    """The bodies of a text with the accused one first, the others in order."""
    bodies = find_bodies(text, catalog)
    accused = accused_of(bodies, text or "", vocabulary(catalog)) if bodies else None
    if accused is None:
        return bodies
    rest = [b for b in bodies if (b.start, b.end) != (accused.start, accused.end)]
    return [accused, *rest]


def accused_of(bodies: list[Body], text: str, v: Vocabulary) -> Body | None:
    candidates = [b for b in bodies if not _is_self(text, b, v)] or bodies
    # courts judge and ministries publish: they are seldom the accused
    public = [b for b in candidates if b.kind not in (COURT, PROCURATORATE, OTHER) and b.level != "国"]
    for group in (public, candidates):
        for b in group:
            if b.kind == COURT or text[max(0, b.start - 1):b.start] == "被":
                continue
            after = _clause_after(text, b.end)
            cue = min((c for c in v.accusation_cues if c in after), key=lambda c: (after.index(c), -len(c)), default=None)
            if cue:
                return replace(b, why=f"其后说它“{cue}”")
        if group is public:
            for b in public:
                before = _clause_before(text, b.start)
                cue = next((c for c in v.complaint_cues if c in before[-6:]), None)
                if cue and not _oversees(b, v):
                    return replace(b, why=f"被“{cue}”的对象")
    public = [b for b in public if not _oversees(b, v)]
    for b in public:
        if b.kind != INSTITUTION:
            return replace(b, why="文中第一个政府机构")
    rest = public or [b for b in candidates if not _oversees(b, v)]
    return replace(rest[0], why="文中第一个机构") if rest else None


def _oversees(b: Body, v: Vocabulary) -> bool:
    return (b.department or b.function_code) in v.overseers


def _is_self(text: str, b: Body, v: Vocabulary) -> bool:
    before = text[max(0, b.start - 6):b.start]
    return any(before.endswith(c) or c in before for c in v.self_cues) and b.kind in (OTHER, STATE_COMPANY, COMPANY)


def _clause_after(text: str, end: int, most: int = 24) -> str:
    out = []
    for ch in text[end:end + most]:
        if ch in _SENTENCE_END:
            break
        out.append(ch)
    return "".join(out)


def _clause_before(text: str, start: int, most: int = 12) -> str:
    chunk = text[max(0, start - most):start]
    for i in range(len(chunk) - 1, -1, -1):
        if chunk[i] in _CLAUSE_END:
            return chunk[i + 1:]
    return chunk


def district_name(body: Body) -> str | None:
    """The 区县 the body belongs to, as written (for "local" routing).

    A town with no 区县 written falls under the nearest 市 above it
    (天门市卢市镇 → 天门市), which for county-level cities is right.
    """
    if body.level in ("省", "国", "市") and body.kind != BUREAU:
        return None
    d = body.place_at("区县")
    if d:
        return d.name
    if body.level in ("乡镇街道", "村"):
        city = body.place_at("市")
        if city:
            return city.name
    return None


def catalog_place(names: list[str] | tuple[str, ...], catalog: Catalog) -> str | None:
    """The catalog 区县 or 街道 body whose place is among the names, most specific first."""
    v = vocabulary(catalog)
    for name in reversed(names):
        code = v.place_codes.get(name) or v.place_codes.get(_strip_suffix(name))
        if code:
            return code
    return None


def catalog_place_in(text: str | None, catalog: Catalog) -> str | None:
    """The catalog 区县 or 街道 body named anywhere in a place text ("莱山区黄海路街道")."""
    if not text:
        return None
    v = vocabulary(catalog)
    found = [(text.rfind(name), len(name), code) for name, code in v.place_codes.items() if name in text]
    return max(found)[2] if found else None
