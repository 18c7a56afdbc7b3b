"""Goods of one item from one donor, declared in two currencies: values are never added across
currencies, in the reconciliation report nor in the donor pack."""

from __future__ import annotations

from decimal import Decimal

import pytest

from ledger import operations as ops
from ledger.api import Ledger
from reports.produce import build
from schemas.rows import ShipmentRow
from tests import factories as f

D = Decimal


@pytest.fixture
def two_currencies(sqlite_led: Ledger) -> Ledger:
    return _two_currencies(sqlite_led)


def _two_currencies(led: Ledger) -> Ledger:
    """S1: 100 generators at 1000 CZK, and line 2, 10 generators at 500 EUR; both received."""
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="100"))
    ops.dispatch(led, ShipmentRow(shipment_ref="S1", line_no=2, dispatch_date=f.DAY0,
                                  donor="PRAGUE", recipient="KYIV", item="GEN", quantity=D(10),
                                  unit_value=D(500), currency="EUR", carrier="CARRIER"))  # fmt: skip
    ops.receive(led, f.receive("R1", "S1", 1, received="100"))
    ops.receive(led, f.receive("R1", "S1", 2, received="8", short="2"))
    return led


def section(doc, key):
    return next(s for s in doc.sections if s.key == key)


def test_the_reconciliation_shows_values_per_currency(two_currencies: Ledger) -> None:
    doc = build(two_currencies, "reconciliation")
    values = section(doc, "values")
    got = {r["currency"]: (r["dispatched_value"], r["received_value"], r["lost_value"])
           for r in values.rows}  # fmt: skip
    assert got == {"CZK": (D(100_000), D(100_000), D(0)), "EUR": (D(5000), D(4000), D(1000))}
    totals = {t["currency"]: t["dispatched_value"] for t in values.totals}
    assert totals == {"CZK": D(100_000), "EUR": D(5000)}  # no "?" total of mixed money
    (summary,) = section(doc, "reconciliation").rows  # quantities: one row for the item
    assert summary["dispatched"] == 110 and summary["received"] == 108


def test_one_currency_keeps_one_value_row(sqlite_led: Ledger) -> None:
    """Keeps it quiet: goods in one currency give one row, with its values."""
    f.world(sqlite_led)
    ops.dispatch(sqlite_led, f.ship("S1", qty="100"))
    doc = build(sqlite_led, "reconciliation")
    (row,) = section(doc, "values").rows
    assert (row["currency"], row["dispatched_value"]) == ("CZK", D(100_000))


def test_the_donor_pack_does_not_add_currencies(two_currencies: Ledger) -> None:
    doc = build(two_currencies, "donor-pack", donor="PRAGUE")
    rows = {r["currency"]: r for r in section(doc, "shipments").rows}
    assert set(rows) == {"CZK", "EUR"}
    assert (rows["CZK"]["value"], rows["CZK"]["dispatched"]) == (D(100_000), D(100))
    assert (rows["EUR"]["value"], rows["EUR"]["dispatched"], rows["EUR"]["short"]) == (
        D(5000), D(10), D(2))  # fmt: skip


def test_the_rendered_workbook_keeps_the_currencies_apart(two_currencies: Ledger, tmp_path):
    """Read back from the XLSX a user opens: one value row per currency, numbers, no '?'."""
    from openpyxl import load_workbook

    from reports.produce import write

    (path,) = write(build(two_currencies, "reconciliation"), [tmp_path / "r.xlsx"])
    rows = list(load_workbook(path)["values"].iter_rows(values_only=True))
    body = {r[3]: r[4] for r in rows if r[0] == "PRAGUE" and r[2]}  # currency -> dispatched
    assert {k: Decimal(str(v)) for k, v in body.items()} == {"CZK": D(100_000), "EUR": D(5000)}
    uah = {r[3]: r[8] for r in rows if r[0] == "PRAGUE" and r[1]}  # each currency's own UAH
    assert uah == {"CZK": 160_000, "EUR": None}  # the EUR receipt's rate is not on file
    assert not any("?" in [str(c) for c in r] for r in rows)


def test_each_currency_row_shows_its_own_uah_value(two_currencies: Ledger) -> None:
    """Not the item's total on the first row: CZK 100,000 × 1.6; the EUR receipt has no rate."""
    values = section(build(two_currencies, "reconciliation"), "values")
    rows = {r["currency"]: r for r in values.rows}
    assert rows["CZK"]["received_value_uah"] == D(160_000)
    assert not rows["CZK"]["_flag_received_value_uah"]
    assert rows["EUR"]["received_value_uah"] is None and rows["EUR"]["_flag_received_value_uah"]
    totals = {t["currency"]: t.get("received_value_uah") for t in values.totals}
    assert totals == {"CZK": D(160_000), "EUR": None}


def test_each_currency_row_uah_once_both_are_valued(sqlite_led: Ledger) -> None:
    import datetime as dt

    from schemas.rows import FxRateRow

    sqlite_led.post(FxRateRow(date=f.DAY0 + dt.timedelta(days=2), currency="EUR",
                              rate=D("40.5"), base="UAH", source="NBU"))  # fmt: skip
    led = _two_currencies(sqlite_led)  # the EUR rate of the receipt day on file first
    rows = {r["currency"]: r for r in section(build(led, "reconciliation"), "values").rows}
    assert (rows["CZK"]["received_value_uah"], rows["EUR"]["received_value_uah"]) == (
        D(160_000), D(8) * D(500) * D("40.5"))  # fmt: skip


def test_the_accounting_pack_says_whether_a_pending_rate_is_missing_or_on_file_now(
    two_currencies: Ledger,
) -> None:
    """The EUR receipt came before its rate: NOT READY says the rate is missing; once the rate
    is loaded, that it is on file and the receipt must be posted again (it does not revalue)."""
    import datetime as dt

    from schemas.rows import FxRateRow

    def reasons() -> list[str]:
        return build(
            two_currencies, "accounting-pack", recipient="KYIV", period="2023-03"
        ).not_ready

    (before,) = reasons()
    assert "no NBU rate loaded for EUR 2023-03-03 (R1)" in before
    two_currencies.post(FxRateRow(date=f.DAY0 + dt.timedelta(days=2), currency="EUR",
                                  rate=D("40.5"), base="UAH", source="NBU"))  # fmt: skip
    (after,) = reasons()
    assert "the NBU rate is on file now; reverse the receipt and post it again" in after
    assert "EUR 2023-03-03 (R1)" in after and "курс НБУ вже завантажено" in after


def test_the_donor_pack_of_a_period_counts_the_outstanding_pledge_at_its_end(
    sqlite_led: Ledger,
) -> None:
    """Pledge 1000; 600 sent in Q1 and 400 in Q2: the Q1 pack shows 400 outstanding (it showed
    0, counting the Q2 dispatch); the pack of all time shows 0."""
    import datetime as dt

    led = sqlite_led
    f.world(led)
    ops.pledge(led, f.pledge("P1", qty="1000"))
    ops.dispatch(led, f.ship("S1", qty="600", pledge_ref="P1", pledge_line=1))
    ops.dispatch(led, f.ship("S2", qty="400", pledge_ref="P1", pledge_line=1,
                             date=dt.date(2023, 5, 2)))  # fmt: skip

    def row(period: str | None) -> dict:
        (r,) = [r for r in section(build(led, "donor-pack", donor="PRAGUE", period=period),
                                   "pledges").rows if r["pledge"] == "P1/1"]  # fmt: skip
        return r

    q1 = row("2023-Q1")
    assert (q1["pledged"], q1["dispatched"], q1["outstanding_pledge"]) == (1000, 600, 400)
    assert row(None)["outstanding_pledge"] == 0


def test_a_trial_balance_shows_other_recipients_accounts_as_one_counterpart_row(
    sqlite_led: Ledger,
) -> None:
    """KYIV hands 3 of its 10 generators to LVIV: in LVIV's pack KYIV's stock account only
    shows the 3 leaving, and read as KYIV's stock at −3. One counterpart row instead; the
    trial balance still balances."""
    led = sqlite_led
    f.world(led)
    ops.dispatch(led, f.ship("S1", qty="10"))
    ops.receive(led, f.receive(received="10"))
    ops.transfer(led, f.transfer(qty="3"))  # WH1 (KYIV) -> WHL (LVIV)
    doc = build(led, "accounting-pack", recipient="LVIV", period="2023-03")
    rows = section(doc, "trial_balance").rows
    accounts = [r["account"] for r in rows]
    assert "stock:LVIV:WHL" in accounts and not any(a.startswith("stock:KYIV") for a in accounts)
    (other,) = [r for r in rows if r["account"].startswith("other recipients")]
    assert other["credit"] == D(3000) and other["closing"] == D(-3000)
    for currency in {r["currency"] for r in rows}:
        assert sum((r["closing"] for r in rows if r["currency"] == currency), D(0)) == 0
