"""integrity: 核查结果, satisfaction and 失信程度 in scorecard facts and dishonesty records as codes
(substantiated, very_satisfied, serious …) instead of their Chinese labels

Revision ID: 0008_integrity_codes
Revises: 0007_promises
"""
import sqlalchemy as sa
from alembic import op

revision = '0008_integrity_codes'
down_revision = '0007_promises'
branch_labels = None
depends_on = None

# The codes as they were on this day, written out: a migration must not change
# when the vocabulary does.
SATISFACTION = {"非常满意": "very_satisfied", "满意": "satisfied", "一般": "neutral", "不满意": "unsatisfied"}
VERIFICATION = {"属实": "substantiated", "部分属实": "partly_substantiated", "不属实": "unsubstantiated"}
SEVERITY = {"轻微": "minor", "一般": "general", "严重": "serious"}

RECORD_PAYLOADS = {"result": VERIFICATION, "severity": SEVERITY}  # record_event payload key -> label: code
# table -> column -> (label: code, length before, length after, may be null)
COLUMNS = {
    "ticket_fact": {"verify_result": (VERIFICATION, 8, 24, True), "satisfaction": (SATISFACTION, 8, 20, True)},
    "integrity_record": {"severity": (SEVERITY, 4, 12, False)},
}


def _inverse(mapping: dict) -> dict:
    return {code: label for label, code in mapping.items()}


def _rewrite_payloads(keys: dict) -> None:
    bind = op.get_bind()
    t = sa.table("record_event", sa.column("id", sa.Integer), sa.column("payload", sa.JSON))
    for row_id, payload in bind.execute(sa.select(t.c.id, t.c.payload)).all():
        if not isinstance(payload, dict):
            continue
        changed = {k: keys[k][v] for k, v in payload.items() if k in keys and isinstance(v, str) and v in keys[k]}
        if changed:
            bind.execute(t.update().where(t.c.id == row_id).values(payload={**payload, **changed}))


def _rewrite_columns(table: str, columns: dict) -> None:
    t = sa.table(table, *(sa.column(name, sa.String) for name in columns))
    for name, mapping in columns.items():
        for old, new in mapping.items():
            op.execute(t.update().where(t.c[name] == old).values({name: new}))


def _resize(table: str, sizes: dict) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return  # SQLite does not hold a text to its declared length (and would have to copy the table)
    with op.batch_alter_table(table) as batch:
        for name, (before, after, nullable) in sizes.items():
            batch.alter_column(name, type_=sa.String(after), existing_type=sa.String(before), existing_nullable=nullable)


def upgrade() -> None:
    for table, columns in COLUMNS.items():
        _resize(table, {name: (before, after, nullable) for name, (_, before, after, nullable) in columns.items()})
        _rewrite_columns(table, {name: mapping for name, (mapping, *_) in columns.items()})
    _rewrite_payloads(RECORD_PAYLOADS)


def downgrade() -> None:
    _rewrite_payloads({k: _inverse(v) for k, v in RECORD_PAYLOADS.items()})
    for table, columns in COLUMNS.items():
        _rewrite_columns(table, {name: _inverse(mapping) for name, (mapping, *_) in columns.items()})
        _resize(table, {name: (after, before, nullable) for name, (_, before, after, nullable) in columns.items()})
