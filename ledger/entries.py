"""The journal's data: small immutable records, free of storage and rules (Beancount-style).

A `Posting` moves a quantity of one commodity (an item code or an ISO currency) into (+) or out
of (−) one account; goods postings also carry the value of that quantity in a currency. An
`Entry` is a dated, balanced set of postings. Nothing here knows about the database.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from ledger.decimals import dstr
from ledger.errors import UnbalancedEntry

ZERO = Decimal(0)
GENESIS_HASH = "0" * 64


@dataclass(frozen=True, slots=True)
class Posting:
    account: str
    commodity: str
    quantity: Decimal
    value: Decimal | None = None
    currency: str | None = None
    lot_id: int | None = None
    pledge_line_id: int | None = None

    def negated(self) -> Posting:
        return Posting(
            self.account,
            self.commodity,
            -self.quantity,
            None if self.value is None else -self.value,
            self.currency,
            self.lot_id,
            self.pledge_line_id,
        )

    @property
    def balance_key(self) -> str:
        """The running-balance key: account, commodity, lot, pledge line and value currency."""
        return (
            f"{self.account}|{self.commodity}|{self.lot_id or ''}|"
            f"{self.pledge_line_id or ''}|{self.currency or ''}"
        )


@dataclass(frozen=True, slots=True)
class Entry:
    date: dt.date
    kind: str
    ref: str
    postings: tuple[Posting, ...]
    memo: str = ""
    reverses_id: int | None = None
    id: int | None = field(default=None, compare=False)

    def check_balanced(self) -> None:
        """Invariant 1: per commodity the quantities, per currency the values, sum to zero."""
        qty: dict[str, Decimal] = {}
        val: dict[str, Decimal] = {}
        for p in self.postings:
            qty[p.commodity] = qty.get(p.commodity, ZERO) + p.quantity
            if p.value is not None:
                if p.currency is None:
                    raise UnbalancedEntry(f"entry {self.ref}: a value without a currency")
                val[p.currency] = val.get(p.currency, ZERO) + p.value
        if any(qty.values()) or any(val.values()):
            bad = {c: q for c, q in qty.items() if q != 0}
            bad.update({f"value in {c}": v for c, v in val.items() if v != 0})
            detail = ", ".join(f"{k} off by {dstr(v)}" for k, v in sorted(bad.items()))
            raise UnbalancedEntry(f"entry {self.ref} does not balance: {detail}")

    def reversal(self, on: dt.date, reason: str) -> Entry:
        assert self.id is not None, "only a stored entry can be reversed"
        return Entry(
            date=on,
            kind=self.kind,
            ref=self.ref,
            postings=tuple(p.negated() for p in self.postings),
            memo=f"reversal of entry {self.id}: {reason}",
            reverses_id=self.id,
        )


def entry_hash(prev_hash: str, entry_id: int, entry: Entry, records_hash: str | None = None) -> str:
    """Hash of an entry chained to its predecessor: any later edit of either shows in `verify`.

    The text hashed is fixed forever (stored hashes are checked against it): fields joined by
    U+001F, one part per posting with its fields joined by commas, blanks for what is absent;
    then, for an entry that booked event records (`ledger.seal`), their digest as a last part
    (entries written before records were sealed have none, and keep their hash).
    """
    parts = [
        prev_hash,
        str(entry_id),
        entry.date.isoformat(),
        entry.kind,
        entry.ref,
        entry.memo,
        str(entry.reverses_id or ""),
    ]
    parts += [
        f"{p.account},{p.commodity},{dstr(p.quantity)},"
        f"{'' if p.value is None else dstr(p.value)},{p.currency or ''},"
        f"{p.lot_id or ''},{p.pledge_line_id or ''}"
        for p in entry.postings
    ]
    if records_hash is not None:
        parts.append(f"records:{records_hash}")
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def balance_values(postings: Iterable[Posting], account: str, commodity: str) -> list[Posting]:
    """Zero-quantity postings on `account` that make the values balance per currency.

    Used when goods move between stages at different declared unit values (a shipment valued
    differently from its pledge): the difference goes back to the donor account.
    """
    totals: dict[str, Decimal] = defaultdict(lambda: ZERO)
    for p in postings:
        if p.value is not None and p.currency is not None:
            totals[p.currency] += p.value
    return [
        Posting(account, commodity, ZERO, -total, currency)
        for currency, total in sorted(totals.items())
        if total != 0
    ]
