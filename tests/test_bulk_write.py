"""`journal.bulk_insert` stores every row exactly, however the rows fall into statements.

SQLite inserts many rows per statement and the remainder by executemany; PostgreSQL by COPY.
Whatever the count against the rows per statement, every row must arrive once and exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Column, Date, Engine, Integer, MetaData, String, Table, select

from ledger import journal
from ledger.db.engine import make_engine, writer
from ledger.db.types import ExactDecimal

META = MetaData()
PROBE = Table(
    "bulk_probe",
    META,
    Column("id", Integer, primary_key=True),
    Column("amount", ExactDecimal, nullable=True),
    Column("day", Date, nullable=False),
    Column("note", String, nullable=True),
)
COLUMNS = ("id", "amount", "day", "note")

amounts = st.one_of(st.none(), st.decimals(allow_nan=False, allow_infinity=False, places=4,
                                             min_value=-10**9, max_value=10**9))  # fmt: skip
notes = st.one_of(
    st.none(),
    st.text(st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), max_size=8),
)  # PG: no NUL


def _rows(data: list[tuple[Decimal | None, str | None]]) -> list[tuple[object, ...]]:
    start = dt.date(2024, 1, 1)
    return [(i, a, start + dt.timedelta(days=i % 400), n) for i, (a, n) in enumerate(data)]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = make_engine(db_url)
    META.create_all(engine)
    yield engine
    META.drop_all(engine)
    engine.dispose()


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])  # fmt: skip
@given(data=st.lists(st.tuples(amounts, notes), max_size=40), per=st.integers(1, 7),
       as_generator=st.booleans())  # fmt: skip
def test_every_row_arrives_once_and_exact(engine, monkeypatch: pytest.MonkeyPatch,
                                          data: list, per: int, as_generator: bool) -> None:  # fmt: skip
    monkeypatch.setattr(journal, "SQLITE_ROWS_PER_STATEMENT", per)
    rows = _rows(data)
    with writer(engine) as conn:
        conn.execute(PROBE.delete())
        journal.bulk_insert(conn, PROBE, COLUMNS, (r for r in rows) if as_generator else rows)
    with engine.connect() as conn:
        stored = [tuple(r) for r in conn.execute(select(PROBE).order_by(PROBE.c.id))]
    assert stored == rows


@pytest.mark.parametrize("at", [300, 600], ids=["inside-a-statement", "in-the-remainder"])
def test_a_bad_row_in_a_later_statement_leaves_nothing(engine, at: int) -> None:
    """A statement of many rows fails as a whole, and the caller's transaction takes back the
    statements before it: all or nothing, as with one row per statement."""
    rows = _rows([(Decimal(1), "x")] * 600)
    rows.insert(at, rows[3])  # a duplicate key, in the second full statement or after two
    with pytest.raises(Exception, match=r"(?i)unique|duplicate"), writer(engine) as conn:
        journal.bulk_insert(conn, PROBE, COLUMNS, rows)
    with engine.connect() as conn:
        assert conn.execute(select(PROBE.c.id)).first() is None
