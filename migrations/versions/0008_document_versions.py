"""document versions: `import --correct-documents` keeps the version it replaced

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 12:30:00

A document on file (documents.csv) posts no entry, so no reversal frees its key: a corrected
document (signed since, another signatory, date or file) replaces the one on file only when the
import asks for it (`--correct-documents`). The version it replaced is copied first into
`document_version`, with when it was replaced, so the ledger still shows that the letter was
on file unsigned until then. Append-only, like the other versions tables (revision 0007).
Documents are not sealed into the hash chain, so `verify` has nothing to compare them with.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from ledger.db import guards

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "document_version",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("number", sa.String(length=100), nullable=False),
        sa.Column("subject", sa.String(length=64), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("signed", sa.Boolean(), nullable=True),
        sa.Column("signatory", sa.String(length=300), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("src", sa.JSON(), nullable=False),
        sa.Column("replaced_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("version_id"),
    )
    op.create_index("ix_document_version_id", "document_version", ["id"])
    # the function of 0007 is made again (CREATE OR REPLACE): the same body
    for statement in guards.append_only_statements(op.get_bind().dialect.name,
                                                   ("document_version",)):  # fmt: skip
        op.execute(statement)


def downgrade() -> None:
    op.drop_table("document_version")  # its triggers go with it; 0007's tables keep the function
