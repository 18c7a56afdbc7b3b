"""The pipeline operations, one by one, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from ledger import operations as ops
from ledger.booking import Outcome
from ledger.db import tables as t
from ledger.errors import BookingError, ClosedPeriodError, LedgerError
from tests import factories as f

D = Decimal


def bal(led, prefix: str, commodity: str = "GEN") -> Decimal:
    return sum((r.quantity for r in led.balances(prefix) if r.commodity == commodity), D(0))


def recon(led, item: str = "GEN"):
    (row,) = [r for r in led.reconcile() if r.item == item]
    return row


def test_pledge_and_partial_dispatches(led):
    f.world(led)
    assert ops.pledge(led, f.pledge(qty="100")) is Outcome.NEW
    ops.dispatch(led, f.ship("S1", qty="30", pledge_ref="P1", pledge_line=1))
    ops.dispatch(led, f.ship("S2", qty="50", pledge_ref="P1", pledge_line=1))
    r = recon(led)
    assert (r.pledged, r.dispatched, r.in_transit, r.outstanding_pledge) == (100, 80, 80, 20)
    assert bal(led, "pledged:PRAGUE:KYIV") == 20


def test_dispatch_beyond_pledge_credits_donor_for_the_excess(led):
    f.world(led)
    ops.pledge(led, f.pledge(qty="10"))
    ops.dispatch(led, f.ship("S1", qty="15", pledge_ref="P1", pledge_line=1))
    assert bal(led, "pledged:") == 0
    assert bal(led, "donor:PRAGUE") == -15
    assert recon(led).outstanding_pledge == 0


def test_outstanding_pledge_is_pledged_less_what_was_sent_against_the_pledges(led):
    """FORMATS: max(pledged − dispatched against pledges, 0) per (donor, recipient, item). 15
    sent against line 1 of a pledge of two lines of 10 left 10 outstanding (line 2's, as the
    `pledged` account keeps per line) where 20 − 15 = 5 are; an unpledged dispatch counts not."""
    f.world(led)
    ops.pledge(led, f.pledge(qty="10"))
    ops.pledge(led, f.pledge(line=2, qty="10"))
    ops.dispatch(led, f.ship("S1", qty="15", pledge_ref="P1", pledge_line=1))
    ops.dispatch(led, f.ship("S2", qty="3"))  # unpledged
    r = recon(led)
    assert (r.pledged, r.dispatched, r.outstanding_pledge) == (20, 18, 5)
    assert bal(led, "pledged:PRAGUE:KYIV") == 10  # the account: what is left per line
    led.reverse(next(e.id for e in led.entries(ref="S1")), "wrong line")
    assert recon(led).outstanding_pledge == 20  # a reversed dispatch sends nothing


def test_unpledged_dispatch_and_value_difference_balances(led):
    f.world(led)
    ops.pledge(led, f.pledge(qty="10", unit_value="900"))
    ops.dispatch(led, f.ship("S1", qty="10", unit_value="1000", pledge_ref="P1", pledge_line=1))
    ops.dispatch(led, f.ship("S2", qty="5"))
    assert led.verify().ok
    transit = [r for r in led.balances("transit:S1")]
    assert transit[0].value == D("10000")
    assert sum(r.value for r in led.balances() if r.currency == "CZK") == 0


def test_customs_hold_then_release_then_receive(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.customs(led, f.customs("S1", "arrived", 1))
    ops.customs(led, f.customs("S1", "held", 1))
    assert (recon(led).at_customs, recon(led).in_transit) == (10, 10)
    with pytest.raises(BookingError, match="still at customs"):
        ops.receive(led, f.receive(received="10"))
    ops.customs(led, f.customs("S1", "released", 2))
    ops.receive(led, f.receive(received="10", day=3))
    r = recon(led)
    assert (r.at_customs, r.in_transit, r.received, r.in_stock) == (0, 0, 10, 10)


def test_release_without_arrival_is_refused(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    with pytest.raises(BookingError, match="not at customs"):
        ops.customs(led, f.customs("S1", "released", 1))


def test_customs_event_before_a_line_left_is_refused_naming_the_line(led):
    """The event moves the whole consignment: a line dispatched after it cannot be on board."""
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.dispatch(led, f.ship("S1", line=2, qty="5", date=f.DAY0 + dt.timedelta(days=9)))
    with pytest.raises(BookingError, match=r"before line 2 of the shipment was dispatched "
                                           r"\(2023-03-10\)"):  # fmt: skip
        ops.customs(led, f.customs("S1", "arrived", 4))
    ops.customs(led, f.customs("S1", "arrived", 9))
    assert bal(led, "customs:S1") == 15


def test_customs_arrival_booked_after_the_whole_receipt_is_refused(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.receive(led, f.receive(received="10", day=3))
    with pytest.raises(BookingError, match="in transit or at customs: its goods were received"):
        ops.customs(led, f.customs("S1", "arrived", 1))
    r = recon(led)
    assert (r.at_customs, r.in_transit, r.received) == (0, 0, 10)
    ops.dispatch(led, f.ship("S2", qty="10"))  # booked in order, the same arrival is accepted
    ops.customs(led, f.customs("S2", "arrived", 1))
    assert bal(led, "customs:S2") == 10


def test_receipt_short_damaged_excess_and_several_receipts(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.receive(led, f.receive("R1", received="50", short="3", damaged="2", remarks="3 missing"))
    ops.receive(led, f.receive("R2", received="47", excess="2", day=4))
    r = recon(led)
    assert (r.received, r.short, r.damaged, r.excess, r.in_transit) == (97, 3, 2, 2, 0)
    assert r.dispatched == r.received - r.excess + r.short + r.damaged + r.in_transit
    assert bal(led, "loss:CARRIER:short") == 3
    assert bal(led, "loss:KYIV:damaged") == 2


def test_a_shortage_is_charged_to_the_consignments_carrier_named_on_line_1_only(led):
    """FORMATS: header values (carrier …) may be filled on line 1 only."""
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))  # carrier CARRIER
    ops.dispatch(led, f.ship("S1", line=2, qty="10", carrier=None))
    ops.receive(led, f.receive("R1", line=2, received="8", short="2", remarks="2 missing"))
    assert bal(led, "loss:CARRIER:short") == 2 and bal(led, "loss:carrier:short") == 0


def test_an_account_prefix_matches_case_sensitively_on_both_engines(led):
    """Codes are case-sensitive; SQLite's LIKE was not (stock:kyiv listed stock:KYIV there)."""
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.receive(led, f.receive(received="10"))
    assert led.balances("stock:KYIV") and not led.balances("stock:kyiv")
    assert led.balances("stock:KYIV", by_lot=True) and not led.balances("stock:kyiv", by_lot=True)


def test_receipt_into_another_recipients_warehouse_is_refused(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))  # to KYIV
    with pytest.raises(BookingError, match="WHL belongs to LVIV, not to KYIV") as exc:
        ops.receive(led, f.receive(received="10", wh="WHL"))
    assert (exc.value.column, exc.value.value) == ("warehouse", "WHL")
    assert bal(led, "stock:") == 0 and bal(led, "transit:S1") == 10
    ops.receive(led, f.receive(received="10", wh="WH2"))  # any of KYIV's own warehouses
    assert bal(led, "stock:KYIV:WH2") == 10


def test_receipt_above_transit_without_excess_is_refused(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    with pytest.raises(BookingError, match="only 10 of shipment line S1/1 is in transit"):
        ops.receive(led, f.receive(received="11"))
    assert bal(led, "transit:") == 10


def test_never_received_stays_in_transit(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.customs(led, f.customs("S1", "arrived", 1))
    ops.customs(led, f.customs("S1", "released", 2))
    assert recon(led).in_transit == 10


def test_distribution_fefo_then_named_batch(led):
    f.world(led)
    ops.dispatch(
        led, f.ship("S1", qty="10", item="MED", batch="LATE", expiry=f.dt.date(2026, 1, 1))
    )
    ops.dispatch(
        led, f.ship("S2", qty="10", item="MED", batch="EARLY", expiry=f.dt.date(2024, 6, 1))
    )
    ops.receive(led, f.receive("R1", "S1", received="10"))
    ops.receive(led, f.receive("R2", "S2", received="10"))
    ops.distribute(led, f.distribute("D1", qty="12", item="MED"))
    by_lot = {r.batch: r.quantity for r in led.balances("stock:", by_lot=True)}
    assert by_lot == {"LATE": 8}
    ops.distribute(led, f.distribute("D2", qty="3", item="MED", batch="LATE"))
    with pytest.raises(BookingError, match="holds only 5"):
        ops.distribute(led, f.distribute("D3", qty="6", item="MED", batch="LATE"))


def test_by_lot_a_slot_holding_two_currencies_is_a_row_per_currency(led):
    """A shipment line valued in CZK against a pledge line in EUR: per lot, the donor's slot
    holds CZK and EUR; each currency's rows sum to what the account holds in it."""
    f.world(led)
    ops.pledge(led, f.pledge(qty="100", unit_value="2").model_copy(update={"currency": "EUR"}))
    ops.dispatch(led, f.ship("S1", qty="60", unit_value="45", pledge_ref="P1", pledge_line=1))
    rows = led.balances("donor:PRAGUE", by_lot=True)
    assert all(r.value is not None and r.currency for r in rows)
    per_currency: dict[str, Decimal] = {}
    for r in rows:
        per_currency[r.currency] = per_currency.get(r.currency, Decimal(0)) + r.value
    assert per_currency == {"CZK": Decimal(-2700), "EUR": Decimal(-80)}
    assert {r.lot for r in rows if r.currency == "CZK"} == {"S1/1"}


def test_write_off_and_transfer(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.receive(led, f.receive(received="10"))
    ops.write_off(led, f.write_off(qty="2"))
    ops.transfer(led, f.transfer(qty="3"))
    assert bal(led, "stock:KYIV:WH1") == 5
    assert bal(led, "stock:LVIV:WHL") == 3
    r = recon(led)
    assert (r.written_off, r.in_stock) == (2, 8)


def test_distribute_from_someone_elses_warehouse_is_refused(led):
    f.world(led)
    with pytest.raises(BookingError, match="belongs to LVIV"):
        ops.distribute(led, f.distribute(wh="WHL"))


def test_closed_period_refuses_posting(led):
    f.world(led)
    led.close_period("2023-03")
    with pytest.raises(ClosedPeriodError, match="period 2023-03 is closed"):
        ops.dispatch(led, f.ship("S1", qty="10"))
    with pytest.raises(LedgerError, match="already closed"):
        led.close_period("2023-03")
    with pytest.raises(LedgerError, match="not a month"):
        led.close_period("2023-13")


def test_reverse_exactly_once(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    entry_id = _last_entry(led)
    rev = ops.reverse(led, entry_id, "wrong truck", f.DAY0)
    assert rev == entry_id + 1
    assert bal(led, "transit:") == 0 and bal(led, "donor:") == 0
    with pytest.raises(BookingError, match="already been reversed"):
        ops.reverse(led, entry_id, "again", f.DAY0)
    with pytest.raises(BookingError, match="itself a reversal"):
        ops.reverse(led, rev, "undo", f.DAY0)
    assert led.verify().ok


def test_reversal_refused_when_it_would_go_negative(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    dispatch_id = _last_entry(led)
    ops.receive(led, f.receive(received="10"))
    with pytest.raises(BookingError, match="below zero"):
        ops.reverse(led, dispatch_id, "mistake", f.DAY0)


def test_same_row_twice_is_unchanged_and_changed_row_conflicts(led):
    f.world(led)
    assert ops.dispatch(led, f.ship("S1", qty="10")) is Outcome.NEW
    assert ops.dispatch(led, f.ship("S1", qty="10.000")) is Outcome.UNCHANGED
    with pytest.raises(BookingError, match="quantity: ledger has '10', the command has '11'"):
        ops.dispatch(led, f.ship("S1", qty="11"))


def test_correction_after_reversal_reuses_the_key(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.reverse(led, _last_entry(led), "typo in quantity", f.DAY0)
    assert ops.dispatch(led, f.ship("S1", qty="12")) is Outcome.CORRECTED
    assert bal(led, "transit:") == 12
    assert led.verify().ok
    with led.engine.connect() as conn:  # the corrected row replaced the stored one, as JSON
        line = t.ShipmentLine
        src = conn.execute(select(line.src).where(line.shipment_ref == "S1")).scalar_one()
    assert isinstance(src, dict) and src["quantity"] == "12"


def _last_entry(led) -> int:
    from sqlalchemy import func, select

    from ledger.db import tables as t

    with led.engine.connect() as conn:
        return conn.execute(select(func.max(t.Entry.id))).scalar()


def test_reversal_cannot_be_dated_before_the_entry(led):
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    with pytest.raises(BookingError, match="before the entry it reverses"):
        ops.reverse(led, _last_entry(led), "typo", f.DAY0 - f.dt.timedelta(days=1))


def test_one_event_reads_only_what_it_touches(led):
    """A single event must not load whole tables: posting one receipt stays quick at any size."""
    from ledger.booking import book_row

    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.dispatch(led, f.ship("S2", qty="10"))
    with led.booking() as book:
        book_row(book, f.receive("R1", "S1", received="10"))
        assert not book._records_full and not book._balances_full and not book._lots_full
        assert "S2" not in book._shipments_loaded
    with led.booking(bulk=True) as book:
        book_row(book, f.receive("R2", "S2", received="10"))
        assert book._balances_full and book._lots_full
    assert led.verify().ok
    assert bal(led, "stock:KYIV:WH1") == 20
