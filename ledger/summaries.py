"""What `balance` and `reconcile` read: two small summaries kept beside the running balances.

The `balance` table has a row per (account, commodity, lot, pledge line, currency, entry kind):
at a million postings that is hundreds of thousands of rows, too many to read for every answer.
So two coarser running totals are kept in the same transaction, from the same postings:

- a *holding* per (account, commodity, value currency): quantity, value, and how many of its
  lot/pledge-line slots are non-zero (`live`), which is what `balance` needs to know whether the
  value is in one currency;
- their roll-up per (account, commodity), the *holding total* `balance` reads;
- a *figure* per (donor, recipient, item, currency): the reconciliation columns.

The functions here are pure (no storage): the Book applies them to each posting it books,
`verify` and the migration that introduced the tables apply them to the journal, and a test
keeps the two roads equal.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import Decimal
from functools import cache, lru_cache
from typing import NamedTuple

from ledger.accounts import stage
from ledger.entries import ZERO

# Reconciliation columns. The quantity columns and the UAH columns live on the row with
# currency "" ; the value columns on one row per donor currency.
QUANTITY_COLUMNS = (
    "pledged", "outstanding_pledge", "dispatched", "in_transit", "at_customs", "received",
    "in_stock", "distributed", "short", "damaged", "written_off", "excess",
)  # fmt: skip
UAH_COLUMNS = ("received_value_uah", "uah_pending")
VALUE_COLUMNS = ("dispatched_value", "dispatched_net", "received_value")
FIGURE_COLUMNS = QUANTITY_COLUMNS + UAH_COLUMNS + VALUE_COLUMNS

HoldingKey = tuple[str, str, str]  # account, commodity, currency ("" for none)
FigureKey = tuple[str, str, str, str]  # donor, recipient, item, currency ("" for quantities)


class BalanceFact(NamedTuple):
    """One running-balance row, as the summaries see it."""

    account: str
    commodity: str
    lot_id: int | None
    pledge_line_id: int | None
    currency: str | None
    kind: str
    quantity: Decimal
    value: Decimal


def columns_for(account: str, kind: str) -> tuple[str, ...]:
    """The reconciliation columns a posting on `account` from an entry of `kind` counts in.

    "-excess" means: counts in `excess` with its sign turned (excess goes back to the donor).
    """
    st = stage(account)
    reason = account.rsplit(":", 1)[-1] if st == "loss" else ""
    return _columns(st, kind, reason)


@cache
def _columns(st: str, kind: str, loss_reason: str) -> tuple[str, ...]:
    """Per stage and entry kind (and, for losses, the reason): a handful of cases, cached."""
    cols: list[str] = []
    if st == "pledged":
        cols.append("outstanding_pledge")
        if kind == "pledge":
            cols.append("pledged")
    elif st == "transit":
        cols.append("in_transit")
        if kind == "dispatch":
            cols.append("dispatched")
    elif st == "customs":
        cols += ["in_transit", "at_customs"]
    elif st == "stock":
        cols.append("in_stock")
        if kind == "receipt":
            cols.append("received")
    elif st == "distributed":
        cols.append("distributed")
    elif st == "loss":
        if kind == "receipt" and loss_reason in ("short", "damaged"):
            cols.append(loss_reason)
        elif kind == "writeoff":
            cols.append("written_off")
    elif st == "donor" and kind == "receipt":
        cols.append("-excess")
    return tuple(cols)


# Where a figure amount comes from: the posting's quantity, its negation, or its value.
QUANTITY, NEGATED, VALUE = 1, -1, 0
FigurePlan = tuple[tuple[bool, str, int], ...]


@lru_cache(maxsize=1 << 14)
def figure_plan(account: str, kind: str, on_lot: bool, valued: bool) -> FigurePlan:
    """What a posting adds to its figures, before the amounts: (on the value-currency row?,
    column, QUANTITY | NEGATED | VALUE), quantity columns first.

    Cached: the Book asks for every posting it books and an account sees many postings; the
    busy accounts of the moment (a shipment's transit account) stay in the cache.
    """
    st = stage(account)
    plan = [
        (False, "excess", NEGATED) if col == "-excess" else (False, col, QUANTITY)
        for col in _columns(st, kind, account.rsplit(":", 1)[-1] if st == "loss" else "")
    ]
    if on_lot and valued:
        if st == "transit" and kind == "dispatch":
            plan += [(True, "dispatched_value", VALUE), (True, "dispatched_net", QUANTITY)]
        elif st == "stock" and kind == "receipt":
            plan.append((True, "received_value", VALUE))
    return tuple(plan)


def figure_amount(source: int, quantity: Decimal, value: Decimal | None) -> Decimal:
    if source == QUANTITY:
        return quantity
    if source == NEGATED:
        return -quantity
    return value or ZERO


def figure_deltas(
    account: str, kind: str, quantity: Decimal, value: Decimal | None, currency: str | None,
    on_lot: bool,
) -> list[tuple[str, str, Decimal]]:  # fmt: skip
    """(currency, column, amount) a posting adds to its (donor, recipient, item) figures.

    Quantity columns come first, with currency "" (callers rely on that order).
    """
    return [
        (currency or "" if in_currency else "", col, figure_amount(source, quantity, value))
        for in_currency, col, source in figure_plan(account, kind, on_lot, bool(currency))
    ]


def receipt_deltas(value_uah: Decimal | None, sign: int = 1) -> dict[str, Decimal]:
    """What one receipt line adds to `received_value_uah` / `uah_pending` (sign −1 undoes it)."""
    if value_uah is None:
        return {"uah_pending": Decimal(sign)}
    return {"received_value_uah": value_uah * sign}


def roll_up(
    lines: Iterable[tuple[str, Decimal, Decimal, int | Decimal]],
) -> tuple[Decimal, Decimal, str | None, int]:
    """A `holding_total` row from the (currency, quantity, value, live) of its holdings.

    The currency is kept only when exactly one currency has live slots, as `balance` shows it.
    """
    q = v = ZERO
    live = 0
    currencies = []
    for currency, quantity, value, n in lines:
        q += quantity
        v += value
        live += int(n)
        if n and currency:
            currencies.append(currency)
    return q, v, currencies[0] if len(currencies) == 1 else None, live


def nonzero(quantity: Decimal, value: Decimal) -> bool:
    return quantity != 0 or value != 0


class Totals:
    """Holdings and figures accumulated from scratch (verify, migration, tests)."""

    def __init__(self) -> None:
        self.holdings: dict[HoldingKey, list[Decimal]] = defaultdict(lambda: [ZERO, ZERO, ZERO])
        self.figures: dict[FigureKey, dict[str, Decimal]] = defaultdict(
            lambda: defaultdict(lambda: ZERO)
        )

    @classmethod
    def from_balances(
        cls,
        facts: Iterable[BalanceFact],
        owner_of_lot: dict[int, tuple[str, str]],
        owner_of_pledge: dict[int, tuple[str, str]],
    ) -> Totals:
        """Summaries of a set of running balances (the UAH columns come from `add_receipts`)."""
        totals = cls()
        slots: dict[tuple[str, str, int | None, int | None, str], list[Decimal]] = defaultdict(
            lambda: [ZERO, ZERO]
        )
        for f in facts:
            slot = slots[(f.account, f.commodity, f.lot_id, f.pledge_line_id, f.currency or "")]
            slot[0] += f.quantity
            slot[1] += f.value
            owner = _owner(f.lot_id, f.pledge_line_id, owner_of_lot, owner_of_pledge)
            if owner is None:
                continue
            for cur, col, amount in figure_deltas(
                f.account, f.kind, f.quantity, f.value, f.currency, f.lot_id is not None
            ):
                totals.figures[(*owner, f.commodity, cur)][col] += amount
            totals.figures[(*owner, f.commodity, "")]
        for (account, commodity, _lot, _pl, cur), (q, v) in slots.items():
            h = totals.holdings[(account, commodity, cur)]
            h[0] += q
            h[1] += v
            h[2] += 1 if nonzero(q, v) else 0
        return totals

    def holding_totals(self) -> dict[tuple[str, str], tuple[Decimal, Decimal, str | None, int]]:
        pairs: dict[tuple[str, str], list[tuple[str, Decimal, Decimal, Decimal]]] = defaultdict(
            list
        )
        for (account, commodity, cur), (q, v, n) in self.holdings.items():
            pairs[(account, commodity)].append((cur, q, v, n))
        return {pair: roll_up(lines) for pair, lines in pairs.items()}

    def add_receipts(self, receipts: Iterable[tuple[str, str, str, Decimal | None]]) -> None:
        """Add (donor, recipient, item, value_uah) of live receipt lines."""
        for donor, recipient, item, value_uah in receipts:
            fig = self.figures[(donor, recipient, item, "")]
            for col, amount in receipt_deltas(value_uah).items():
                fig[col] += amount


def _owner(
    lot_id: int | None, pledge_line_id: int | None,
    owner_of_lot: dict[int, tuple[str, str]], owner_of_pledge: dict[int, tuple[str, str]],
) -> tuple[str, str] | None:  # fmt: skip
    if lot_id is not None:
        return owner_of_lot[lot_id]
    if pledge_line_id is not None:
        return owner_of_pledge[pledge_line_id]
    return None
