"""What a command meets when the database will not take its work: another writer holding the
ledger past the wait (both engines), a database or file error surfacing from the driver itself,
a --db folder that cannot be made. One line and exit 1, never a traceback or a silent wait."""

from __future__ import annotations

import sqlite3
import time

import pytest
from click.testing import CliRunner

from cli import _database_error, main
from ledger.api import Ledger
from ledger.db import engine as eng
from ledger.db.engine import writer
from ledger.errors import LedgerError
from tests import factories as f


def test_a_writer_waits_for_another_at_most_the_busy_time_then_says_why(
    led: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    f.world(led)
    monkeypatch.setattr(eng, "BUSY_TIMEOUT_MS", 700)
    second = Ledger(led.url, migrate=False)  # its own engine: waits 0.7 s
    try:
        with writer(led.engine):  # an import in progress elsewhere
            start = time.monotonic()
            with pytest.raises(LedgerError, match="another command is writing to this ledger"):
                second.post(f.ship("S9", qty="1"))
            assert time.monotonic() - start < 10
        second.post(f.ship("S9", qty="1"))  # once it has finished, the write goes through
    finally:
        second.close()
    assert [r.ref for r in led.entries(kind="dispatch")] == ["dispatch:S9/1"]


def test_a_driver_error_is_one_line_about_the_database() -> None:
    assert _database_error(sqlite3.OperationalError("database or disk is full\nmore")) == (
        "database or disk is full"
    )
    assert _database_error(ValueError("not a database error")) is None


def test_a_db_folder_that_cannot_be_made_is_one_line(tmp_path) -> None:
    (tmp_path / "wrong.csv").write_text("a,b\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["--db", str(tmp_path / "wrong.csv" / "x.db"), "balance"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    result = CliRunner().invoke(
        main, ["--db", str(tmp_path / "wrong.csv" / "sub" / "x.db"), "import", str(tmp_path)]
    )
    assert result.exit_code == 1, result.output
    assert "Not a directory" in result.stderr and "Traceback" not in result.output


@pytest.mark.postgres
def test_ledgers_in_separate_schemas_of_one_database_write_independently(
    pg, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer lock is the ledger's (its schema's), not the database's: a long import into
    one city's ledger does not hold up (nor is refused as "another command writing") an event
    in another's, while a second writer of the same ledger still waits."""
    from sqlalchemy import create_engine, text

    url = pg.create_database("two_schemas")
    admin = create_engine(url)
    with admin.begin() as conn:
        for schema in ("kyiv", "lviv"):
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    admin.dispose()
    monkeypatch.setattr(eng, "BUSY_TIMEOUT_MS", 700)
    kyiv, lviv, kyiv_too = (Ledger(f"{url}?options=-csearch_path%3D{schema}")
                            for schema in ("kyiv", "lviv", "kyiv"))  # fmt: skip
    try:
        f.world(kyiv)
        f.world(lviv)
        with writer(kyiv.engine):  # an import into Kyiv's ledger in progress
            lviv.post(f.ship("S9", qty="1"))  # Lviv's ledger is not waiting for it
            with pytest.raises(LedgerError, match="another command is writing to this ledger"):
                kyiv_too.post(f.ship("S9", qty="1"))
    finally:
        for ledger in (kyiv, lviv, kyiv_too):
            ledger.close()
    assert [r.ref for r in lviv.entries(kind="dispatch")] == ["dispatch:S9/1"]
    assert kyiv.entries(kind="dispatch") == []


@pytest.mark.postgres
def test_a_search_path_that_reaches_the_ledger_through_another_schema_takes_its_lock(
    pg, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`search_path=odesa,public` with an empty schema odesa opens the ledger in public, and
    must wait for public's writer: keyed by the first schema that exists, it got in beside it
    (two writers could both take the last unit)."""
    from sqlalchemy import create_engine, text

    url = pg.create_database("path_through")
    admin = create_engine(url)
    with admin.begin() as conn:
        conn.execute(text("CREATE SCHEMA odesa"))
    admin.dispose()
    monkeypatch.setattr(eng, "BUSY_TIMEOUT_MS", 700)
    ledger = Ledger(url)
    through = Ledger(f"{url}?options=-csearch_path%3Dodesa,public")
    try:
        f.world(ledger)
        with writer(ledger.engine):
            with pytest.raises(LedgerError, match="another command is writing to this ledger"):
                through.post(f.ship("S9", qty="1"))
        through.post(f.ship("S9", qty="1"))
    finally:
        through.close()
    assert [r.ref for r in ledger.entries(kind="dispatch")] == ["dispatch:S9/1"]
    ledger.close()
