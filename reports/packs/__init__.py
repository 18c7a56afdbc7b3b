"""The packs: each module builds a `reports.model.Document` from the ledger (read-only)."""
