"""What the two writers share: how an entry's postings are written (units, or units and value)."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from reports.exports.source import OutEntry, OutPosting

ZERO = Decimal(0)


def priced(entry: OutEntry) -> bool:
    """Can this entry be written with each goods posting's value as a total price (`@@`)?

    Yes when every goods posting carries a value in a currency with the quantity's sign, and
    every zero-quantity posting is a pure value posting (it is then written as money). Such an
    entry balances in the tools by value per currency, which is AidLedger's invariant 1 for
    money; its units are checked by the closing assertions. Otherwise it is written in units.
    """
    for p in entry.postings:
        if p.value is None or p.currency is None:
            return False
        if p.quantity != 0 and p.value != 0 and (p.value > 0) != (p.quantity > 0):
            return False
    return True


class Totals:
    """Money written to accounts as plain currency postings (the value-only postings)."""

    def __init__(self) -> None:
        self.money: dict[tuple[str, str], Decimal] = defaultdict(lambda: ZERO)

    def add(self, p: OutPosting) -> None:
        assert p.currency is not None and p.value is not None
        self.money[(p.account, p.currency)] += p.value
