"""Database-level guards for the journal: append-only and closed periods.

Code refuses these first with a clear message; the triggers are the second line, so that even a
client that bypasses AidLedger (a SQL console, a buggy script) cannot rewrite history.
"""

from __future__ import annotations

JOURNAL_TABLES = ("entry", "posting")

SQLITE_DDL = [
    *(
        f"""CREATE TRIGGER IF NOT EXISTS {table}_no_{op.lower()} BEFORE {op} ON {table}
            BEGIN SELECT RAISE(ABORT, 'the journal is append-only: {op} on {table} refused;
            post a reversal instead'); END"""
        for table in JOURNAL_TABLES
        for op in ("UPDATE", "DELETE")
    ),
    """CREATE TRIGGER IF NOT EXISTS entry_closed_period BEFORE INSERT ON entry
       WHEN EXISTS (SELECT 1 FROM closed_period WHERE month = substr(NEW.date, 1, 7))
       BEGIN SELECT RAISE(ABORT, 'period is closed: posting refused'); END""",
]

SQLITE_DROP = [
    *(f"DROP TRIGGER IF EXISTS {t}_no_{op}" for t in JOURNAL_TABLES for op in ("update", "delete")),
    "DROP TRIGGER IF EXISTS entry_closed_period",
]

PG_DDL = [
    """CREATE OR REPLACE FUNCTION aidledger_append_only() RETURNS trigger AS $$
       BEGIN
         RAISE EXCEPTION 'the journal is append-only: % on % refused; post a reversal instead',
           TG_OP, TG_TABLE_NAME;
       END $$ LANGUAGE plpgsql""",
    *(
        f"""CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
            FOR EACH ROW EXECUTE FUNCTION aidledger_append_only()"""
        for table in JOURNAL_TABLES
    ),
    *(
        f"""CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table}
            FOR EACH STATEMENT EXECUTE FUNCTION aidledger_append_only()"""
        for table in JOURNAL_TABLES
    ),
    """CREATE OR REPLACE FUNCTION aidledger_closed_period() RETURNS trigger AS $$
       BEGIN
         IF EXISTS (SELECT 1 FROM closed_period WHERE month = to_char(NEW.date, 'YYYY-MM')) THEN
           RAISE EXCEPTION 'period % is closed: posting refused', to_char(NEW.date, 'YYYY-MM');
         END IF;
         RETURN NEW;
       END $$ LANGUAGE plpgsql""",
    """CREATE TRIGGER entry_closed_period BEFORE INSERT ON entry
       FOR EACH ROW EXECUTE FUNCTION aidledger_closed_period()""",
]

PG_DROP = [
    *(f"DROP TRIGGER IF EXISTS {t}_append_only ON {t}" for t in JOURNAL_TABLES),
    *(f"DROP TRIGGER IF EXISTS {t}_no_truncate ON {t}" for t in JOURNAL_TABLES),
    "DROP TRIGGER IF EXISTS entry_closed_period ON entry",
    "DROP FUNCTION IF EXISTS aidledger_append_only()",
    "DROP FUNCTION IF EXISTS aidledger_closed_period()",
]


def create_statements(dialect: str) -> list[str]:
    return list(PG_DDL if dialect == "postgresql" else SQLITE_DDL)


def drop_statements(dialect: str) -> list[str]:
    return list(PG_DROP if dialect == "postgresql" else SQLITE_DROP)


def append_only_statements(dialect: str, tables: tuple[str, ...]) -> list[str]:
    """Append-only triggers for the superseded record versions and the ledger's settings
    (revision 0007); on PostgreSQL with a function of their own, so the journal's guards can be
    dropped and made apart."""
    if dialect == "postgresql":
        return [
            """CREATE OR REPLACE FUNCTION aidledger_versions_append_only() RETURNS trigger AS $$
               BEGIN
                 RAISE EXCEPTION 'append-only: % on % refused', TG_OP, TG_TABLE_NAME;
               END $$ LANGUAGE plpgsql""",
            *(f"""CREATE TRIGGER {t}_append_only BEFORE UPDATE OR DELETE ON {t}
                  FOR EACH ROW EXECUTE FUNCTION aidledger_versions_append_only()"""
              for t in tables),
            *(f"""CREATE TRIGGER {t}_no_truncate BEFORE TRUNCATE ON {t}
                  FOR EACH STATEMENT EXECUTE FUNCTION aidledger_versions_append_only()"""
              for t in tables),
        ]  # fmt: skip
    return [
        f"""CREATE TRIGGER IF NOT EXISTS {t}_no_{op.lower()} BEFORE {op} ON {t}
            BEGIN SELECT RAISE(ABORT, 'append-only: {op} on {t}
            refused'); END"""
        for t in tables
        for op in ("UPDATE", "DELETE")
    ]
