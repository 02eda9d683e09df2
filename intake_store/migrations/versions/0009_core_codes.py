"""core: satisfaction and 核查结果 in ticket events as codes (very_satisfied, substantiated …) instead of
their Chinese labels; a citizen's notification addressed to the whole conversation id (telegram:42), and
the complainant's and the conversation's sender id the chat's own id (42)

Revision ID: 0009_core_codes
Revises: 0008_drop_routing_rule
"""
import sqlalchemy as sa
from alembic import op

revision = '0009_core_codes'
down_revision = '0008_drop_routing_rule'
branch_labels = None
depends_on = None

# The codes as they were on this day, written out: a migration must not change
# when the vocabulary does.
PAYLOADS = {  # ticket_event payload key -> label: code
    "satisfaction": {"非常满意": "very_satisfied", "满意": "satisfied", "一般": "neutral", "不满意": "unsatisfied"},
    "result": {"属实": "substantiated", "部分属实": "partly_substantiated", "不属实": "unsubstantiated"},
}
CHAT_CHANNELS = ("web", "telegram", "wechat")

events = sa.table("ticket_event", sa.column("id", sa.Integer), sa.column("payload", sa.JSON))
notifications = sa.table("notification", sa.column("recipient_kind", sa.String), sa.column("recipient", sa.String),
                         sa.column("channel", sa.String))
# The assistant sent Rasa's sender id (telegram:42) where the chat's own id belongs.
SENDERS = [sa.table(name, sa.column("channel", sa.String), sa.column("sender_id", sa.String))
           for name in ("complainant", "conversation")]


def _rewrite_payloads(keys: dict) -> None:
    bind = op.get_bind()
    for row_id, payload in bind.execute(sa.select(events.c.id, events.c.payload)).all():
        if not isinstance(payload, dict):
            continue
        changed = {k: keys[k][v] for k, v in payload.items() if k in keys and isinstance(v, str) and v in keys[k]}
        if changed:
            bind.execute(events.update().where(events.c.id == row_id).values(payload={**payload, **changed}))


def _citizens_of(channel: str):
    return (notifications.c.recipient_kind == "citizen") & (notifications.c.channel == channel)


def upgrade() -> None:
    _rewrite_payloads(PAYLOADS)
    n = notifications.c
    for channel in CHAT_CHANNELS:
        op.execute(notifications.update().where(_citizens_of(channel), sa.not_(n.recipient.like(f"{channel}:%")))
                   .values(recipient=sa.literal(f"{channel}:") + n.recipient))
        for t in SENDERS:
            op.execute(t.update().where(t.c.channel == channel, t.c.sender_id.like(f"{channel}:%"))
                       .values(sender_id=sa.func.substr(t.c.sender_id, len(channel) + 2)))


def downgrade() -> None:
    n = notifications.c
    for channel in CHAT_CHANNELS:
        op.execute(notifications.update().where(_citizens_of(channel), n.recipient.like(f"{channel}:%"))
                   .values(recipient=sa.func.substr(n.recipient, len(channel) + 2)))
    _rewrite_payloads({k: {code: label for label, code in m.items()} for k, m in PAYLOADS.items()})
