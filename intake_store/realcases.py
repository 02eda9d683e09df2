"""Real complaints, re-told in our own words, with their labels and sources.

`nlu_data/real/cases_*.yml` (see its README). The split into a training part
and a development part is by source address, never by case, so the re-tellings
of one page never sit on both sides; the development part is never trained on.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import yaml

REAL_DIR = Path(__file__).resolve().parent.parent / "nlu_data" / "real"
# About two cases in five are held out for development.
DEV_SHARE = 40
TRAIN, DEV = "train", "dev"


@dataclass(frozen=True)
class RealCase:
    source: str
    text: str
    category: str
    acceptable: tuple[str, ...]
    respondent: str
    departments: tuple[str, ...]
    voice: str

    @property
    def split(self) -> str:
        return split_of(self.source)


def source_key(source: str) -> str:
    """The page, whatever the scheme, 'www.' or a trailing slash."""
    parts = urlsplit(source.strip())
    host = parts.netloc.lower().removeprefix("www.")
    return f"{host}{parts.path.rstrip('/')}?{parts.query}" if parts.query else f"{host}{parts.path.rstrip('/')}"


def split_of(source: str) -> str:
    digest = hashlib.sha1(source_key(source).encode("utf-8")).hexdigest()
    return DEV if int(digest[:8], 16) % 100 < DEV_SHARE else TRAIN


def _case(raw: dict, where: str) -> RealCase:
    missing = [k for k in ("source", "text", "category", "acceptable", "departments") if k not in raw]
    if missing:
        raise ValueError(f"{where}: missing {', '.join(missing)}")
    acceptable = tuple(raw["acceptable"] or ())
    category = str(raw["category"])
    if category not in acceptable:
        acceptable = (category, *acceptable)
    return RealCase(
        source=str(raw["source"]).strip(),
        text=" ".join(str(raw["text"]).split()),
        category=category,
        acceptable=acceptable,
        respondent=str(raw.get("respondent") or ""),
        departments=tuple(raw["departments"] or ()),
        voice=str(raw.get("voice") or ""),
    )


def load(folder: Path = REAL_DIR) -> list[RealCase]:
    cases: list[RealCase] = []
    for path in sorted(folder.glob("cases_*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for i, raw in enumerate(data.get("cases") or []):
            cases.append(_case(raw, f"{path.name} #{i + 1}"))
    return cases


def part(cases: list[RealCase], split: str) -> list[RealCase]:
    return [c for c in cases if c.split == split]
