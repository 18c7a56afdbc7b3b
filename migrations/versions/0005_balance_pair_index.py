"""balance: index (account, commodity) instead of account alone

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 13:40:00

A small import into a large ledger reads the balance lines of each (account, commodity) it
touches. With an index on the account alone, SQLite walked every line of a busy account (a
donor's pledges, a warehouse's stock: thousands of lots of hundreds of items) for each one;
2,000 new pledge lines into a 1M-posting ledger spent 9 of 20 s there.
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_balance_account", table_name="balance")
    op.create_index("ix_balance_account_commodity", "balance", ["account", "commodity"])


def downgrade() -> None:
    op.drop_index("ix_balance_account_commodity", table_name="balance")
    op.create_index("ix_balance_account", "balance", ["account"])
