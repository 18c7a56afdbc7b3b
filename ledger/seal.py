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


# A column value as the digest sees it, by exact type: decimals as canonical text (10.50 and
# 10.5 alike), dates as ISO text, whole numbers as text (a numeric column handed an int reads
# back as a Decimal); text and None as they are (None stays apart from ""). A record has ~20
# columns and an import seals one record per row.
_PLAIN: dict[type, Callable[[Any], Any]] = {Decimal: dstr, dt.date: _iso, int: str, bool: str}


@cache
def _columns(table: Table) -> tuple[str, ...]:
    return tuple(table.columns.keys())


def record_digest(table: Table, values: Mapping[str, Any]) -> str:
    """One record's digest: its table and every column in the table's order.

    `src` is the row's JSON text as stored (both engines keep it verbatim: SQLite as text,
    PostgreSQL's `json` type as given; `journal.bulk_update` writes corrections as text too).
    `repr` of the tuple keeps every value apart (None from "", 5 from "5", any character).
    """
    get = values.get
    parts = tuple((_PLAIN.get(type(v)) or _same)(v) for v in map(get, _columns(table)))
    return hashlib.sha256(repr((table.name, parts)).encode()).hexdigest()


def _same(value: Any) -> Any:
    return value


def records_hash(digests: Iterable[str]) -> str:
    """The digest of the records one entry booked (in a fixed order, whatever the write order)."""
    return hashlib.sha256(" ".join(sorted(digests)).encode()).hexdigest()
