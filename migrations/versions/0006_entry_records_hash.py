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
    op.add_column("entry", sa.Column("records_hash", sa.String(64), nullable=True))


def downgrade() -> None:
    """Refused once an entry is sealed: older code cannot check such an entry's hash (its
    `verify` would report it changed) and would book unsealed entries after sealed ones.
    A ledger with no sealed entry goes back as it was."""
    bind = op.get_bind()
    sealed = bind.execute(sa.text("SELECT count(*) FROM entry WHERE records_hash IS NOT NULL"))
    if sealed.scalar():
        raise RuntimeError("cannot downgrade below 0006: entries of this ledger seal their "
                           "records, which older versions cannot verify")  # fmt: skip
    op.drop_column("entry", "records_hash")  # SQLite ≥ 3.35 drops a column in place
