"""Sealing event records into the hash chain: the digest an entry's hash covers.

The hash chain covers entries and postings; the event records an entry booked (the lot with
its batch, expiry and unit value; a receipt with its NBU rate and UAH value; …) live in their
own tables and drive FEFO, valuation and the packs. Each entry therefore carries the digest of
the record(s) it booked, and its hash covers that digest, so `verify` finds a record changed
behind the ledger's back as surely as a posting. The digest is made from the values as the
database gives them back (canonical decimal text, ISO dates, `src` as its JSON text), so
the digest made when writing equals the one `verify` makes from the stored row on either engine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Table

from ledger.db.types import dstr


def _iso(value: dt.date) -> str:
    return value.isoformat()


# Text of a column value by exact type: a record has ~20 columns and an import seals one
# record per row, so this runs millions of times.
_TEXT: dict[type, Callable[[Any], str]] = {
    str: str, int: str, Decimal: dstr, dt.date: _iso, type(None): lambda _v: "",
    bool: lambda v: "1" if v else "0",
}  # fmt: skip


def _text(value: Any) -> str:
    return _TEXT.get(type(value), str)(value)


def _src(value: str | None) -> str:
    """`src` as written: the row's JSON text, which both engines keep verbatim (SQLite as text,
    PostgreSQL's `json` type as given; `journal.bulk_update` writes corrections as text too)."""
    return "" if value is None else value


@cache
def _columns(table: Table) -> tuple[str, ...]:
    return tuple(table.columns.keys())


def record_digest(table: Table, values: Mapping[str, Any]) -> str:
    """One record's digest: its table, then every column in the table's order."""
    get = values.get
    parts = [table.name]
    parts += [_src(get(c)) if c == "src" else _text(get(c)) for c in _columns(table)]
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def records_hash(digests: Iterable[str]) -> str:
    """The digest of the records one entry booked (in a fixed order, whatever the write order)."""
    return hashlib.sha256(" ".join(sorted(digests)).encode()).hexdigest()
