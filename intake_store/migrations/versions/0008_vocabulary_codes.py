"""satisfaction, 核查结果 and 失信程度 stored as codes (very_satisfied, substantiated, serious …)
instead of their Chinese labels; a citizen's notification addressed to the whole conversation id

Revision ID: 0008_vocabulary_codes
Revises: 0007_promises
Create Date: 2026-11-29 18:10:00
"""
from alembic import op
import sqlalchemy as sa

revision = '0008_vocabulary_codes'
down_revision = '0007_promises'
branch_labels = None
depends_on = None

# The codes as they were on this day, written out: a migration must not change
# when the vocabulary changes later.
SATISFACTION = {"非常满意": "very_satisfied", "满意": "satisfied", "一般": "neutral", "不满意": "unsatisfied"}
VERIFICATION = {"属实": "substantiated", "部分属实": "partly_substantiated", "不属实": "unsubstantiated"}
SEVERITY = {"轻微": "minor", "一般": "general", "严重": "serious"}
CHAT_CHANNELS = ("web", "telegram", "wechat")

# JSON payload key -> its labels and codes, per event table.
TICKET_PAYLOADS = {"satisfaction": SATISFACTION, "result": VERIFICATION}
RECORD_PAYLOADS = {"result": VERIFICATION, "severity": SEVERITY}
# column -> its labels and codes, its length before and after, whether it may be null.
COLUMNS = {
    "ticket_fact": {"verify_result": (VERIFICATION, 8, 24, True), "satisfaction": (SATISFACTION, 8, 20, True)},
    "integrity_record": {"severity": (SEVERITY, 4, 12, False)},
}


def _inverse(mapping: dict) -> dict:
    return {code: label for label, code in mapping.items()}


def _rewrite_payloads(table: str, keys: dict) -> None:
    bind = op.get_bind()
    t = sa.table(table, sa.column("id", sa.Integer), sa.column("payload", sa.JSON))
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
    _rewrite_payloads("ticket_event", TICKET_PAYLOADS)
    _rewrite_payloads("record_event", RECORD_PAYLOADS)
    n = sa.table("notification", sa.column("recipient_kind", sa.String), sa.column("recipient", sa.String),
                 sa.column("channel", sa.String))
    for channel in CHAT_CHANNELS:
        op.execute(n.update().where(n.c.recipient_kind == "citizen", n.c.channel == channel,
                                    sa.not_(n.c.recipient.like(f"{channel}:%")))
                   .values(recipient=sa.literal(f"{channel}:") + n.c.recipient))


def downgrade() -> None:
    n = sa.table("notification", sa.column("recipient_kind", sa.String), sa.column("recipient", sa.String),
                 sa.column("channel", sa.String))
    for channel in CHAT_CHANNELS:
        op.execute(n.update().where(n.c.recipient_kind == "citizen", n.c.channel == channel,
                                    n.c.recipient.like(f"{channel}:%"))
                   .values(recipient=sa.func.substr(n.c.recipient, len(channel) + 2)))
    _rewrite_payloads("record_event", {k: _inverse(v) for k, v in RECORD_PAYLOADS.items()})
    _rewrite_payloads("ticket_event", {k: _inverse(v) for k, v in TICKET_PAYLOADS.items()})
    for table, columns in COLUMNS.items():
        _rewrite_columns(table, {name: _inverse(mapping) for name, (mapping, *_) in columns.items()})
        _resize(table, {name: (after, before, nullable) for name, (_, before, after, nullable) in columns.items()})
