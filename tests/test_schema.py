"""The schema: migrations reach the head the code expects, on both engines."""

from __future__ import annotations

import pytest
from alembic.config import Config
from alembic.script import ScriptDirectory

from ledger.db.engine import MIGRATIONS_DIR, SCHEMA_HEAD, schema_revision


def test_schema_head_constant_matches_alembic():
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(cfg).get_current_head() == SCHEMA_HEAD


def test_fresh_database_is_migrated_to_head(led):
    assert schema_revision(led.engine) == SCHEMA_HEAD


def _alembic(led, verb: str, target: str) -> None:
    from alembic import command

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    with led.engine.begin() as conn:
        cfg.attributes["connection"] = conn
        getattr(command, verb)(cfg, target)


def test_summaries_migration_backfills_an_existing_ledger(led):
    """A ledger made before 0003 gets `holding` and `figure` computed from its journal."""
    from ledger import operations as ops
    from tests import factories as f

    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.receive(led, f.receive(received="7", short="1", damaged="2"))
    ops.distribute(led, f.distribute(qty="4"))
    balances, reconciliation = led.balances(), led.reconcile()
    assert any(r.received == 7 for r in reconciliation)
    f.unseal(led)  # as written before 0006: a sealed ledger refuses to go below it (below)
    _alembic(led, "downgrade", "0002")
    assert schema_revision(led.engine) == "0002"
    _alembic(led, "upgrade", "head")
    assert led.balances() == balances
    assert led.reconcile() == reconciliation
    assert led.verify().ok


def test_migrations_build_exactly_the_tables_the_code_declares(led):
    """Autogenerate finds nothing to do: every table, column and index of `ledger.db.tables`
    is what the migrations made (on both engines)."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from ledger.db.tables import Base

    with led.engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []


def test_commands_opening_a_new_ledger_at_once_all_succeed(tmp_path) -> None:
    """Each process creates the schema of the same new SQLite file; the writer lock makes the
    later ones wait and then find it at head (without it one failed: database is locked)."""
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    code = ("import sys; from ledger.api import Ledger; "
            "Ledger(sys.argv[1]).close()")  # fmt: skip
    for attempt in range(2):
        url = f"sqlite:///{tmp_path / f'new{attempt}.db'}"
        procs = [subprocess.Popen([sys.executable, "-c", code, url], cwd=root,
                                  stderr=subprocess.PIPE, text=True) for _ in range(4)]  # fmt: skip
        errors = [p.communicate()[1] for p in procs]
        assert [p.returncode for p in procs] == [0, 0, 0, 0], "\n".join(errors)
        from sqlalchemy import create_engine

        assert schema_revision(create_engine(url)) == SCHEMA_HEAD


def test_a_ledger_with_sealed_records_refuses_to_go_below_0006(led):
    """Older code could not verify its entries, and would book unsealed ones after them."""
    from ledger import operations as ops
    from tests import factories as f

    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    with pytest.raises(RuntimeError, match="cannot downgrade below 0006"):
        _alembic(led, "downgrade", "0005")
    assert schema_revision(led.engine) == SCHEMA_HEAD and led.verify().ok


@pytest.mark.postgres
def test_a_role_without_the_owner_s_rights_is_told_the_older_ledger_needs_its_owner(pg):
    """An auditor's read-only role opening a ledger of an older schema met the upgrade's "must
    be owner of table entry"; it is told what to do. Once upgraded, it reads."""
    from sqlalchemy import text

    from ledger.api import Ledger
    from ledger.errors import LedgerError

    url = pg.create_database("older_ledger", template="aidledger_template")
    owner = Ledger(url)
    _alembic(owner, "downgrade", "0006")
    with owner.engine.begin() as conn:
        conn.execute(text("CREATE ROLE auditor LOGIN"))
        conn.execute(text("GRANT SELECT ON ALL TABLES IN SCHEMA public TO auditor"))
    owner.close()
    auditor_url = url.replace("postgres@", "auditor@", 1)
    with pytest.raises(LedgerError, match=r"at revision 0006 .* run one command .* as the owner"):
        Ledger(auditor_url, create=False)
    Ledger(url).close()  # the owner opens it: upgraded
    auditor = Ledger(auditor_url, create=False)
    assert auditor.balances() == []
    auditor.close()
