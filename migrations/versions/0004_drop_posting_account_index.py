"""posting: drop ix_posting_account

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 07:45:00

Every query on posting accounts filters by prefix (`LIKE 'stock:KYIV:%'`), which SQLite's
case-insensitive LIKE and PostgreSQL's collation-aware LIKE cannot answer from this B-tree; it
was only written, never read, and cost ~5 % of a 100k-posting import.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_posting_account", table_name="posting")


def downgrade() -> None:
    op.create_index("ix_posting_account", "posting", ["account", "commodity"], unique=False)
