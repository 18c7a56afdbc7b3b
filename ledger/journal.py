"""Writing what a `Book` booked, in bulk, and checking the stored journal (`verify`).

Writes are set-based: the journal goes in by COPY (PostgreSQL) or the driver's executemany
(SQLite), the rest by one Core `insert()` per table with the list of rows — each ~20× faster
than one ORM object per posting. The caller's writer transaction makes the whole
batch atomic.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Table, bindparam, func, insert, select, update

from ledger.book import RECORD_KEYS, RECORD_TABLES, Book
from ledger.db import tables as t
from ledger.db.types import dstr
from ledger.entries import GENESIS_HASH, ZERO, Entry, Posting, entry_hash
from ledger.errors import UnbalancedEntry


def write(book: Book) -> int:
    """Store the book's new entries, records, postings and balances. Returns entries written.

    Order matters for foreign keys on both engines: entries first (records point at them),
    then records (postings point at lots and pledge lines), then postings and balances.
    """
    conn = book.conn
    if book.new_entries:
        bulk_insert(conn, t.Entry.__table__, ENTRY_COLUMNS, [
            (eid, e.date, e.kind, e.ref, e.memo, e.reverses_id, prev, digest)
            for eid, prev, digest, e in book.new_entries
        ])  # fmt: skip
    _write_records(conn, book)
    if book.new_entries:
        next_posting = (conn.execute(select(func.max(t.Posting.id))).scalar() or 0) + 1
        rows: list[tuple[Any, ...]] = []
        for eid, _prev, _digest, e in book.new_entries:
            for seq, p in enumerate(e.postings):
                rows.append((next_posting, eid, seq, p.account, p.commodity, p.quantity, p.value,
                             p.currency, p.lot_id, p.pledge_line_id))  # fmt: skip
                next_posting += 1
        if rows:
            bulk_insert(conn, t.Posting.__table__, POSTING_COLUMNS, rows)
    _write_balances(conn, book)
    written = len(book.new_entries)
    book.new_entries.clear()
    book.changed_records.clear()
    return written


ENTRY_COLUMNS = ("id", "date", "kind", "ref", "memo", "reverses_id", "prev_hash", "hash")
POSTING_COLUMNS = ("id", "entry_id", "seq", "account", "commodity", "quantity", "value",
                   "currency", "lot_id", "pledge_line_id")  # fmt: skip


def bulk_insert(conn: Connection, table: Table, columns: tuple[str, ...],
                rows: list[tuple[Any, ...]]) -> None:  # fmt: skip
    """Insert many rows the fastest way each engine offers, inside the caller's transaction.

    PostgreSQL: COPY FROM STDIN (≈10× executemany). SQLite: the driver's executemany on plain
    tuples, decimals as their canonical text (what `ExactDecimal` stores), skipping the
    per-parameter processing of SQLAlchemy's Core insert. The statement text is built only from
    the table's own column names, never from data.
    """
    known = set(table.columns.keys())
    if not set(columns) <= known:  # guard: identifiers come from our schema only
        raise ValueError(f"unknown columns for {table.name}: {set(columns) - known}")
    driver = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        from psycopg import sql

        statement = sql.SQL("COPY {} ({}) FROM STDIN").format(
            sql.Identifier(table.name), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        with driver.cursor() as cur, cur.copy(statement) as copy:  # type: ignore[union-attr]
            for row in rows:
                copy.write_row(row)
        return
    if conn.dialect.name == "sqlite":
        statement = (
            f"INSERT INTO {table.name} ({', '.join(columns)}) "  # noqa: S608 - schema names only
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        cur = driver.cursor()  # type: ignore[union-attr]
        try:
            cur.executemany(statement, [tuple(map(_sqlite_value, row)) for row in rows])
        finally:
            cur.close()
        return
    conn.execute(insert(table), [dict(zip(columns, row, strict=True)) for row in rows])


def _sqlite_value(value: Any) -> Any:
    if isinstance(value, Decimal):
        return dstr(value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


def _write_records(conn: Connection, book: Book) -> None:
    inserts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    updates: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in book.changed_records:
        (updates if rec.stored else inserts)[rec.table].append(rec.values)
        rec.stored = True
    for kind, table in RECORD_TABLES.items():  # dict order = dependency order
        if inserts.get(kind):
            conn.execute(insert(table), inserts[kind])
        if updates.get(kind):
            key_cols = RECORD_KEYS[kind]
            cols = [c for c in updates[kind][0] if c not in key_cols]
            stmt = (
                update(table)
                .where(*(table.__table__.c[k] == bindparam(f"k_{k}") for k in key_cols))
                .values({c: bindparam(f"v_{c}") for c in cols})
            )
            conn.execute(stmt, [
                {**{f"k_{k}": v[k] for k in key_cols}, **{f"v_{c}": v[c] for c in cols}}
                for v in updates[kind]
            ])  # fmt: skip


def _write_balances(conn: Connection, book: Book) -> None:
    dirty = book.dirty_balances()
    new = [b for b in dirty if not b.stored]
    old = [b for b in dirty if b.stored]
    if new:
        conn.execute(insert(t.Balance), [
            {"key": _key(b), "account": b.account, "commodity": b.commodity, "lot_id": b.lot_id,
             "pledge_line_id": b.pledge_line_id, "currency": b.currency, "kind": b.kind,
             "quantity": b.quantity,
             "value": b.value}
            for b in new
        ])  # fmt: skip
    if old:
        conn.execute(
            update(t.Balance).where(t.Balance.key == bindparam("k"))
            .values(quantity=bindparam("q"), value=bindparam("v")),
            [{"k": _key(b), "q": b.quantity, "v": b.value} for b in old],
        )  # fmt: skip
    for b in dirty:
        b.stored, b.dirty = True, False


def _key(b: Any) -> str:
    posting = Posting(b.account, b.commodity, ZERO, None, b.currency, b.lot_id, b.pledge_line_id)
    return f"{posting.balance_key}|{b.kind}"


# ---------------------------------------------------------------- verify


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    problem: str | None = None
    entry_id: int | None = None


def verify(conn: Connection) -> VerifyResult:
    """Walk the hash chain, re-check each entry's balance, and compare stored running balances.

    Stops at the first entry whose stored hash, predecessor link or balance disagrees: that is
    where the journal was changed behind the ledger's back.
    """
    postings: dict[int, list[Posting]] = defaultdict(list)
    totals: dict[str, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    p = t.Posting
    for row in conn.execute(
        select(p.entry_id, p.account, p.commodity, p.quantity, p.value, p.currency, p.lot_id,
               p.pledge_line_id).order_by(p.entry_id, p.seq)
    ):  # fmt: skip
        postings[row.entry_id].append(Posting(*row[1:]))
    prev = GENESIS_HASH
    count = 0
    e = t.Entry
    for row in conn.execute(
        select(e.id, e.date, e.kind, e.ref, e.memo, e.reverses_id, e.prev_hash, e.hash).order_by(
            e.id
        )
    ):
        count += 1
        entry = Entry(row.date, row.kind, row.ref, tuple(postings.pop(row.id, [])), row.memo,
                      row.reverses_id)  # fmt: skip
        for posting in entry.postings:
            acc = totals[f"{posting.balance_key}|{entry.kind}"]
            acc[0] += posting.quantity
            acc[1] += posting.value or ZERO
        if row.prev_hash != prev:
            return VerifyResult(False, count, f"entry {row.id} ({row.ref}) does not link to the "
                                "entry before it: an entry was removed or reordered", row.id)  # fmt: skip
        if entry_hash(prev, row.id, entry) != row.hash:
            return VerifyResult(False, count, f"entry {row.id} ({row.ref}) was changed after it "
                                "was written: its hash no longer matches", row.id)  # fmt: skip
        try:
            entry.check_balanced()
        except UnbalancedEntry as exc:
            return VerifyResult(False, count, f"entry {row.id}: {exc}", row.id)
        prev = row.hash
    if postings:
        orphan = min(postings)
        return VerifyResult(False, count, f"postings refer to entry {orphan}, which does not exist",
                            orphan)  # fmt: skip
    stored = {
        r.key: (r.quantity, r.value)
        for r in conn.execute(select(t.Balance.key, t.Balance.quantity, t.Balance.value))
    }
    for key, (q, v) in totals.items():
        if stored.get(key, (ZERO, ZERO)) != (q, v):
            return VerifyResult(False, count, f"running balance {key} disagrees with the journal")
    for key, (q, v) in stored.items():
        if key not in totals and (q, v) != (ZERO, ZERO):
            return VerifyResult(False, count, f"running balance {key} has no postings behind it")
    return VerifyResult(True, count)
