"""The schema: migrations reach the head the code expects, on both engines."""

from __future__ import annotations

from alembic.config import Config
from alembic.script import ScriptDirectory

from ledger.db.engine import MIGRATIONS_DIR, SCHEMA_HEAD, schema_revision


def test_schema_head_constant_matches_alembic():
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(cfg).get_current_head() == SCHEMA_HEAD


def test_fresh_database_is_migrated_to_head(led):
    assert schema_revision(led.engine) == SCHEMA_HEAD
