"""Sealing event records into the hash chain: the digest an entry's hash covers.

The hash chain covers entries and postings; the event records an entry booked (the lot with
its batch, expiry and unit value; a receipt with its NBU rate and UAH value; …) live in their
own tables and drive FEFO, valuation and the packs. Each entry therefore carries the digest of
the record(s) it booked, and its hash covers that digest, so `verify` finds a record changed
behind the ledger's back as surely as a posting. The digest is made from the values as the
database gives them back (canonical decimal text, ISO dates, `src` as sorted compact JSON), so
the digest made when writing equals the one `verify` makes from the stored row on either engine.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from sqlalchemy import Table

from ledger.db.types import dstr


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return dstr(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def _json(value: str | dict[str, Any] | None) -> str:
    """`src` as sorted compact JSON: booked as JSON text, read back as a dict."""
    if value is None:
        return ""
    data = json.loads(value) if isinstance(value, str) else value
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def record_digest(table: Table, values: Mapping[str, Any]) -> str:
    """One record's digest: its table, then every column in the table's order."""
    parts = [table.name]
    for column in table.columns.keys():
        value = values.get(column)
        parts.append(_json(value) if column == "src" else _text(value))
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def records_hash(digests: Iterable[str]) -> str:
    """The digest of the records one entry booked (in a fixed order, whatever the write order)."""
    return hashlib.sha256(" ".join(sorted(digests)).encode()).hexdigest()
