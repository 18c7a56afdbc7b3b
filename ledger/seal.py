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
from collections.abc import Iterable, Mapping
from decimal import Decimal
from functools import cache
from typing import Any

from sqlalchemy import Table

from ledger.decimals import dstr


@cache
def _columns(table: Table) -> tuple[str, ...]:
    return tuple(table.columns.keys())


def record_digest(table: Table, values: Mapping[str, Any]) -> str:
    """One record's digest: its table and every column in the table's order.

    Values as the database gives them back: a decimal as its canonical text (10.50 and 10.5
    alike), a date as ISO text, a whole number as text (a numeric column handed an int reads
    back as a Decimal), text as it is; each prefixed by its length, so no value can pass for
    its neighbours, and None apart from "". `src` is the row's JSON text as stored (both
    engines keep it verbatim: SQLite as text, PostgreSQL's `json` type as given;
    `journal.bulk_update` writes corrections as text too). An import seals one record of ~20
    columns per row: this loop is kept plain (`repr` of the values took half of it).
    """
    parts = [table.name]
    get = values.get
    for column in _columns(table):
        value = get(column)
        if value is None:
            parts.append("-")
            continue
        kind = type(value)
        if kind is str:
            text = value
        elif kind is Decimal:
            text = dstr(value)
        elif kind is dt.date:
            text = value.isoformat()
        else:
            text = str(value)
        parts.append(f"{len(text)}:{text}")
    return hashlib.sha256("".join(parts).encode()).hexdigest()


def records_hash(digests: Iterable[str]) -> str:
    """The digest of the records one entry booked (in a fixed order, whatever the write order)."""
    return hashlib.sha256(" ".join(sorted(digests)).encode()).hexdigest()
