"""entry.records_hash: the records an entry booked are in the hash chain

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-02 00:30:00

The chain covered entries and postings only, so a lot's batch, expiry or unit value, or a
receipt's NBU rate and UAH value, could be changed in the database without `verify` noticing
(DESIGN §4 inv. 5: "verify finds any row changed behind the ledger's back"). An entry now
carries the digest of the event record(s) it booked, and its hash covers that digest. Entries
written before this revision keep NULL and their old hash (their records are not covered).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("entry")}
    if "records_hash" not in columns:  # kept by a downgrade (below)
        op.add_column("entry", sa.Column("records_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    """Keep the column: dropping it would break the hash of every entry written since, and
    `verify` would then report the whole journal as changed. Older code never names it (it
    writes NULL, which reads as an entry written before this revision)."""
