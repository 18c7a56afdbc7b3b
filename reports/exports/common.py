"""What the two writers share: how an entry's postings are written (units, or units and value)."""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal

from reports.exports.source import Journal, OutEntry, OutPosting

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
    """Where money was written as plain currency postings (the value-only postings): the
    (account, currency) pairs. Only where, never how much: the amounts asserted come from the
    stored balances (`Journal.money`), so the assertions can fail."""

    def __init__(self) -> None:
        self.money: set[tuple[str, str]] = set()

    def add(self, p: OutPosting) -> None:
        assert p.currency is not None and p.value is not None
        self.money.add((p.account, p.currency))


def money_assertions(j: Journal, totals: Totals, values: bool) -> list[tuple[str, str, Decimal]]:
    """(account name, currency, amount) to assert for the money of the export.

    Every (account, currency) the export wrote money to, and every one where AidLedger holds
    money, with AidLedger's stored figure (zero where it holds none): a journal whose money
    disagrees with the stored balances fails in the tools, either way round. An export without
    values (`--units-only`) writes no money and asserts none.
    """
    if not values:
        return []
    pairs = totals.money | {k for k, v in j.money.items() if v != 0}
    return [(j.chart.accounts[a], cur, j.money.get((a, cur), ZERO)) for a, cur in pairs]


def amount_text(p: OutPosting, ticker: str, with_value: bool, num: Callable[[Decimal], str],
                totals: Totals) -> str | None:  # fmt: skip
    """The amount of one posting as both tools write it, or None when there is nothing to write.

    Units of the item's ticker, with `@@ total value` when values are exported; a zero-quantity
    value posting (a revaluation on the donor account) is plain money and counted in `totals`.
    """
    if p.quantity == 0:
        if not with_value or p.value is None or p.value == 0:
            return None
        totals.add(p)
        return f"{num(p.value)} {p.currency}"
    if with_value:
        assert p.value is not None
        return f"{num(p.quantity)} {ticker} @@ {num(abs(p.value))} {p.currency}"
    return f"{num(p.quantity)} {ticker}"
