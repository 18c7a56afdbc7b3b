"""`Ledger`: the Python front door. The CLI is a thin skin over this class.

Every write runs in one writer transaction (single-writer lock, BEGIN IMMEDIATE on SQLite): a
`Book` is opened, the event is booked against it, and the journal is written; any refusal rolls
the whole transaction back, so the ledger is exactly as before.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, and_, insert, inspect, literal, select, text
from sqlalchemy.engine import make_url

from ledger import queries
from ledger.db import tables as t
from ledger.db.engine import (
    known_revisions,
    make_engine,
    others_connected,
    reader,
    resolve_url,
    schema_revision,
    schema_revision_of,
    upgrade,
    writer,
)
from ledger.errors import LedgerError, NotFound
from schemas.outputs import BalanceRow, EntryRow, ReconRow

if TYPE_CHECKING:  # writing, booking (row schemas) and the importer (openpyxl) load when used
    from ledger.book import Book
    from ledger.booking import Outcome
    from ledger.importer.pipeline import ImportReport, Progress
    from ledger.journal import VerifyResult
    from schemas.rows import Row

MONTH_RE = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite ledger URL; None for other engines, in memory or an SQLite URI."""
    parsed = make_url(url)
    path = parsed.database
    uri = parsed.query.get("uri") or (path or "").startswith("file:")  # SQLite URI: its own
    if parsed.get_backend_name() != "sqlite" or not path or path == ":memory:" or uri:
        return None
    return Path(path)


def must_exist(url: str) -> None:
    """Refuse an SQLite ledger file that is not there."""
    path = sqlite_file(url)
    if path is not None and not path.is_file():
        raise NotFound(f"no ledger at {path}: give --db (or AIDLEDGER_DB) of an existing "
                       "ledger, or import into this one first")  # fmt: skip


def sqlite_tables(url: str) -> tuple[str, list[str], str | None] | None:
    """(path, table names, schema revision) of an existing SQLite file, read without changing
    a byte of it; None for other engines, in-memory databases and files SQLite cannot read
    (the engine says why)."""
    path = sqlite_file(url)
    if path is None or not path.is_file():
        return None
    import sqlite3
    from urllib.parse import quote

    try:
        conn = sqlite3.connect(f"file:{quote(str(path.absolute()))}?mode=ro", uri=True)
        try:
            names = [
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            ]
            revision = None
            if "alembic_version" in names:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
                revision = row[0] if row else None
        finally:
            conn.close()
    except sqlite3.Error:
        return None
    return str(path), sorted(names), revision


def refuse_unknown_schema(shown: str, revision: str | None) -> None:
    """Refuse a database stamped by Alembic with a revision that is none of ours: another
    application's schema (or a newer AidLedger's), which migrating would break."""
    if revision is not None and revision not in known_revisions():
        raise NotFound(f"{shown} is not a ledger of this AidLedger: its schema revision "
                       f"{revision!r} is not one of ours (another application's database, or "
                       "a ledger of a newer AidLedger)")  # fmt: skip


def refuse_other_database(shown: str, tables: list[str], create: bool) -> None:
    """Refuse a database with no ledger in it: another application's (it has tables), or an
    empty one opened by a command that only reads."""
    if tables:
        listed = ", ".join(tables[:5]) + (", …" if len(tables) > 5 else "")
        raise NotFound(f"{shown} is not a ledger: it holds other tables ({listed}); give --db "
                       "(or AIDLEDGER_DB) of a ledger or of a new, empty database")  # fmt: skip
    if not create:
        raise NotFound(f"no ledger in {shown} (an empty database): give --db (or AIDLEDGER_DB) "
                       "of an existing ledger, or import into this one first")  # fmt: skip


def _holds_nothing(conn: Connection) -> bool:
    """No row in any table of the ledger's own (the schema's settings are not its content)."""
    return all(conn.execute(select(literal(1)).select_from(table).limit(1)).first() is None
               for table in t.Base.metadata.sorted_tables
               if table is not t.LedgerSetting.__table__)  # fmt: skip


class Ledger:
    """One ledger database. Opens (and migrates) it on construction."""

    def __init__(self, url: str | None = None, *, migrate: bool = True,
                 create: bool = True) -> None:  # fmt: skip
        """`create=False`: an SQLite file that does not exist is refused instead of made (a
        read-only command given a mistyped path would otherwise answer from an empty ledger)."""
        self.url = resolve_url(url)
        if not create:
            must_exist(self.url)
        if migrate and (found := sqlite_tables(self.url)) is not None:
            path, tables, revision = found
            if "alembic_version" not in tables:
                refuse_other_database(path, tables, create)
            refuse_unknown_schema(path, revision)
        self.engine: Engine = make_engine(self.url)
        # a server database this opening laid the ledger's schema into (`drop_if_empty`)
        self.created = False
        if migrate:
            self.created = self._refuse_other_databases(create)
            upgrade(self.engine)

    def _refuse_other_databases(self, create: bool) -> bool:
        """Never lay our schema into another application's database, and let only writers
        start a ledger: a read-only command given the wrong `--db` must change nothing there.
        Returns whether a server database is empty, so that opening it starts a ledger."""
        if self.engine.url.get_backend_name() == "sqlite":
            return False  # looked at before opening (`sqlite_tables`): opening switches it to WAL
        revision = schema_revision(self.engine)
        if revision is not None:
            shown = self.engine.url.render_as_string(hide_password=True)
            try:
                refuse_unknown_schema(shown, revision)
            except NotFound:
                self.close()
                raise
            return False
        with self.engine.connect() as conn:
            others = sorted(inspect(conn).get_table_names())
        if others or not create:
            self.close()
        refuse_other_database(self.engine.url.render_as_string(hide_password=True), others, create)
        return True

    def drop_if_empty(self) -> bool:
        """Take the ledger's schema out of a server database again while it holds nothing: a
        refused first import into an empty PostgreSQL database leaves it as it was, as on
        SQLite (where the new file goes), and later commands do not answer from an empty
        ledger. Under the writer lock, so a command that wrote to it meanwhile keeps it."""
        from ledger.db import guards

        if self.engine.url.get_backend_name() == "sqlite":
            return False
        with writer(self.engine) as conn:
            if schema_revision_of(conn) is None:  # another refused command took it out already
                return False
            # another command that opened the ledger but has not taken the lock yet would
            # find its tables gone: while any other session is connected, the schema stays
            if not _holds_nothing(conn) or others_connected(conn):
                return False
            for statement in guards.drop_statements(conn.dialect.name):
                conn.execute(text(statement))
            t.Base.metadata.drop_all(conn)
            conn.execute(text("DROP TABLE alembic_version"))
            conn.execute(text("DROP FUNCTION IF EXISTS aidledger_versions_append_only()"))
        return True

    def holds_nothing(self) -> bool:
        """Whether no table of the ledger has a row (read under the writer lock, so a writer
        that is about to commit has done so or waits)."""
        with writer(self.engine) as conn:
            return _holds_nothing(conn)

    @property
    def sqlite_path(self) -> str | None:
        """The database file of an SQLite ledger (None for PostgreSQL or in memory)."""
        url = self.engine.url
        return url.database if url.get_backend_name() == "sqlite" and url.database else None

    def close(self) -> None:
        self.engine.dispose()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def booking(self, *, bulk: bool = False) -> Iterator[Book]:
        """A Book inside a writer transaction; what it booked is written when the block ends.

        `bulk` loads whole tables once (imports); otherwise only what the event touches.
        """
        with writer(self.engine) as conn:
            from ledger import journal
            from ledger.book import Book

            book = Book(conn, bulk=bulk)
            yield book
            journal.write(book)

    # ---------------------------------------------------------------- writing

    def post(self, row: Row, *, rebook_reversed: bool = False, correct_rates: bool = False,
             correct_documents: bool = False) -> Outcome:  # fmt: skip
        """Book one row of any kind (master data or event); idempotent under its natural key.

        A row equal to a record whose entry was reversed is left so (`still reversed`) unless
        `rebook_reversed`: then it is booked again (`booked again`, no correction), as the
        CLI's one-event commands do (e.g. a receipt posted again once the rate of its day is on
        file). A script replaying its rows keeps its reversals. A conflict speaks of the posted
        event ("the command has …, then post it again"), not of a file. `correct_rates`,
        `correct_documents`: as for `import_files`.
        """
        from ledger.booking import book_row

        with self.booking() as book:
            return book_row(book, row, rebook_reversed=rebook_reversed,
                            correct_rates=correct_rates, correct_documents=correct_documents,
                            one_event=True)  # fmt: skip

    def entry_of(self, row: Row) -> int | None:
        """The journal entry that booked the record under this row's natural key (the id
        `reverse` takes), or None for master data and unknown keys."""
        from ledger.book import RECORD_KEYS, RECORD_TABLES

        table = RECORD_TABLES[row.kind].__table__
        if "entry_id" not in table.columns:
            return None
        where = [table.c[k] == v for k, v in zip(RECORD_KEYS[row.kind], row.key, strict=True)]
        with reader(self.engine) as conn:
            return conn.execute(select(table.c.entry_id).where(*where)).scalar()

    def rate_now_on_file(self, row: Row) -> bool:
        """Whether the receipt under this row's key stands unvalued while the NBU rate of its
        day is now on file: posting it again unchanged leaves it so (a UAH value is fixed when
        a receipt is posted); reversing it and posting it again values it."""
        if row.kind != "receipts":
            return False
        r, s, f = t.ReceiptLine, t.ShipmentLine, t.FxRate
        keys = ("receipt_ref", "shipment_ref", "line_no")  # its natural key (FORMATS)
        where = [r.__table__.c[k] == v for k, v in zip(keys, row.key, strict=True)]
        query = (select(f.rate).select_from(r).join(s, s.id == r.shipment_line_id)
                 .join(f, and_(f.date == r.date, f.currency == s.currency, f.base == "UAH"))
                 .where(*where, r.value_uah.is_(None)))  # fmt: skip
        with reader(self.engine) as conn:
            return conn.execute(query).first() is not None

    def import_files(self, paths: list[Path], progress: Progress | None = None, *,
                     correct_rates: bool = False,
                     correct_documents: bool = False) -> ImportReport:  # fmt: skip
        """`correct_rates`: a changed FX rate replaces the stored (mistyped) one, while no
        standing receipt was valued at it; otherwise it is a conflict like any changed row.
        `correct_documents`: a changed document row (signed since, another signatory, date,
        file …) replaces the one on file under its key, which is kept in `document_version`;
        otherwise it is a conflict. Any other changed row stays a conflict either way."""
        from ledger.importer.pipeline import fewer_collections, import_into

        # the importer chooses how it loads (`worth_bulk`); the journal is written on exit
        with fewer_collections(), self.booking() as book:
            return import_into(book, paths, progress, correct_rates=correct_rates,
                               correct_documents=correct_documents)  # fmt: skip

    def reverse(self, entry_id: int, reason: str, on: dt.date | None = None) -> int:
        from ledger.booking import book_reversal

        with self.booking() as book:
            return book_reversal(book, entry_id, reason, on)

    def close_period(self, month: str) -> list[str]:
        """Close a month; returns the receipts in it whose UAH value is still pending.

        They stay pending for good unless posted again in a later month: a re-post dated in
        the closed month is refused. The caller says so; closing is not refused for it.
        """
        if not MONTH_RE.match(month):
            raise LedgerError(f"period {month!r} is not a month: use YYYY-MM, e.g. 2023-05")
        with writer(self.engine) as conn:
            if conn.execute(select(t.ClosedPeriod).where(t.ClosedPeriod.month == month)).first():
                raise LedgerError(f"period {month} is already closed")
            conn.execute(
                insert(t.ClosedPeriod).values(
                    month=month, closed_at=dt.datetime.now(dt.UTC).replace(tzinfo=None)
                )
            )
            return queries.pending_receipts(conn, month)

    def open_months_before(self, month: str) -> list[str]:
        """Months before `month` that have entries and are not closed: postings dated in them
        still change `month`'s opening balances once it is closed (a warning, not a refusal)."""
        first = dt.date.fromisoformat(f"{month}-01")
        with reader(self.engine) as conn:
            closed = set(conn.execute(select(t.ClosedPeriod.month)).scalars())
            days = conn.execute(select(t.Entry.date).distinct().where(t.Entry.date < first))
            return sorted({d.strftime("%Y-%m") for d in days.scalars()} - closed)

    def closed_periods(self) -> list[str]:
        with reader(self.engine) as conn:
            return list(
                conn.execute(select(t.ClosedPeriod.month).order_by(t.ClosedPeriod.month)).scalars()
            )

    # ---------------------------------------------------------------- reading

    def balances(self, account: str | None = None, by_lot: bool = False) -> list[BalanceRow]:
        with reader(self.engine) as conn:
            return queries.balances(conn, account, by_lot)

    def require_account(self, prefix: str) -> None:
        """Refuse (`NotFound`) a prefix no account of the ledger starts with, naming close
        ones; `balances` itself answers such a prefix with no rows."""
        with reader(self.engine) as conn:
            queries.require_account(conn, prefix)

    def entries(self, ref: str | None = None, kind: str | None = None,
                since: dt.date | None = None, until: dt.date | None = None,
                last: int | None = None) -> list[EntryRow]:  # fmt: skip
        """Journal entries (id, date, kind, ref, memo, reversal links); `ref`: containing it;
        `last`: only the newest so many of those."""
        with reader(self.engine) as conn:
            return queries.entries(conn, ref, kind, since, until, last)

    def reconcile(self, donor: str | None = None, recipient: str | None = None) -> list[ReconRow]:
        with reader(self.engine) as conn:
            return queries.reconcile(conn, donor, recipient)

    def verify(self, progress: Progress | None = None) -> VerifyResult:
        """Check the stored journal; `progress(done, total)` hears of the entries walked."""
        from ledger import journal

        with reader(self.engine) as conn:
            return journal.verify(conn, progress)
