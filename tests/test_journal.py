"""Append-only journal, hash chain and verify, on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from decimal import Decimal

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from ledger import operations as ops
from ledger.db.engine import writer
from tests import factories as f


def _small_ledger(led) -> None:
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.receive(led, f.receive(received="10"))
    ops.distribute(led, f.distribute(qty="4"))


@pytest.mark.parametrize("table", ["entry", "posting"])
@pytest.mark.parametrize("statement", ["UPDATE {t} SET id = id", "DELETE FROM {t}"])
def test_triggers_refuse_update_and_delete(led, table, statement):
    _small_ledger(led)
    with pytest.raises(DBAPIError, match="append-only"):
        with led.engine.begin() as conn:
            conn.execute(text(statement.format(t=table)))
    assert led.verify().ok


def test_trigger_refuses_entry_in_closed_period_even_bypassing_code(led):
    _small_ledger(led)
    led.close_period("2023-04")
    with pytest.raises(DBAPIError, match="closed"):
        with led.engine.begin() as conn:
            conn.execute(text(
                "INSERT INTO entry (id, date, kind, ref, memo, prev_hash, hash) "
                "VALUES (999, '2023-04-02', 'x', 'x', '', 'x', 'x')"
            ))  # fmt: skip


def _drop_guards(led) -> None:
    from ledger.db import guards

    with led.engine.begin() as conn:
        for statement in guards.drop_statements(led.engine.dialect.name):
            conn.execute(text(statement))


def test_verify_names_the_entry_edited_behind_the_ledgers_back(led):
    _small_ledger(led)
    assert led.verify().ok
    _drop_guards(led)  # what an attacker with database access would do first
    with led.engine.begin() as conn:
        entry_id = conn.execute(
            text("SELECT entry_id FROM posting WHERE account LIKE 'distributed:%' LIMIT 1")
        ).scalar()
        conn.execute(
            text(
                "UPDATE posting SET quantity = :q WHERE entry_id = :e AND account LIKE 'distributed:%'"
            ),
            {"q": "5" if led.engine.dialect.name == "sqlite" else Decimal(5), "e": entry_id},
        )
    result = led.verify()
    assert not result.ok
    assert result.entry_id == entry_id
    assert f"entry {entry_id}" in result.problem


def test_verify_finds_a_deleted_entry(led):
    _small_ledger(led)
    _drop_guards(led)
    with led.engine.begin() as conn:
        conn.execute(text("DELETE FROM receipt_line"))
        conn.execute(text("DELETE FROM posting WHERE entry_id = (SELECT min(id) + 1 FROM entry)"))
        conn.execute(text("DELETE FROM entry WHERE id = (SELECT min(id) + 1 FROM entry)"))
    result = led.verify()
    assert not result.ok and "does not link" in result.problem


@pytest.mark.parametrize(
    ("statement", "what"),
    [
        ("UPDATE balance SET quantity = quantity + 1 WHERE account LIKE 'stock:%'", "disagrees"),
        ("DELETE FROM balance WHERE account LIKE 'stock:%'", "disagrees"),
        (
            "INSERT INTO balance (key, account, commodity, currency, kind, quantity, value) "
            "VALUES ('x', 'stock:NOWHERE', 'MED-1', 'CZK', 'receipt', '5', '0')",
            "has no postings behind it",
        ),
    ],
)
def test_verify_finds_a_tampered_running_balance(led, statement, what):
    _small_ledger(led)
    with led.engine.begin() as conn:
        conn.execute(text(statement))
    result = led.verify()
    assert not result.ok and "running balance" in result.problem and what in result.problem


def test_verify_finds_postings_of_an_entry_that_does_not_exist(led):
    """The newest entry removed with foreign keys switched off: its postings are orphans."""
    _small_ledger(led)
    _drop_guards(led)
    with led.engine.begin() as conn:
        last = conn.execute(text("SELECT max(id) FROM entry")).scalar()
    delete = ("DELETE FROM distribution_line", f"DELETE FROM entry WHERE id = {int(last)}")
    if led.engine.dialect.name == "sqlite":  # a plain connection: foreign keys are off
        raw = sqlite3.connect(led.engine.url.database)
        with raw:
            for statement in delete:
                raw.execute(statement)
        raw.close()
    else:
        with led.engine.begin() as conn:
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            for statement in delete:
                conn.execute(text(statement))
    result = led.verify()
    assert not result.ok
    assert result.problem == f"postings refer to entry {last}, which does not exist"


@pytest.mark.parametrize(
    ("statement", "what"),
    [
        ("UPDATE holding SET live = live + 1 WHERE account LIKE 'stock:%'", "holding"),
        ("UPDATE holding SET quantity = quantity + 1 WHERE account LIKE 'stock:%'", "holding"),
        ("UPDATE holding_total SET currency = NULL WHERE account LIKE 'stock:%'", "holding total"),
        (
            "UPDATE holding_total SET quantity = quantity + 1 WHERE account LIKE 'stock:%'",
            "holding total",
        ),
        ("UPDATE figure SET received = received + 1 WHERE currency = ''", "figure"),
        (
            "UPDATE figure SET dispatched_value = dispatched_value + 1 WHERE currency <> ''",
            "figure",
        ),
        ("DELETE FROM figure WHERE currency = ''", "figure"),
    ],
)
def test_verify_finds_a_tampered_summary(led, statement, what):
    """`balance` and `reconcile` read the summaries, so verify re-derives them from the journal."""
    _small_ledger(led)
    result = _verified_after(led, statement)
    assert not result.ok and what in result.problem


def _verified_after(led, statement: str):
    """`verify` of an intact ledger after one statement run behind the ledger's back."""
    assert led.verify().ok
    with led.engine.begin() as conn:
        conn.execute(text(statement))
    return led.verify()


@pytest.mark.parametrize(
    ("statement", "what"),
    [
        ("UPDATE shipment_line SET batch = 'ZZ'", "shipment_line 1 (booked by entry"),
        ("UPDATE shipment_line SET unit_value = '99'", "shipment_line 1 (booked by entry"),
        ("UPDATE receipt_line SET fx_rate = '9.9'", "receipt_line 1 (booked by entry"),
        ("UPDATE receipt_line SET value_uah = '1'", "receipt_line 1 (booked by entry"),
        ("UPDATE receipt_line SET src = '{\"extra\": {}}'", "receipt_line 1 (booked by entry"),
        ("UPDATE distribution_line SET settlement = 'elsewhere'", "distribution_line 1 (booked"),
        ("UPDATE distribution_line SET entry_id = (SELECT min(id) FROM entry)",
         "distribution_line 1 (booked by entry 1,"),
        ("DELETE FROM distribution_line", "is gone: it was deleted or moved"),
        ("UPDATE distribution_line SET settlement = ''", "distribution_line 1 (booked"),
        ("UPDATE distribution_line SET entry_id = NULL", "distribution_line 1 points at no entry"),
    ],
    ids=["batch", "unit-value", "nbu-rate", "uah-value", "source-row", "settlement", "moved",
         "deleted", "null-to-empty", "unhooked"],
)  # fmt: skip
def test_verify_finds_an_event_record_changed_behind_the_ledgers_back(led, statement, what):
    """Lots, receipts and the other event records drive FEFO, valuation and the packs: each
    entry's hash covers the record(s) it booked (`ledger.seal`)."""
    _small_ledger(led)
    result = _verified_after(led, statement)
    assert not result.ok and what in result.problem
    assert result.entry_id is not None or "points at no entry" in result.problem


@pytest.mark.parametrize(
    ("statement", "what"),
    [
        ("DELETE FROM distribution_line", "is gone: it was deleted or moved"),
        ("UPDATE distribution_line SET entry_id = (SELECT max(id) FROM entry), quantity = '7'",
         "which booked none"),
        ("INSERT INTO transfer_line (id, transfer_ref, line_no, date, from_warehouse, "
         "to_warehouse, item, quantity, src) SELECT 99, 'T-X', 1, date, warehouse, warehouse, "
         "item, '500', src FROM distribution_line", "transfer_line 99 points at no entry"),
    ],
    ids=["deleted", "moved-to-the-reversal", "made-up"],
)  # fmt: skip
def test_verify_finds_records_of_reversed_entries_tampered_with(led, statement, what):
    """A reversed entry keeps its record (the record of what was undone) unless a correction
    took its key; a record pointing at the reversal, or at no entry, was not booked here."""
    _small_ledger(led)
    with led.engine.begin() as conn:
        entry_id = conn.execute(text("SELECT entry_id FROM distribution_line")).scalar()
    led.reverse(entry_id, "wrong beneficiary")
    result = _verified_after(led, statement)
    assert not result.ok and what in result.problem


def test_a_corrected_record_seals_its_correcting_entry(led):
    """A reversed entry's record may be booked again, changed: verify still finds it intact."""
    _small_ledger(led)
    with led.engine.begin() as conn:
        entry_id = conn.execute(text("SELECT entry_id FROM distribution_line")).scalar()
    led.reverse(entry_id, "wrong beneficiary")
    ops.distribute(led, f.distribute(qty="3"))
    with led.engine.begin() as conn:
        now = conn.execute(text("SELECT entry_id FROM distribution_line")).scalar()
    assert now != entry_id
    assert led.verify().ok


def test_entries_written_before_records_were_sealed_still_verify(led):
    """An older ledger: entries without `records_hash`, hashed over entry and postings only."""
    from sqlalchemy import func, select

    from ledger.db import tables as t

    _small_ledger(led)
    f.unseal(led)
    assert led.verify().ok
    ops.distribute(led, f.distribute(ref="D-NEW", qty="1"))  # sealed, chained onto the old tip
    with led.engine.connect() as conn:
        assert conn.execute(select(func.count(t.Entry.records_hash))).scalar() == 1
    assert led.verify().ok


def test_quantities_are_stored_exactly(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="0.1", unit_value="0.2"))
    ops.dispatch(led, f.ship("S2", qty="0.2", unit_value="0.1"))
    total = sum(r.quantity for r in led.balances("transit:"))
    assert total == Decimal("0.3") and isinstance(total, Decimal)
    values = sum(r.value for r in led.balances("transit:"))
    assert values == Decimal("0.04")


def test_writer_transaction_rolls_back_on_error(led):
    f.world(led)
    before = led.balances(by_lot=True)
    with pytest.raises(RuntimeError):
        with led.booking() as book:
            from ledger.booking import book_row

            book_row(book, f.ship("S1", qty="10"))
            raise RuntimeError("crash in the middle")
    assert led.balances(by_lot=True) == before
    with writer(led.engine) as conn:
        assert conn.execute(text("SELECT count(*) FROM shipment_line")).scalar() == 0


def test_a_read_sees_one_snapshot_while_a_write_commits(led):
    """`verify` reads the journal, then the records, then the balances: a write committed in
    between must not show in the later reads (PostgreSQL: REPEATABLE READ; SQLite: WAL)."""
    from ledger.db.engine import reader

    _small_ledger(led)
    with reader(led.engine) as conn:
        before = conn.execute(text("SELECT count(*) FROM entry")).scalar()
        ops.dispatch(led, f.ship("S2", qty="3"))  # another connection, committed
        assert conn.execute(text("SELECT count(*) FROM entry")).scalar() == before
        assert conn.execute(text("SELECT count(*) FROM shipment_line")).scalar() == 1
    assert led.verify().ok
