"""Writing what a `Book` booked, in bulk, and checking the stored journal (`verify`).

Writes are set-based: the journal goes in by COPY (PostgreSQL) or the driver's executemany
(SQLite), the rest by one Core `insert()` per table with the list of rows — each ~20× faster
than one ORM object per posting. The caller's writer transaction makes the whole
batch atomic.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from decimal import Decimal
from itertools import chain, groupby, islice
from operator import attrgetter, itemgetter
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    Table,
    Text,
    bindparam,
    cast,
    func,
    insert,
    literal,
    select,
    type_coerce,
    update,
)

from ledger.book import MASTER_KINDS, RECORD_KEYS, RECORD_TABLES, Book, HoldingLine
from ledger.db import tables as t
from ledger.entries import GENESIS_HASH, ZERO, Entry, Posting, entry_hash
from ledger.errors import UnbalancedEntry
from ledger.seal import record_digest, records_hash
from ledger.summaries import FIGURE_COLUMNS, BalanceFact, Totals, roll_up


def write(book: Book, *, totals: bool = True) -> int:
    """Store the book's new entries, records, postings and balances. Returns entries written.

    Order matters for foreign keys on both engines: entries first (records point at them),
    then records (postings point at lots and pledge lines), then postings and balances.
    `totals=False` (a long import's intermediate flush) leaves the running balances and
    summaries for the final write: they stay in memory anyway, and writing them at every flush
    would re-write the busiest rows again and again (at 1M postings, 30 s of 130).
    """
    conn = book.conn
    if book.new_entries:
        bulk_insert(conn, t.Entry.__table__, ENTRY_COLUMNS, sealed(book))
    _write_records(conn, book)
    if book.new_entries:
        next_posting = (conn.execute(select(func.max(t.Posting.id))).scalar() or 0) + 1
        rows: list[tuple[Any, ...]] = []
        for eid, e in book.new_entries:
            for seq, p in enumerate(e.postings):
                rows.append((next_posting, eid, seq, p.account, p.commodity, p.quantity, p.value,
                             p.currency, p.lot_id, p.pledge_line_id))  # fmt: skip
                next_posting += 1
        if rows:
            bulk_insert(conn, t.Posting.__table__, POSTING_COLUMNS, rows)
    if totals:
        _write_balances(conn, book)
        _write_summaries(conn, book)
    written = len(book.new_entries)
    book.new_entries.clear()
    if book.bulk:
        book.compact(book.changed_records)
    book.changed_records.clear()
    return written


ENTRY_COLUMNS = ("id", "date", "kind", "ref", "memo", "reverses_id", "prev_hash", "hash",
                 "records_hash")  # fmt: skip


def sealed(book: Book) -> list[tuple[Any, ...]]:
    """The book's new entries as rows, hashed in order onto the chain with their records.

    An entry's hash covers the digest of the event records that point at it as they are
    written (`ledger.seal`): a record is booked together with its entry, so both are in the
    same write. (Master data and documents post no entry and are not sealed.)
    """
    texts: dict[int, list[str]] = defaultdict(list)
    first = book.new_entries[0][0]
    for rec in book.changed_records:
        if rec.entry_id is not None and rec.entry_id >= first and rec.table not in MASTER_KINDS:
            table = RECORD_TABLES[rec.table].__table__
            texts[rec.entry_id].append(record_digest(table, rec.values))
    prev_id, prev = book.chain_tip()
    rows = []
    for eid, e in book.new_entries:
        digest = records_hash(texts[eid]) if eid in texts else None
        this = entry_hash(prev, eid, e, digest)
        rows.append((eid, e.date, e.kind, e.ref, e.memo, e.reverses_id, prev, this, digest))
        prev_id, prev = eid, this
    book.written((prev_id, prev))
    return rows


POSTING_COLUMNS = ("id", "entry_id", "seq", "account", "commodity", "quantity", "value",
                   "currency", "lot_id", "pledge_line_id")  # fmt: skip


def bulk_insert(conn: Connection, table: Table, columns: tuple[str, ...],
                rows: Iterable[tuple[Any, ...]]) -> None:  # fmt: skip
    """Insert many rows the fastest way each engine offers, inside the caller's transaction.

    PostgreSQL: COPY FROM STDIN (≈10× executemany). SQLite: the driver's executemany on plain
    tuples; the driver's adapters (registered in `ledger.db.engine`) turn decimals into their
    canonical text (what `ExactDecimal` stores) and dates into ISO text, skipping the
    per-parameter processing of SQLAlchemy's Core insert. JSON columns take JSON text (a row's
    `src`) on every engine. The statement text is built only from the table's own column names,
    never from data.
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
        _sqlite_insert(driver, table.name, columns, rows)  # type: ignore[arg-type]
        return
    # any other engine: SQLAlchemy's types, which would quote JSON handed over as text again
    text_json = [c for c in columns if isinstance(table.c[c].type, JSON)]
    params = [dict(zip(columns, row, strict=True)) for row in rows]
    for p in params:
        p.update({c: json.loads(p[c]) for c in text_json if isinstance(p[c], str)})
    if params:
        conn.execute(insert(table), params)


# Rows per SQLite INSERT statement. One statement of many rows binds them all, then steps once:
# ~1.5-2x faster than executemany, which resets and steps the statement again for every row.
SQLITE_ROWS_PER_STATEMENT = 250


def _sqlite_insert(driver: sqlite3.Connection, name: str, columns: tuple[str, ...],
                   rows: Iterable[tuple[Any, ...]]) -> None:  # fmt: skip
    """Insert rows into `name` by statements of many rows each; the rest by executemany.

    Decimals and dates are bound by the driver's adapters (registered in `ledger.db.engine`).
    """
    per = max(1, min(SQLITE_ROWS_PER_STATEMENT,
                     driver.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) // len(columns)))  # fmt: skip
    head = f"INSERT INTO {name} ({', '.join(columns)}) VALUES "  # noqa: S608 - schema names only
    one = f"({', '.join('?' * len(columns))})"
    many = head + ", ".join([one] * per)
    cur = driver.cursor()
    try:
        it = iter(rows)
        while len(chunk := list(islice(it, per))) == per:
            cur.execute(many, list(chain.from_iterable(chunk)))
        if chunk:
            cur.executemany(head + one, chunk)
    finally:
        cur.close()


def bulk_update(conn: Connection, table: Table, keys: tuple[str, ...],
                columns: tuple[str, ...], rows: Iterable[tuple[Any, ...]]) -> None:  # fmt: skip
    """UPDATE many rows by key in one executemany: each row is its key values, then the new
    values of `columns` (the few rows an import or an event changes that already existed)."""
    n = len(keys)
    params = [
        {**{f"k_{k}": v for k, v in zip(keys, row[:n], strict=True)},
         **{f"v_{c}": v for c, v in zip(columns, row[n:], strict=True)}}
        for row in rows
    ]  # fmt: skip
    if params:
        conn.execute(
            update(table)
            .where(*(table.c[k] == bindparam(f"k_{k}") for k in keys))
            .values({c: _bound(conn, table, c) for c in columns}),
            params,
        )


def _bound(conn: Connection, table: Table, column: str) -> Any:
    """The parameter of one column; JSON columns take the row's JSON text as it is, as in
    `bulk_insert`, so a corrected record keeps the text its seal covers (`ledger.seal`)."""
    param = bindparam(f"v_{column}")
    if not isinstance(table.c[column].type, JSON):
        return param
    text = bindparam(f"v_{column}", type_=Text)
    # PostgreSQL: text to json keeps the text; SQLite stores the text as it is
    return cast(text, JSON) if conn.dialect.name == "postgresql" else type_coerce(text, Text)


def _write_records(conn: Connection, book: Book) -> None:
    """Insert new and update corrected records; `src` arrives as JSON text (`Row.canonical`)."""
    inserts: dict[str, list[dict[str, Any]]] = defaultdict(list)
    updates: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in book.changed_records:
        (updates if rec.stored else inserts)[rec.table].append(rec.values)
        rec.stored = True
    for kind, table in RECORD_TABLES.items():  # dict order = dependency order
        if inserts.get(kind):
            columns = tuple(inserts[kind][0])
            bulk_insert(conn, table.__table__, columns,
                        [tuple(values.values()) for values in inserts[kind]])  # fmt: skip
        if updates.get(kind):
            if kind in t.VERSIONS:
                _keep_versions(conn, table.__table__, t.VERSIONS[kind],
                               [values["id"] for values in updates[kind]])  # fmt: skip
            elif kind == "documents":  # corrected on purpose (`import --correct-documents`)
                _keep_versions(conn, table.__table__, t.DOCUMENT_VERSIONS,
                               [values["id"] for values in updates[kind]],
                               replaced_at=dt.datetime.now(dt.UTC).replace(tzinfo=None))  # fmt: skip
            keys = RECORD_KEYS[kind]
            cols = tuple(c for c in updates[kind][0] if c not in keys)
            bulk_update(conn, table.__table__, keys, cols,
                        [(*(v[k] for k in keys), *(v[c] for c in cols)) for v in updates[kind]])  # fmt: skip


def _keep_versions(conn: Connection, table: Table, versions: Table, ids: list[int],
                   **also: Any) -> None:  # fmt: skip
    """Copy the records about to be corrected, as they stand, into their versions table;
    `also`: a value for each further column of that table (a document's `replaced_at`)."""
    columns = [c.name for c in table.columns]
    extra = [literal(v, versions.c[name].type).label(name) for name, v in also.items()]
    for start in range(0, len(ids), 500):  # bound parameters per statement stay few
        chunk = ids[start : start + 500]
        conn.execute(insert(versions).from_select(
            [*columns, *also],
            select(*(table.c[c] for c in columns), *extra).where(table.c.id.in_(chunk)),
        ))  # fmt: skip


BALANCE_COLUMNS = ("key", "account", "commodity", "lot_id", "pledge_line_id", "currency", "kind",
                   "quantity", "value")  # fmt: skip


def _write_balances(conn: Connection, book: Book) -> None:
    dirty = book.dirty_balances()
    # In key order: the B-trees (key, account+commodity) are then filled page by page instead of
    # at random places; at 1M postings (700k new lines) that took the write from 22 s to 15 s.
    dirty.sort(key=attrgetter("account", "commodity"))
    bulk_insert(conn, t.Balance.__table__, BALANCE_COLUMNS, (  # a generator: a 1M-posting
        (_key(b), b.account, b.commodity, b.lot_id, b.pledge_line_id, b.currency, b.kind,
         b.quantity, b.value)  # import has 700k of these; they are never all in a list
        for b in dirty if not b.stored
    ))  # fmt: skip
    bulk_update(conn, t.Balance.__table__, ("key",), ("quantity", "value"),
                [(_key(b), b.quantity, b.value) for b in dirty if b.stored])  # fmt: skip
    for b in dirty:
        b.stored, b.dirty = True, False


HOLDING_KEY = ("account", "commodity", "currency")
HOLDING_VALUES = ("quantity", "value", "live")
TOTAL_KEY = ("account", "commodity")
TOTAL_VALUES = ("quantity", "value", "currency", "live")
FIGURE_KEY = ("donor", "recipient", "item", "currency")


def _write_summaries(conn: Connection, book: Book) -> None:
    """Insert new and update changed `holding`, `holding_total` and `figure` rows."""
    holdings = book.dirty_holdings()
    holdings.sort(key=attrgetter("account", "commodity", "currency"))  # key order, as balances
    rows = [(h.account, h.commodity, h.currency, h.quantity, h.value, h.live) for h in holdings]
    _insert_or_update(conn, t.Holding.__table__, HOLDING_KEY, HOLDING_VALUES, rows,
                      [h.stored for h in holdings])  # fmt: skip
    _write_holding_totals(conn, book, holdings)
    figures = book.dirty_figures()
    figures.sort(key=attrgetter("donor", "recipient", "item", "currency"))  # key order
    rows = [(f.donor, f.recipient, f.item, f.currency, *(f.values[c] for c in FIGURE_COLUMNS))
            for f in figures]  # fmt: skip
    _insert_or_update(conn, t.Figure.__table__, FIGURE_KEY, FIGURE_COLUMNS, rows,
                      [f.stored for f in figures])  # fmt: skip
    for line in (*holdings, *figures):
        line.stored, line.dirty = True, False


def _insert_or_update(conn: Connection, table: Table, keys: tuple[str, ...],
                      columns: tuple[str, ...], rows: list[tuple[Any, ...]],
                      stored: list[bool]) -> None:  # fmt: skip
    """Rows (key values, then `columns`) go in by `bulk_insert` if new, `bulk_update` if stored."""
    bulk_insert(
        conn, table, keys + columns, [r for r, s in zip(rows, stored, strict=True) if not s]
    )
    bulk_update(conn, table, keys, columns, [r for r, s in zip(rows, stored, strict=True) if s])


def _write_holding_totals(conn: Connection, book: Book, dirty: list[HoldingLine]) -> None:
    """Re-roll the (account, commodity) totals whose holdings changed.

    A total row exists exactly when one of its holdings is stored (they are written together),
    so that decides insert or update; call before the holdings are marked stored.
    """
    rows, stored = [], []
    for pair in dict.fromkeys((h.account, h.commodity) for h in dirty):
        lines = book.pair_holdings(*pair)
        rows.append((*pair, *roll_up((x.currency, x.quantity, x.value, x.live) for x in lines)))
        stored.append(any(x.stored for x in lines))
    _insert_or_update(conn, t.HoldingTotal.__table__, TOTAL_KEY, TOTAL_VALUES, rows, stored)


def _key(b: Any) -> str:
    """The stored key: `Posting.balance_key` and the entry kind."""
    return (f"{b.account}|{b.commodity}|{b.lot_id or ''}|{b.pledge_line_id or ''}|"
            f"{b.currency or ''}|{b.kind}")  # fmt: skip


# ---------------------------------------------------------------- verify


@dataclass(frozen=True)
class VerifyResult:
    ok: bool
    entries: int
    problem: str | None = None
    entry_id: int | None = None


def verify(conn: Connection, progress: Callable[[int, int], None] | None = None) -> VerifyResult:
    """Walk the hash chain, re-check each entry's balance, and compare stored running balances.

    Stops at the first entry whose stored hash, predecessor link or balance disagrees: that is
    where the journal was changed behind the ledger's back. Entries and postings are streamed
    side by side in id order, so the journal itself is never held in memory. `progress` hears
    (entries walked, entries stored) every `PROGRESS_ENTRIES` and once the walk is done; the
    comparison of the running balances comes after (a few seconds at a million postings).
    """
    total = conn.execute(select(func.count()).select_from(t.Entry)).scalar_one() if progress else 0
    totals: dict[tuple[Any, ...], list[Decimal]] = defaultdict(lambda: [ZERO, ZERO])
    groups = _postings_by_entry(conn)
    pending = next(groups, None)
    orphan: int | None = None  # the first posting group whose entry does not exist
    prev = GENESIS_HASH
    count = 0
    seals: dict[int, tuple[str, str]] = {}  # entry id -> (records hash, ref)
    reversed_ids: set[int] = set()
    e = t.Entry
    entries = conn.execution_options(yield_per=STREAM_ROWS).execute(
        select(e.id, e.date, e.kind, e.ref, e.memo, e.reverses_id, e.prev_hash, e.hash,
               e.records_hash).order_by(e.id)
    )  # fmt: skip
    for row in entries:
        count += 1
        if progress and count % PROGRESS_ENTRIES == 0:
            progress(count, total)
        while pending is not None and pending[0] < row.id:
            orphan = pending[0] if orphan is None else orphan
            pending = next(groups, None)
        postings: tuple[Posting, ...] = ()
        if pending is not None and pending[0] == row.id:
            postings = pending[1]
            pending = next(groups, None)
        entry = Entry(row.date, row.kind, row.ref, postings, row.memo, row.reverses_id)
        for posting in entry.postings:
            acc = totals[(posting.account, posting.commodity, posting.lot_id,
                          posting.pledge_line_id, posting.currency, entry.kind)]  # fmt: skip
            acc[0] += posting.quantity
            acc[1] += posting.value or ZERO
        if row.prev_hash != prev:
            return VerifyResult(False, count, f"entry {row.id} ({row.ref}) does not link to the "
                                "entry before it: an entry was removed or reordered", row.id)  # fmt: skip
        if entry_hash(prev, row.id, entry, row.records_hash) != row.hash:
            return VerifyResult(False, count, f"entry {row.id} ({row.ref}) was changed after it "
                                "was written: its hash no longer matches", row.id)  # fmt: skip
        try:
            entry.check_balanced()
        except UnbalancedEntry as exc:
            return VerifyResult(False, count, f"entry {row.id}: {exc}", row.id)
        if row.records_hash is not None:
            seals[row.id] = (row.records_hash, row.ref)
        if row.reverses_id is not None:
            reversed_ids.add(row.reverses_id)
        prev = row.hash
    if progress:
        progress(total, total)
    if orphan is None and pending is not None:
        orphan = pending[0]
    if orphan is not None:
        return VerifyResult(False, count, f"postings refer to entry {orphan}, which does not exist",
                            orphan)  # fmt: skip
    found = _check_records(conn, seals, reversed_ids)
    if found:
        return VerifyResult(False, count, found[0], found[1])
    problem = _check_balances(conn, totals)
    if problem:
        return VerifyResult(False, count, problem)
    problem = _check_summaries(conn, totals)
    if problem:
        return VerifyResult(False, count, problem)
    return VerifyResult(True, count)


STREAM_ROWS = 20_000  # rows fetched at a time when `verify` streams the journal
PROGRESS_ENTRIES = 1_000  # entries walked between two reports to `verify`'s progress


SEALED_TABLES = tuple(table.__table__ for table in RECORD_TABLES.values()
                      if "entry_id" in table.__table__.columns)  # fmt: skip


def _check_records(conn: Connection, seals: dict[int, tuple[str, str]],
                   reversed_ids: set[int]) -> tuple[str, int | None] | None:  # fmt: skip
    """Compare the event records with the seals their entries' hashes cover (`ledger.seal`).

    Returns (problem, entry id) for the first record changed, moved, added or removed behind
    the ledger's back. Every event record is booked by an entry, so once a ledger seals its
    records (from the first sealed entry on), a record must point at a sealed entry; one
    pointing at no entry, or at a later entry that sealed nothing (a reversal), was made or
    moved outside AidLedger. A sealed entry whose record is gone is fine only if it was
    reversed and its record corrected: then a later sealed entry of the same reference holds
    it. Records of entries written before records were sealed are not covered.
    """
    first_sealed = min(seals, default=None)
    booked: dict[int, list[tuple[str, str, int]]] = defaultdict(list)  # entry -> records
    for table in SEALED_TABLES:
        columns = [cast(c, Text).label("src") if c.name == "src" else c for c in table.columns]
        rows = conn.execution_options(yield_per=STREAM_ROWS).execute(
            select(*columns).order_by(table.c.id)
        )  # `src` as its JSON text, as sealed
        for row in rows:
            values = row._mapping
            entry_id = values["entry_id"]
            if entry_id in seals:
                booked[entry_id].append((record_digest(table, values), table.name, values["id"]))
            elif first_sealed is not None and (entry_id is None or entry_id >= first_sealed):
                what = "no entry" if entry_id is None else f"entry {entry_id}, which booked none"
                return (f"{table.name} {values['id']} points at {what}: it was added or moved "
                        "behind the ledger's back", entry_id)  # fmt: skip
    found = _check_versions(conn, seals, reversed_ids, booked)
    if found:
        return found
    held = {seals[entry_id][1] for entry_id in booked}  # refs whose record is where it belongs
    kept_from = _versions_kept_from(conn)
    by_ref: dict[str, list[int]] = defaultdict(list)  # ref -> its sealed entries, in id order
    for entry_id in sorted(seals):
        by_ref[seals[entry_id][1]].append(entry_id)
    for entry_id, (sealed, ref) in seals.items():
        records = booked.pop(entry_id, None)
        if records is None:
            corrected_by = _correction_that_kept(entry_id, ref, by_ref[ref], kept_from)
            if entry_id in reversed_ids and corrected_by is not None:
                return (f"the version of {ref} that entry {entry_id} booked, kept when entry "
                        f"{corrected_by} corrected it, is gone: it was deleted behind the "
                        "ledger's back", entry_id)  # fmt: skip
            if entry_id in reversed_ids and ref in held:  # corrected: a later entry holds it
                continue
            return (f"the record entry {entry_id} ({ref}) booked is gone: it was deleted or "
                    "moved behind the ledger's back", entry_id)  # fmt: skip
        if records_hash(d for d, _table, _id in records) != sealed:
            names = ", ".join(f"{table} {rid}" for _d, table, rid in records)
            return (f"{names} (booked by entry {entry_id}, {ref}) was changed after it was "
                    "written: the entry's seal no longer matches", entry_id)  # fmt: skip
    return None


def _correction_that_kept(entry_id: int, ref: str, same_ref: list[int],
                          kept_from: int | None) -> int | None:  # fmt: skip
    """The entry that corrected the record `entry_id` booked, if it was booked where
    corrections keep the version they replace (its kind has versions, and it is not older than
    `kept_from`); None when no version was to be kept."""
    if kept_from is None or ref.split(":", 1)[0] not in t.VERSIONED_ENTRY_KINDS:
        return None
    later = same_ref[same_ref.index(entry_id) + 1 :]
    return later[0] if later and later[0] >= kept_from else None


def _versions_kept_from(conn: Connection) -> int | None:
    """The first entry whose corrections keep superseded versions (None before revision
    0007's ledger setting, i.e. never on this ledger)."""
    s = t.LedgerSetting
    value = conn.execute(select(s.value).where(s.name == t.VERSIONS_KEPT_FROM)).scalar()
    return int(value) if value is not None else None


def _check_versions(conn: Connection, seals: dict[int, tuple[str, str]], reversed_ids: set[int],
                    booked: dict[int, list[tuple[str, str, int]]]) -> tuple[str, int | None] | None:  # fmt: skip
    """Add the superseded versions to what their (reversed) entries booked, so a corrected
    record's earlier version is checked against its entry's seal like any record; a version
    whose entry was never reversed was not replaced by a correction."""
    for kind, versions in t.VERSIONS.items():
        table = RECORD_TABLES[kind].__table__
        columns = [cast(versions.c[c.name], Text).label("src") if c.name == "src"
                   else versions.c[c.name] for c in table.columns]  # fmt: skip
        for row in conn.execute(select(*columns).order_by(versions.c.version_id)):
            values = row._mapping
            entry_id = values["entry_id"]
            if entry_id not in reversed_ids:
                return (f"{versions.name}: a version of {table.name} {values['id']} whose entry "
                        f"{entry_id} stands was added behind the ledger's back", entry_id)  # fmt: skip
            if entry_id in seals:
                booked[entry_id].append((record_digest(table, values), versions.name,
                                         values["id"]))  # fmt: skip
    return None


def _postings_by_entry(conn: Connection) -> Iterator[tuple[int, tuple[Posting, ...]]]:
    """(entry id, its postings in order) for every entry id that has postings, ascending."""
    p = t.Posting
    rows = conn.execution_options(yield_per=STREAM_ROWS).execute(
        select(p.entry_id, p.account, p.commodity, p.quantity, p.value, p.currency, p.lot_id,
               p.pledge_line_id).order_by(p.entry_id, p.seq)
    )  # fmt: skip
    for entry_id, group in groupby(rows, key=itemgetter(0)):
        yield entry_id, tuple(Posting(*r[1:]) for r in group)


def _check_balances(conn: Connection, totals: dict[tuple[Any, ...], list[Decimal]]) -> str | None:
    """Compare the stored running balances, streamed, with the journal's; the first mismatch."""
    b = t.Balance
    seen: set[tuple[Any, ...]] = set()
    for r in conn.execution_options(yield_per=STREAM_ROWS).execute(
        select(b.account, b.commodity, b.lot_id, b.pledge_line_id, b.currency, b.kind,
               b.quantity, b.value)
    ):  # fmt: skip
        key = tuple(r[:6])
        want = totals.get(key)
        if want is None:
            if (r.quantity, r.value) != (ZERO, ZERO):
                return f"running balance {_show(key)} has no postings behind it"
            continue
        seen.add(key)
        if want != [r.quantity, r.value]:
            return f"running balance {_show(key)} disagrees with the journal"
    for key, want in totals.items():
        if key not in seen and want != [ZERO, ZERO]:
            return f"running balance {_show(key)} disagrees with the journal"
    return None


def _show(key: tuple[Any, ...]) -> str:
    return "|".join("" if k is None else str(k) for k in key)


def _check_summaries(conn: Connection, totals: dict[tuple[Any, ...], list[Decimal]]) -> str | None:
    """Recompute `holding` and `figure` from the journal's balances; name the first mismatch."""
    expected = summaries_from(conn, (BalanceFact(*key, q, v) for key, (q, v) in totals.items()))
    h = t.Holding
    stored_h = {
        (r.account, r.commodity, r.currency): [r.quantity, r.value, Decimal(r.live)]
        for r in conn.execute(select(h.account, h.commodity, h.currency, h.quantity, h.value,
                                     h.live))
    }  # fmt: skip
    for key in expected.holdings.keys() | stored_h.keys():
        if expected.holdings.get(key, [ZERO] * 3) != stored_h.get(key, [ZERO] * 3):
            return f"holding {'|'.join(key)} disagrees with the journal"
    stored_t = {
        (r.account, r.commodity): (r.quantity, r.value, r.currency, r.live)
        for r in conn.execute(select(t.HoldingTotal.__table__))
    }
    expected_t = expected.holding_totals()
    for key in expected_t.keys() | stored_t.keys():
        if expected_t.get(key, (ZERO, ZERO, None, 0)) != stored_t.get(key, (ZERO, ZERO, None, 0)):
            return f"holding total {'|'.join(key)} disagrees with the journal"
    stored_f = {
        (r["donor"], r["recipient"], r["item"], r["currency"]): {c: r[c] for c in FIGURE_COLUMNS}
        for r in conn.execute(select(t.Figure.__table__)).mappings()
    }
    for key in expected.figures.keys() | stored_f.keys():
        want = expected.figures.get(key, {})
        have = stored_f.get(key, {})
        if any(want.get(c, ZERO) != have.get(c, ZERO) for c in FIGURE_COLUMNS):
            return f"reconciliation figure {'|'.join(key)} disagrees with the journal"
    return None


def summaries_from(conn: Connection, facts: Iterable[BalanceFact]) -> Totals:
    """The holding and figure summaries that running balances and receipt lines imply."""
    s, p, r = t.ShipmentLine, t.PledgeLine, t.ReceiptLine
    lots = {row.id: row for row in conn.execute(select(s.id, s.donor, s.recipient, s.item))}
    pledges = {row.id: (row.donor, row.recipient)
               for row in conn.execute(select(p.id, p.donor, p.recipient))}  # fmt: skip
    totals = Totals.from_balances(facts, {i: (x.donor, x.recipient) for i, x in lots.items()},
                                  pledges)  # fmt: skip
    reversed_ids = set(
        conn.execute(select(t.Entry.reverses_id).where(t.Entry.reverses_id.is_not(None))).scalars()
    )
    totals.add_receipts(
        (lots[row.shipment_line_id].donor, lots[row.shipment_line_id].recipient,
         lots[row.shipment_line_id].item, row.value_uah)
        for row in conn.execute(select(r.shipment_line_id, r.value_uah, r.entry_id))
        if row.entry_id not in reversed_ids
    )  # fmt: skip
    return totals
