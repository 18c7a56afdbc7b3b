"""Opening a ledger database: engine settings per dialect, schema migration, writer transactions.

SQLite: WAL (readers never block the writer), foreign keys on, a busy timeout, LIKE
case-sensitive (as on PostgreSQL), and writers start with BEGIN IMMEDIATE so two
read-then-write transactions cannot both read and then fail with "database is locked". PostgreSQL: writers take one transaction-scoped advisory lock, which gives
the same single-writer discipline, so the no-negative-stock check cannot race.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event, inspect, make_url, text

DEFAULT_URL = "sqlite:///aidledger.db"
# "AIDD": the advisory lock AidLedger writers take, with the ledger's schema as its second key:
# ledgers in separate schemas of one database write independently (`writer`)
WRITER_LOCK_KEY = 0x41494444
# the ledger's schema: where its tables are found (the first schema of the search path that
# holds one, not merely the first that exists); before it has any, where they will be made
LOCK_LEDGER = text(
    "SELECT pg_advisory_xact_lock(:k, hashtext(coalesce((SELECT relnamespace::regnamespace::text "
    "FROM pg_class WHERE oid = to_regclass('alembic_version')), current_schema(), '')))"
)
MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"
# The newest migration; a test keeps it equal to Alembic's head, so opening an up-to-date
# database costs one query instead of loading Alembic.
SCHEMA_HEAD = "0008"


# How to write an SQLite ledger's URL, said whenever one is refused
SQLITE_FORMS = "sqlite:///relative/path.db or sqlite:////absolute/path.db (or just the path)"
# Database URL schemes: `sqlite:/x.db` (one slash) is a mistyped URL, not a file named so
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9.-]*)(\+[A-Za-z0-9.-]+)?:(?!//)")
DB_SCHEMES = ("sqlite", "postgresql", "postgres", "mysql", "mariadb", "oracle", "mssql")


def resolve_url(url: str | None) -> str:
    """`--db` wins, then AIDLEDGER_DB, then ./aidledger.db; a bare path means an SQLite file.

    Refused (`LedgerError`): an in-memory SQLite database (a ledger that keeps nothing), an
    SQLite URL with a host part (`sqlite://tmp/x.db`), a URL with one slash or none after its
    scheme (`sqlite:/tmp/x.db`, which would be taken for a path), and a URL that cannot be
    parsed."""
    from ledger.errors import LedgerError

    url = given = url or os.environ.get("AIDLEDGER_DB") or DEFAULT_URL
    if "://" not in url:
        if (m := _SCHEME.match(url)) and m.group(1).lower() in DB_SCHEMES:
            raise LedgerError(_one_slash(url, m.group(1).lower(), url[m.end() :]))
        url = f"sqlite:///{url}"
    for alias in ("postgresql://", "postgres://"):
        if url.startswith(alias):
            url = "postgresql+psycopg://" + url.removeprefix(alias)
    if not url.startswith(("sqlite:", "postgresql+psycopg:")):
        scheme = url.split("://", 1)[0]
        raise LedgerError(f"unsupported database {scheme!r}: give an SQLite path (or sqlite:///"
                          "path) or postgresql://user@host/db")  # fmt: skip
    from sqlalchemy.exc import ArgumentError

    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:
        raise LedgerError(f"{_hide_password(given)} is not a database URL AidLedger can read "
                          f"({exc}): give an SQLite path (or {SQLITE_FORMS.split(' (')[0]}) or "
                          "postgresql://user@host/db") from None  # fmt: skip
    if parsed.get_backend_name() == "sqlite":
        if parsed.host or parsed.username or parsed.port:
            raise LedgerError(f"{_hide_password(given)} is not a SQLite URL of a file: use "
                              f"{SQLITE_FORMS}")  # fmt: skip
        database = parsed.database or ""
        uri = parsed.query.get("uri") or database.startswith("file:")
        if (not database or database == ":memory:"
                or (uri and (":memory:" in database or "mode=memory" in url))):  # fmt: skip
            raise LedgerError("an in-memory SQLite database keeps nothing: give a file, e.g. "
                              "sqlite:///aidledger.db")  # fmt: skip
    return url


def _one_slash(given: str, scheme: str, rest: str) -> str:
    """The refusal of a URL written with fewer than two slashes after its scheme."""
    if scheme == "sqlite":
        path = rest.lstrip("/")
        path = ("/" if rest.startswith("/") else "") + (path or "aidledger.db")
        return (f"{given} is not a SQLite URL of a file: write sqlite:///{path} (or just the "
                f"path, {path})")  # fmt: skip
    return (f"{_hide_password(given)} is not a database URL (a URL has two slashes after "
            f"'{scheme}:'): write e.g. postgresql://user@host/db")  # fmt: skip


def _hide_password(url: str) -> str:
    """The URL as given, with any password in it replaced by ***."""
    return re.sub(r"^([^:/]+:/*[^:/@]*):[^@/]*@", r"\1:***@", url)


BUSY_TIMEOUT_MS = 30_000


def _wal(cur: Any) -> None:
    """Switch to WAL, waiting as a writer would: SQLite answers "database is locked" at once,
    without its busy handler, when another process is creating the same new file (several
    commands opening a new ledger at once)."""
    import sqlite3
    import time

    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            cur.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys = ON")
        cur.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _wal(cur)
        cur.execute("PRAGMA synchronous = NORMAL")
        # codes are case-sensitive (med.a and med.A are two items): a prefix (LIKE 'x%') must
        # match as on PostgreSQL, where `balance --account stock:kyiv` finds no stock:KYIV
        cur.execute("PRAGMA case_sensitive_like = ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {'IMMEDIATE' if mode == 'IMMEDIATE' else 'DEFERRED'}")


def _sqlite_adapters() -> None:
    """Let the sqlite3 driver store what `ExactDecimal` and `Date` store, for bulk writes.

    `journal.bulk_insert` hands the driver plain tuples; these adapters make a Decimal its
    canonical text and a date its ISO text inside the driver, with no Python pass per value.
    SQLAlchemy's own binds already arrive as text, so its results are unchanged.
    """
    import datetime as dt
    import sqlite3
    from decimal import Decimal

    from ledger.decimals import dstr

    sqlite3.register_adapter(Decimal, dstr)
    sqlite3.register_adapter(dt.date, dt.date.isoformat)


def make_engine(url: str | None = None) -> Engine:
    url = resolve_url(url)
    if url.startswith("sqlite"):
        _sqlite_adapters()
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)  # the URL is checked (`resolve_url`)
        _sqlite_events(engine)
    else:
        given = "application_name" in make_url(url).query
        engine = create_engine(url, pool_pre_ping=True,
                               connect_args={} if given else {"application_name": APP_NAME})  # fmt: skip
        event.listen(engine, "first_connect", _check_encoding, insert=True)
    return engine


# What this process's PostgreSQL sessions call themselves (unless the URL names one): the
# database administrator sees AidLedger in pg_stat_activity, and a refused first import tells
# its own sessions from another command's (`Ledger.drop_if_empty`).
APP_NAME = f"aidledger {os.getpid()}"


def others_connected(conn: Connection) -> bool:
    """Whether a session of another process is connected to this PostgreSQL database."""
    query = text("SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                 "AND pid <> pg_backend_pid() AND application_name IS DISTINCT FROM :mine")  # fmt: skip
    return bool(conn.execute(query, {"mine": APP_NAME}).scalar())


def _check_encoding(dbapi_conn: Any, _record: Any) -> None:
    """A ledger holds Ukrainian, Czech and Japanese text: a PostgreSQL database must be UTF8.
    (In SQL_ASCII the driver hands text back as bytes and every command failed obscurely, in
    SQLAlchemy's own first query; this runs before it.)"""
    encoding = dbapi_conn.info.parameter_status("server_encoding")
    if encoding and encoding.upper() not in ("UTF8", "UTF-8"):
        from ledger.errors import LedgerError

        raise LedgerError(f"the PostgreSQL database uses the {encoding} encoding; AidLedger "
                          "needs UTF8: CREATE DATABASE … ENCODING 'UTF8'")  # fmt: skip


@contextmanager
def writer(engine: Engine) -> Iterator[Connection]:
    """One write transaction holding the single-writer lock; rolls back on any exception.

    A writer waits for another one at most `BUSY_TIMEOUT_MS` on both engines (SQLite's busy
    timeout; PostgreSQL's lock_timeout, which would otherwise wait for ever and look hung),
    then is refused saying that another command is writing, not that the database is broken.
    """
    from sqlalchemy.exc import OperationalError

    with engine.connect() as conn:
        conn = conn.execution_options(sqlite_begin="IMMEDIATE")
        try:
            tx = conn.begin()
        except OperationalError as exc:  # SQLite: BEGIN IMMEDIATE waited in vain
            raise _busy(exc) from None
        with tx:
            if engine.dialect.name == "postgresql":
                try:
                    conn.execute(text("SELECT set_config('lock_timeout', :t, true)"),
                                 {"t": f"{BUSY_TIMEOUT_MS}ms"})  # fmt: skip
                    conn.execute(LOCK_LEDGER, {"k": WRITER_LOCK_KEY})
                    conn.execute(text("SET LOCAL lock_timeout TO DEFAULT"))  # the role's own
                except OperationalError as exc:
                    raise _busy(exc) from None
            yield conn


def _busy(exc: Exception) -> Exception:
    """A lock that never came: another AidLedger writer (an import, an event) holds the ledger."""
    from ledger.errors import LedgerError

    text_ = str(getattr(exc, "orig", exc)).lower()
    if "locked" not in text_ and "lock timeout" not in text_:
        return exc
    return LedgerError(f"another command is writing to this ledger (an import or an event); "
                       f"waited {BUSY_TIMEOUT_MS // 1000} s: try again once it has finished")  # fmt: skip


@contextmanager
def reader(engine: Engine) -> Iterator[Connection]:
    """One read transaction that sees one snapshot of the ledger throughout.

    SQLite's WAL read transaction does so by itself. PostgreSQL's default (READ COMMITTED)
    takes a new snapshot per statement, so a command reading several tables (`verify`: the
    journal, then the records, then the balances) could see a write committed half-way and
    report a disagreement that is not there: REPEATABLE READ, which a read-only transaction
    can use without ever failing to serialise.
    """
    with engine.connect() as conn:
        if engine.dialect.name == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin():
            yield conn


@cache
def known_revisions() -> frozenset[str]:
    """Our Alembic revisions: the migration files are named for them (`0006_….py`)."""
    return frozenset(p.name.split("_", 1)[0] for p in (MIGRATIONS_DIR / "versions").glob("*.py")
                     if p.name[:4].isdigit())  # fmt: skip


def schema_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return schema_revision_of(conn)


def schema_revision_of(conn: Connection) -> str | None:
    if not inspect(conn).has_table("alembic_version"):
        return None
    return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest Alembic revision (a no-op when it already is)."""
    revision = schema_revision(engine)
    if revision == SCHEMA_HEAD:
        return
    from alembic import command
    from alembic.config import Config
    from sqlalchemy.exc import DBAPIError

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    # Under the writer lock: two commands opening a new ledger at once would otherwise both
    # create the schema, and one fail with "database is locked" instead of waiting. The second
    # then finds the schema at head (Alembic reads the version inside the lock) and does nothing.
    try:
        with writer(engine) as conn:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    except DBAPIError as exc:
        if revision is None or not _no_privilege(exc):
            raise
        from ledger.errors import LedgerError

        raise LedgerError(
            f"this ledger's schema is at revision {revision} and this AidLedger needs "
            f"{SCHEMA_HEAD}; the upgrade, made by the first command that opens the ledger, "
            "needs the rights of the database's owner, which this role lacks: run one command "
            "(e.g. aidledger verify) as the owner first"
        ) from None


def _no_privilege(exc: Exception) -> bool:
    """A refusal for want of rights (SQLSTATE class 42501 on PostgreSQL; a read-only file on
    SQLite)."""
    orig = getattr(exc, "orig", None)
    return getattr(orig, "sqlstate", None) == "42501" or "readonly database" in str(orig)
