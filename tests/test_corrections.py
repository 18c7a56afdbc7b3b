"""Corrections: reverse, then book the corrected row; the rules no longer see what was reversed.

A reversal without a date is dated like the entry it reverses (while that month is open), so a
corrected row of the original day finds the goods where they were then. Records whose entry was
reversed leave the rules' dataset: a reversed write-off is not on the bin card any more.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from ledger import operations as ops
from ledger.booking import Outcome
from ledger.db import tables as t
from ledger.db.engine import reader
from ledger.rules.dataset import load
from tests import factories as f

D = Decimal


def entry_of(led, table) -> int:
    with led.engine.connect() as conn:
        return conn.execute(select(table.entry_id)).scalar_one()


def entry_date(led, entry_id: int) -> dt.date:
    with led.engine.connect() as conn:
        return conn.execute(select(t.Entry.date).where(t.Entry.id == entry_id)).scalar_one()


def test_a_receipt_reversed_without_a_date_can_be_corrected_on_its_day(led, tmp_path: Path):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.receive(led, f.receive(received="100", day=5))
    receipt = entry_of(led, t.ReceiptLine)
    reversal = led.reverse(receipt, "5 were missing")
    assert entry_date(led, reversal) == entry_date(led, receipt)  # not today
    corrected = f.receive(received="95", day=5, short="5")
    assert led.post(corrected) is Outcome.CORRECTED
    stock = {r.account: r.quantity for r in led.balances("stock:KYIV:WH1")}
    assert stock == {"stock:KYIV:WH1": D(95)}
    assert led.verify().ok


def test_a_reversal_in_a_closed_month_is_dated_today(led):
    """Keeps the default honest: the original's month is closed, so the reversal cannot be
    dated there; it is dated today."""
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.receive(led, f.receive(received="100", day=5))
    receipt = entry_of(led, t.ReceiptLine)
    led.close_period(f.DAY0.strftime("%Y-%m"))
    reversal = led.reverse(receipt, "booked twice")
    assert entry_date(led, reversal) == dt.date.today()


def test_a_reversed_write_off_leaves_the_rules_dataset(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.receive(led, f.receive(received="100", day=2))
    ops.write_off(led, f.write_off(qty="10", day=4))
    with reader(led.engine) as conn:
        assert [w.quantity for w in load(conn).writeoffs] == [D(10)]  # seen while it stands
    led.reverse(entry_of(led, t.WriteoffLine), "not damaged after all")
    with reader(led.engine) as conn:
        data = load(conn)
    assert data.writeoffs == ()
    assert [r.received for r in data.receipts] == [D(100)]  # the rest is still there


def test_a_reversed_receipt_posted_again_unchanged_is_booked_with_the_new_rate(led):
    """ACC-001's fix: the receipt day had no rate; add it, reverse the receipt, post it again."""
    from schemas.rows import FxRateRow

    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    day = f.DAY0 + dt.timedelta(days=12)  # the world has rates for days 0-9 only
    ops.receive(led, f.receive(received="100", day=12))
    assert led.reconcile()[0].uah_pending == 1
    led.post(FxRateRow(date=day, currency="CZK", rate=D("1.7"), base="UAH", source="NBU"))
    led.reverse(entry_of(led, t.ReceiptLine), "valued without a rate")
    again = f.receive(received="100", day=12)
    assert led.post(again) is Outcome.STILL_REVERSED  # a script replaying rows: left reversed
    assert led.post(again, rebook_reversed=True) is Outcome.BOOKED_AGAIN  # posted on purpose
    (row,) = led.reconcile()
    assert (row.received, row.uah_pending, row.received_value_uah) == (100, 0, D(170_000))
    assert led.verify().ok


def test_a_pending_receipt_posted_again_unchanged_says_to_reverse_it_first(sqlite_led):
    """Its day's rate now on file, `aidledger receive` with the same values answered
    "unchanged" and nothing else, though the receipt stays unvalued until reversed."""
    from click.testing import CliRunner

    from cli import main
    from schemas.rows import FxRateRow

    led = sqlite_led
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.receive(led, f.receive(received="100", day=12))  # no rate for day 12 yet
    receive = ["--db", led.url, "receive", "--receipt-ref", "R1", "--shipment-ref", "S1",
               "--line-no", "1", "--date", "2023-03-13", "--warehouse", "WH1",
               "--received", "100"]  # fmt: skip
    quiet = CliRunner().invoke(main, receive)
    assert quiet.exit_code == 0 and "unchanged" in quiet.output and "note:" not in quiet.output
    led.post(FxRateRow(date=f.DAY0 + dt.timedelta(days=12), currency="CZK", rate=D("1.7"),
                       base="UAH", source="NBU"))  # fmt: skip
    told = CliRunner().invoke(main, receive)
    entry = entry_of(led, t.ReceiptLine)
    assert told.exit_code == 0 and "unchanged" in told.output
    assert f"reverse it (aidledger reverse {entry} --reason …), then post it again" in told.stderr


def test_importing_the_same_files_again_leaves_a_reversal_standing(led, tmp_path: Path):
    """Keeps the re-post deliberate: an import of the unchanged file says the row is still
    reversed and books nothing."""
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    day = (f.DAY0 + dt.timedelta(days=2)).isoformat()
    receipts = tmp_path / "receipts.csv"
    receipts.write_text("receipt_ref,shipment_ref,line_no,date,warehouse,received\n"
                        f"R1,S1,1,{day},WH1,100\n", encoding="utf-8")  # fmt: skip
    led.import_files([receipts])
    led.reverse(entry_of(led, t.ReceiptLine), "received twice")
    entries = led.verify().entries
    report = led.import_files([receipts])
    assert (report.new, report.still_reversed) == (0, 1)
    assert led.verify().entries == entries
    assert led.reconcile()[0].received == 0


def test_a_reversal_whose_goods_moved_on_since_is_dated_today(led):
    """Undoing the dispatch from its own day would leave transit below zero on the days the
    goods sat at customs; without --date the reversal is then dated today."""
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.customs(led, f.customs("S1", "arrived", day=1))
    ops.customs(led, f.customs("S1", "released", day=2))
    dispatch = entry_of(led, t.ShipmentLine)
    reversal = led.reverse(dispatch, "sent twice")
    assert entry_date(led, reversal) == dt.date.today()
    assert led.verify().ok


def test_an_item_whose_every_event_was_reversed_leaves_the_reconciliation(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.dispatch(led, f.ship("S2", qty="5", item="MED"))
    assert {r.item for r in led.reconcile()} == {"GEN", "MED"}
    with led.engine.connect() as conn:
        med = conn.execute(
            select(t.ShipmentLine.entry_id).where(t.ShipmentLine.item == "MED")
        ).scalar_one()
    led.reverse(med, "sent by mistake")
    assert {r.item for r in led.reconcile()} == {"GEN"}  # no row of zeros


def _entry(led, ref: str) -> int:
    with led.engine.connect() as conn:
        return conn.execute(select(t.Entry.id).where(t.Entry.ref == ref)).scalar_one()


def test_a_customs_event_that_later_events_stand_on_is_not_reversed_alone(led):
    """Reversing `arrived` under a later `held` (which booked nothing: the goods were at
    customs) took a held consignment out of customs, and a receipt was then accepted."""
    from ledger.errors import BookingError

    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.customs(led, f.customs("S1", "arrived", day=1))
    ops.customs(led, f.customs("S1", "held", day=2))
    arrived, held = _entry(led, f"customs:S1/arrived/{f.DAY0 + dt.timedelta(days=1)}"), _entry(
        led, f"customs:S1/held/{f.DAY0 + dt.timedelta(days=2)}")  # fmt: skip
    try:
        led.reverse(arrived, "wrong day")
    except BookingError as exc:
        assert (
            f"held on {f.DAY0 + dt.timedelta(days=2)} (entry {held}); reverse those first"
            in str(exc)
        )
    else:
        raise AssertionError("reversed under a later event")
    assert {r.quantity for r in led.balances("customs:S1")} == {D(100)}
    led.reverse(held, "wrong day")
    led.reverse(arrived, "wrong day")
    assert led.balances("customs:S1") == [] and led.verify().ok


def test_a_dispatch_a_later_one_exhausted_the_pledge_after_is_not_reversed_alone(led):
    """SH-A 60 and SH-B 60 against a pledge of 100 (SH-B: 40 pledged, 20 beyond). Reversing
    SH-A and dispatching 50 left SH-B's split as it was: outstanding 10 where a fresh import
    of the same rows has 0."""
    from ledger.errors import BookingError

    f.world(led)
    ops.pledge(led, f.pledge("P1", qty="100"))
    ops.dispatch(led, f.ship("SH-A", qty="60", pledge_ref="P1", pledge_line=1))
    ops.dispatch(led, f.ship("SH-B", qty="60", pledge_ref="P1", pledge_line=1))
    a, b = _entry(led, "dispatch:SH-A/1"), _entry(led, "dispatch:SH-B/1")
    try:
        led.reverse(a, "was 50")
    except BookingError as exc:
        assert f"later dispatch (entry {b}, dispatch:SH-B/1)" in str(exc)
    else:
        raise AssertionError("reversed under a later dispatch")
    led.reverse(b, "re-book after SH-A")
    led.reverse(a, "was 50")
    assert led.post(f.ship("SH-A", qty="50", pledge_ref="P1", pledge_line=1)) is Outcome.CORRECTED
    again = f.ship("SH-B", qty="60", pledge_ref="P1", pledge_line=1)
    assert led.post(again, rebook_reversed=True) is Outcome.BOOKED_AGAIN
    (row,) = led.reconcile(donor="PRAGUE", recipient="KYIV")
    assert row.outstanding_pledge == 0 and row.dispatched == 110
    # a later dispatch that stayed within the pledge does not stand in the way
    ops.pledge(led, f.pledge("P2", qty="100"))
    ops.dispatch(led, f.ship("SH-C", qty="30", pledge_ref="P2", pledge_line=1))
    ops.dispatch(led, f.ship("SH-D", qty="30", pledge_ref="P2", pledge_line=1))
    led.reverse(_entry(led, "dispatch:SH-C/1"), "not sent")


def test_a_row_dated_in_a_closed_month_is_refused_for_the_month_first(led):
    """A distribution re-posted into a closed month got "holds only 0 … cannot issue", not the
    closed period (DESIGN invariant 4: the refusal names the period)."""
    from ledger.errors import ClosedPeriodError

    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.receive(led, f.receive(received="10"))
    led.close_period(f.DAY0.strftime("%Y-%m"))
    try:
        ops.distribute(led, f.distribute(qty="500"))  # more than there is, and in that month
    except ClosedPeriodError as exc:
        assert f"period {f.DAY0:%Y-%m} is closed" in str(exc)
    else:
        raise AssertionError("booked into a closed month")


def test_reversal_refusals_see_back_dated_events_and_dispatches_wholly_beyond_the_pledge(led):
    """A `held` dated before `arrived` but entered after it, and a later dispatch that took
    nothing from the pledge (all beyond it), were not seen as standing on the entry."""
    from ledger.errors import BookingError

    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.customs(led, f.customs("S1", "arrived", day=3))
    ops.customs(led, f.customs("S1", "held", day=2))  # back-dated, entered later
    arrived = _entry(led, f"customs:S1/arrived/{f.DAY0 + dt.timedelta(days=3)}")
    try:
        led.reverse(arrived, "wrong day")
    except BookingError as exc:
        assert "reverse those first" in str(exc)
    else:
        raise AssertionError("reversed under a back-dated later event")
    ops.pledge(led, f.pledge("P1", qty="100"))
    ops.dispatch(led, f.ship("SH-A", qty="100", pledge_ref="P1", pledge_line=1))
    ops.dispatch(led, f.ship("SH-B", qty="50", pledge_ref="P1", pledge_line=1))  # all beyond
    try:
        led.reverse(_entry(led, "dispatch:SH-A/1"), "was 50")
    except BookingError as exc:
        assert "dispatch:SH-B/1" in str(exc)
    else:
        raise AssertionError("reversed under a dispatch wholly beyond the pledge")


def test_a_reversal_short_of_stock_names_the_later_entries_that_moved_the_goods_on(led):
    """A receipt whose goods were handed out: the refusal says which entries to reverse first,
    and once they are reversed, newest first, the receipt is reversed."""
    import pytest

    from ledger.errors import InsufficientStock

    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="105"))
    ops.receive(led, f.receive(received="100", day=5))
    receipt = entry_of(led, t.ReceiptLine)
    ops.receive(led, f.receive("R2", "S1", received="5", day=5))  # more of the lot: no obstacle
    first = ops.distribute(led, f.distribute("D1", qty="30", day=6))
    second = ops.distribute(led, f.distribute("D2", qty="70", day=7))
    ids = [r.id for r in led.entries(kind="distribution")]
    with pytest.raises(InsufficientStock) as caught:
        led.reverse(receipt, "wrong warehouse")
    assert (f"entry {ids[0]} (distribution:D1/1), entry {ids[1]} (distribution:D2/1) — reverse "
            "those first") in str(caught.value)  # fmt: skip
    assert "R2" not in str(caught.value)
    assert (first, second) == (Outcome.NEW, Outcome.NEW)
    for entry_id in reversed(ids):
        led.reverse(entry_id, "undo the hand-outs first")
    led.reverse(receipt, "wrong warehouse")
    assert led.verify().ok
