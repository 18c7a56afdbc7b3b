"""Events dated before the ledger's newest entry: stock may not leave before it arrived.

Invariant 3 holds on every day, not only today: an event on a past day must leave every day from
then on at zero or more (`ledger.history`). Unit tests on both engines, a pure property against
a brute-force replay, and events posted in random order checked day by day.
"""

from __future__ import annotations

import datetime as dt
import shutil
import tempfile
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger import operations as ops
from ledger.api import Ledger
from ledger.errors import BookingError, ImportRejected
from ledger.history import enough_from, headroom
from tests import factories as f
from tests.replay import assert_never_negative, physical_days

D = Decimal
DAY0 = f.DAY0


def day(n: int) -> dt.date:
    return DAY0 + dt.timedelta(days=n)


def stock_lots(led: Ledger) -> dict[str, Decimal]:
    return {r.lot: r.quantity for r in led.balances("stock:KYIV:WH1", by_lot=True)}


# ---------------------------------------------------------------- single events, both engines


def test_goods_cannot_leave_before_they_arrive(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.receive(led, f.receive(received="100", day=5))
    entries = led.verify().entries
    with pytest.raises(BookingError, match=f"that may leave on {day(3).isoformat()}") as exc:
        ops.distribute(led, f.distribute("D1", qty="10", day=3))
    assert exc.value.column == "quantity"
    assert led.verify().entries == entries
    assert stock_lots(led) == {"S1/1": 100}
    ops.distribute(led, f.distribute("D1", qty="10", day=5))  # the day it arrived: fine
    assert stock_lots(led) == {"S1/1": 90}


def two_lots(led: Ledger) -> None:
    """Two consignments of 100 generators dispatched on day 0; S1 received on day 2."""
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.dispatch(led, f.ship("S2", qty="100"))
    ops.receive(led, f.receive("R1", "S1", received="100", day=2))


def test_back_dated_issue_leaves_enough_for_later_days(led):
    """Today's stock would cover it, but a later distribution needed what it would take."""
    two_lots(led)
    ops.distribute(led, f.distribute("D1", qty="80", day=6))
    ops.receive(led, f.receive("R2", "S2", received="100", day=8))
    assert sum(stock_lots(led).values()) == 120
    with pytest.raises(BookingError, match="holds only 20 of GEN that may leave on"):
        ops.distribute(led, f.distribute("D2", qty="30", day=4))
    ops.distribute(led, f.distribute("D2", qty="20", day=4))  # S1's 20 could: S2 came later
    assert stock_lots(led) == {"S2/1": 100}
    assert_never_negative(led)


def test_back_dated_reversal_of_goods_later_distributed_is_refused(led):
    """The same check guards every entry, not only FEFO picking: here a dated reversal."""
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="200"))
    ops.receive(led, f.receive("R1", received="100", day=2))
    receipt = led.verify().entries
    ops.distribute(led, f.distribute("D1", qty="60", day=5))
    ops.receive(led, f.receive("R2", received="100", day=7))
    assert stock_lots(led) == {"S1/1": 140}  # today's stock would cover taking 100 back
    entries = led.verify().entries
    short = r"can give up only 40 of GEN lot S1/1 on 2023-03-04"
    with pytest.raises(BookingError, match=short) as refused:
        ops.reverse(led, receipt, "received twice", day(3))
    assert "; it can from 2023-03-08 on" in str(refused.value)
    assert led.verify().entries == entries
    ops.reverse(led, receipt, "received twice", day(8))  # after the distribution: fine
    assert stock_lots(led) == {"S1/1": 40}
    assert_never_negative(led)


def test_a_late_import_row_is_refused_with_its_file_and_row(led, tmp_path: Path):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.receive(led, f.receive(received="100", day=5))
    entries = led.verify().entries
    late = tmp_path / "distributions.csv"
    late.write_text(
        "distribution_ref,line_no,date,recipient,warehouse,beneficiary,item,quantity\n"
        f"D9,1,{day(6).isoformat()},KYIV,WH1,HOSP,GEN,30\n"
        f"D9,2,{day(1).isoformat()},KYIV,WH1,HOSP,GEN,5\n"
        f"D9,3,{day(4).isoformat()},KYIV,WH1,HOSP,GEN,5\n",
        encoding="utf-8",
    )
    with pytest.raises(ImportRejected) as exc:
        led.import_files([late])
    problems = [(e.row, e.column) for e in exc.value.errors]
    assert problems == [(3, "quantity"), (4, "quantity")]
    assert all("may leave on" in e.reason for e in exc.value.errors)
    assert led.verify().entries == entries  # nothing written
    assert stock_lots(led) == {"S1/1": 100}


def test_in_date_order_the_same_events_are_accepted(led):
    """Keeps the check quiet: the events above, booked oldest first, all go through."""
    two_lots(led)
    ops.distribute(led, f.distribute("D2", qty="20", day=4))
    ops.distribute(led, f.distribute("D1", qty="80", day=6))
    ops.receive(led, f.receive("R2", "S2", received="100", day=8))
    assert stock_lots(led) == {"S2/1": 100}


# ---------------------------------------------------------------- the pure step


moves = st.lists(st.tuples(st.integers(1, 12), st.integers(-50, 50).map(D)), max_size=12)


@given(start=st.integers(0, 200).map(D), later=moves, on=st.integers(0, 12))
def test_headroom_is_the_smallest_balance_of_the_day_and_every_later_one(start, later, on):
    """Brute force: balances at the end of `on` and of every later day, taking out x on `on`."""
    dated = [(day(n), q) for n, q in later if n > on]
    held = start + sum((q for _d, q in dated), D(0))  # the balance today
    balances = [start + sum((q for d, q in dated if d <= day(n)), D(0)) for n in range(on, 13)]
    assert headroom(held, dated) == min(balances)


@given(start=st.integers(0, 200).map(D), later=moves, need=st.integers(1, 120).map(D))
def test_enough_from_is_the_first_later_day_the_need_may_leave_on(start, later, need):
    """Brute force over the later days: the first one on which taking `need` out leaves no day
    from it on below zero (what a refused back-dated row is told)."""
    dated = [(day(n), q) for n, q in later]
    held = start + sum((q for _d, q in dated), D(0))

    def fits(n: int) -> bool:
        return all(start + sum((q for d, q in dated if d <= day(m)), D(0)) >= need
                   for m in range(n, 13))  # fmt: skip

    first = next((day(n) for n in sorted({n for n, _q in later}) if fits(n)), None)
    assert enough_from(held, dated, need) == first


# ---------------------------------------------------------------- random order, day by day


@pytest.fixture(scope="module")
def world_db(sqlite_template: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("backdated") / "world.db"
    shutil.copy(sqlite_template, path)
    with Ledger(f"sqlite:///{path}", migrate=False) as led:
        f.world(led)
        for n in range(1, 5):
            ops.dispatch(led, f.ship(f"S{n}", qty="50"))
    return path


events = st.lists(
    st.one_of(
        st.tuples(st.just("receive"), st.integers(1, 4), st.integers(1, 12), st.integers(1, 50)),
        st.tuples(st.just("distribute"), st.just(0), st.integers(1, 12), st.integers(1, 60)),
        st.tuples(st.just("write_off"), st.just(0), st.integers(1, 12), st.integers(1, 20)),
    ),
    min_size=1,
    max_size=14,
)


def available_on(led: Ledger, on: dt.date) -> Decimal:
    """Brute force: per lot in WH1, the smallest end-of-day balance from `on` on; summed."""
    total = D(0)
    for (account, _c, _lot, _pl), lot_moves in physical_days(led).items():
        if account != "stock:KYIV:WH1":
            continue
        days = sorted({on} | {d for d, _q in lot_moves if d > on})
        total += max(D(0), min(sum((q for d, q in lot_moves if d <= end), D(0)) for end in days))
    return total


@settings(max_examples=25, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])  # fmt: skip
@given(plan=events)
def test_events_in_any_order_keep_every_day_at_zero_or_more(world_db: Path, plan) -> None:
    """Receipts, distributions and write-offs on random days, booked in the order drawn: each
    issue goes through exactly when the lots could give it up on its day, and replaying the
    journal day by day no physical slot ever ends a day below zero."""
    tmp = Path(tempfile.mkdtemp(prefix="backdated_"))
    try:
        path = tmp / "ledger.db"
        shutil.copy(world_db, path)
        with Ledger(f"sqlite:///{path}", migrate=False) as led:
            for i, (kind, lot, n, qty) in enumerate(plan):
                q = str(qty)
                if kind == "receive":
                    row = f.receive(f"R{i}", f"S{lot}", received=q, day=n)
                elif kind == "distribute":
                    row = f.distribute(f"D{i}", qty=q, day=n)
                else:
                    row = f.write_off(f"W{i}", qty=q, day=n)
                enough = available_on(led, day(n)) >= qty
                try:
                    led.post(row)
                except BookingError as exc:
                    if kind != "receive":  # receipts may exceed what is still in transit
                        assert not enough, f"{kind} of {qty} on day {n} refused: {exc}"
                else:
                    assert kind == "receive" or enough, f"{kind} of {qty} on day {n} accepted"
                assert_never_negative(led)
            assert led.verify().ok
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
