"""summaries: the `holding`, `holding_total` and `figure` tables that `balance` and `reconcile` read

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 07:00:00

A data migration as well: an existing ledger gets its summaries computed from its running
balances and receipt lines (`ledger.journal.summaries_from`, the same function `verify` uses).
"""

from __future__ import annotations

from decimal import Decimal

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

FIGURE_COLUMNS = (
    "pledged", "outstanding_pledge", "dispatched", "in_transit", "at_customs", "received",
    "in_stock", "distributed", "short", "damaged", "written_off", "excess",
    "received_value_uah", "uah_pending", "dispatched_value", "dispatched_net", "received_value",
)  # fmt: skip


def _decimal() -> sa.types.TypeEngine:
    from ledger.db.types import ExactDecimal

    return ExactDecimal()


def upgrade() -> None:
    op.create_table(
        "holding",
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("commodity", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("quantity", _decimal(), nullable=False),
        sa.Column("value", _decimal(), nullable=False),
        sa.Column("live", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account", "commodity", "currency"),
    )
    op.create_table(
        "holding_total",
        sa.Column("account", sa.String(length=200), nullable=False),
        sa.Column("commodity", sa.String(length=64), nullable=False),
        sa.Column("quantity", _decimal(), nullable=False),
        sa.Column("value", _decimal(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=True),
        sa.Column("live", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account", "commodity"),
    )
    op.create_table(
        "figure",
        sa.Column("donor", sa.String(length=64), nullable=False),
        sa.Column("recipient", sa.String(length=64), nullable=False),
        sa.Column("item", sa.String(length=64), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        *(sa.Column(c, _decimal(), nullable=False) for c in FIGURE_COLUMNS),
        sa.PrimaryKeyConstraint("donor", "recipient", "item", "currency"),
    )
    _backfill(op.get_bind())


def _backfill(conn: sa.Connection) -> None:
    from sqlalchemy import insert, select

    from ledger.db import tables as t
    from ledger.journal import summaries_from
    from ledger.summaries import BalanceFact

    b = t.Balance
    facts = [
        BalanceFact(*r)
        for r in conn.execute(select(b.account, b.commodity, b.lot_id, b.pledge_line_id,
                                     b.currency, b.kind, b.quantity, b.value))
    ]  # fmt: skip
    if not facts:
        return
    totals = summaries_from(conn, facts)
    conn.execute(insert(t.Holding), [
        {"account": a, "commodity": c, "currency": u, "quantity": q, "value": v, "live": int(n)}
        for (a, c, u), (q, v, n) in totals.holdings.items()
    ])  # fmt: skip
    conn.execute(insert(t.HoldingTotal), [
        {"account": a, "commodity": c, "quantity": q, "value": v, "currency": u, "live": n}
        for (a, c), (q, v, u, n) in totals.holding_totals().items()
    ])  # fmt: skip
    conn.execute(insert(t.Figure), [
        {"donor": d, "recipient": r, "item": i, "currency": u,
         **{c: values.get(c, Decimal(0)) for c in FIGURE_COLUMNS}}
        for (d, r, i, u), values in totals.figures.items()
    ])  # fmt: skip


def downgrade() -> None:
    op.drop_table("figure")
    op.drop_table("holding_total")
    op.drop_table("holding")
