"""superseded record versions: a correction keeps the version it replaced

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 08:00:00

A correction (a reversed receipt, distribution, write-off or transfer imported or posted again
under its key) updates the record in place. Its earlier version is now copied first into
`<table>_version`, with the entry that booked it, so a period's registers and acts keep showing
what stood in that period (`reports.data.standing_on`). Versions replaced before this revision
are not known; the journal still holds their entries. `ledger_setting` notes the first entry
from which corrections keep them, so `verify` finds a kept version that was deleted.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.db import guards

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _decimal() -> sa.types.TypeEngine:
    from ledger.db.types import ExactDecimal

    return ExactDecimal()


def _text(length: int) -> sa.types.TypeEngine:
    return sa.String(length=length)


# table -> its columns after `id` up to `entry_id`: (name, type, nullable)
COLUMNS: dict[str, list[tuple[str, sa.types.TypeEngine, bool]]] = {
    "receipt_line": [
        ("receipt_ref", _text(64), False), ("shipment_ref", _text(64), False),
        ("line_no", sa.Integer(), False), ("shipment_line_id", sa.Integer(), False),
        ("date", sa.Date(), False), ("warehouse", _text(64), False),
        ("received", _decimal(), False), ("short", _decimal(), False),
        ("damaged", _decimal(), False), ("excess", _decimal(), False),
        ("remarks", _text(1000), True), ("fx_rate", _decimal(), True),
        ("fx_rate_date", sa.Date(), True), ("fx_source", _text(32), True),
        ("value_uah", _decimal(), True),
    ],
    "distribution_line": [
        ("distribution_ref", _text(64), False), ("line_no", sa.Integer(), False),
        ("date", sa.Date(), False), ("recipient", _text(64), False),
        ("warehouse", _text(64), False), ("beneficiary", _text(64), False),
        ("item", _text(64), False), ("quantity", _decimal(), False),
        ("batch", _text(64), True), ("settlement", _text(200), True),
    ],
    "writeoff_line": [
        ("writeoff_ref", _text(64), False), ("line_no", sa.Integer(), False),
        ("date", sa.Date(), False), ("recipient", _text(64), False),
        ("warehouse", _text(64), False), ("item", _text(64), False),
        ("quantity", _decimal(), False), ("batch", _text(64), True),
        ("reason", _text(16), False),
    ],
    "transfer_line": [
        ("transfer_ref", _text(64), False), ("line_no", sa.Integer(), False),
        ("date", sa.Date(), False), ("from_warehouse", _text(64), False),
        ("to_warehouse", _text(64), False), ("item", _text(64), False),
        ("quantity", _decimal(), False), ("batch", _text(64), True),
    ],
}  # fmt: skip

TABLES = tuple(f"{name}_version" for name in COLUMNS)


def upgrade() -> None:
    op.create_table(
        "ledger_setting",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )
    # corrections booked from the next entry on keep their versions (`verify` checks it)
    op.execute("INSERT INTO ledger_setting (name, value) SELECT 'versions_kept_from_entry', "
               "CAST(coalesce(max(id), 0) + 1 AS VARCHAR(200)) FROM entry")  # fmt: skip
    for name, columns in COLUMNS.items():
        op.create_table(
            f"{name}_version",
            sa.Column("version_id", sa.Integer(), nullable=False),
            sa.Column("id", sa.Integer(), nullable=False),
            *(sa.Column(c, type_, nullable=nullable) for c, type_, nullable in columns),
            sa.Column("entry_id", sa.Integer(), nullable=True),
            sa.Column("src", sa.JSON(), nullable=False),
            sa.PrimaryKeyConstraint("version_id"),
        )
        op.create_index(f"ix_{name}_version_entry_id", f"{name}_version", ["entry_id"])
    for statement in guards.append_only_statements(op.get_bind().dialect.name,
                                                   (*TABLES, "ledger_setting")):  # fmt: skip
        op.execute(statement)


def downgrade() -> None:
    for table in (*TABLES, "ledger_setting"):  # the triggers go with their tables
        op.drop_table(table)
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS aidledger_versions_append_only()")
