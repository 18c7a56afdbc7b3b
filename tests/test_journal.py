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
    assert led.verify().ok
    with led.engine.begin() as conn:
        conn.execute(text(statement))
    result = led.verify()
    assert not result.ok and what in result.problem


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
