"""The catalog's data files mirrored into the tables."""
from __future__ import annotations

from sqlmodel import Session

from ..catalog import Catalog
from ..models import Category, Department


def load_defaults(session: Session, catalog: Catalog) -> dict[str, int]:
    """Mirror the catalog's departments and categories into the tables (idempotent upsert)."""
    for d in catalog.departments.values():
        row = session.get(Department, d.code) or Department(code=d.code, name=d.name, short=d.short, level=d.level)
        row.name, row.short, row.level, row.aliases = d.name, d.short, d.level, list(d.aliases)
        session.add(row)
    session.flush()
    for d in catalog.departments.values():
        row = session.get(Department, d.code)
        row.parent_code, row.supervisor_code = d.parent, d.supervisor
    for c in catalog.categories.values():
        row = session.get(Category, c.code) or Category(code=c.code, name=c.name, supervisor_code=c.supervisor)
        row.name, row.supervisor_code, row.local, row.complex = c.name, c.supervisor, c.local, c.complex
        row.respondent_assists, row.clocks = c.respondent_assists, dict(c.clock_overrides)
        session.add(row)
    session.flush()
    return {"departments": len(catalog.departments), "categories": len(catalog.categories)}
