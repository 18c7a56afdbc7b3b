"""Numbers at the edge of what the exchange format admits stay exact through booking and totals.

The format allows 15 digits before and 12 after the point. A value (quantity × unit value) then
has up to 54 significant digits, a UAH value 81, and totals more: far past Python's default
decimal precision of 28, which would round silently (`ledger.EXACT_DIGITS`).
"""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger import operations as ops
from ledger.entries import Entry, Posting
from tests import factories as f

D = Decimal
BIG = "999999999999999.999999999999"  # 15 digits before the point, 12 after


def test_running_totals_of_the_largest_quantities_stay_exact(led):
    f.world(led)
    for n in range(11):
        ops.dispatch(led, f.ship(f"S{n}", qty=BIG, unit_value="1"))
    for n in range(11):
        ops.receive(led, f.receive(f"R{n}", f"S{n}", received=BIG))
    stock = {r.account: r.quantity for r in led.balances("stock:KYIV:WH1")}
    assert stock == {"stock:KYIV:WH1": D(BIG) * 11}
    assert str(D(BIG) * 11) == "10999999999999999.999999999989"
    rows = led.reconcile(donor="PRAGUE")
    assert [(r.dispatched, r.received, r.in_transit) for r in rows] == [
        (D(BIG) * 11, D(BIG) * 11, 0)
    ]
    assert led.verify().ok


def test_a_receipt_with_a_shortage_at_twelve_decimals_balances(led):
    """Valued at 12-decimal quantity × 12-decimal unit value: 24 decimals, exact, so the
    receipt's entry balances (at 28 digits it was refused as off by 4E-21)."""
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100.123456789012", unit_value="99999.123456789012"))
    ops.receive(led, f.receive("R1", "S1", received="50.123456789012", short="50"))
    value = {r.account: r.value for r in led.balances("stock:KYIV:WH1")}
    assert value == {"stock:KYIV:WH1": D("50.123456789012") * D("99999.123456789012")}
    exact = Fraction("50.123456789012") * Fraction("99999.123456789012")
    assert Fraction(value["stock:KYIV:WH1"]) == exact
    assert led.verify().ok


digits = st.decimals(min_value=D("0.000000000001"), max_value=D(BIG), places=12)


@settings(max_examples=200, deadline=None)
@given(q=st.lists(st.tuples(digits, digits), min_size=1, max_size=6))
def test_entries_of_any_admitted_numbers_balance_exactly(q) -> None:
    """Goods out at declared value, in at the same: the values computed for an entry sum to
    exactly zero, as rational arithmetic says (with 28 digits they need not)."""
    postings = []
    for qty, unit_value in q:
        value = qty * unit_value
        assert Fraction(value) == Fraction(qty) * Fraction(unit_value)
        postings += [Posting("stock:A:W", "GEN", qty, value, "CZK"),
                     Posting("transit:S", "GEN", -qty, -value, "CZK")]  # fmt: skip
    Entry(f.DAY0, "receipt", "r", tuple(postings)).check_balanced()
    total = sum((p.value for p in postings[::2]), D(0))
    assert Fraction(total) == sum(Fraction(a) * Fraction(b) for a, b in q)


def test_the_python_api_reads_decimals_canonically_on_both_engines(led):
    """PostgreSQL's NUMERIC keeps the scale a number was written with: `reconcile` and
    `balance` handed 115000.00 and 2384162.6000 to Python where SQLite gave 115000."""
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="1000.0", unit_value="115.00"))
    (row,) = led.reconcile()
    assert (str(row.dispatched), str(row.dispatched_value), str(row.in_transit)) == (
        "1000", "115000", "1000")  # fmt: skip
    transit = {r.account: r for r in led.balances("transit:")}["transit:S1"]
    assert (str(transit.quantity), str(transit.value)) == ("1000", "115000")
