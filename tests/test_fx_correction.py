"""A changed rate is a conflict like any changed row (DESIGN §4 invariant 7). A mistyped rate
is corrected on purpose (`correct_rates`, `import --correct-rates`), but never under a receipt
valued at it: a UAH value is fixed when its receipt is posted (DESIGN §4 Valuation), so the
refusal names the receipts to reverse first, and posting them again values them at the
corrected rate."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlalchemy import select

from ledger import operations as ops
from ledger.api import Ledger
from ledger.booking import Outcome
from ledger.db import tables as t
from ledger.errors import LedgerError
from schemas.rows import FxRateRow
from tests import factories as f

D = Decimal
RECEIPT_DAY = f.DAY0 + dt.timedelta(days=2)  # f.receive's day; world() files CZK at 1.6


def rate(value: str, day: dt.date = RECEIPT_DAY, currency: str = "CZK") -> FxRateRow:
    return FxRateRow(date=day, currency=currency, rate=D(value), base="UAH", source="NBU")


def stored_rate(led: Ledger, day: dt.date = RECEIPT_DAY, currency: str = "CZK") -> Decimal:
    r = t.FxRate
    with led.engine.connect() as conn:
        return conn.execute(
            select(r.rate).where(r.date == day, r.currency == currency, r.base == "UAH")
        ).scalar_one()


def uah_values(led: Ledger) -> list[Decimal | None]:
    r = t.ReceiptLine
    with led.engine.connect() as conn:
        return list(conn.execute(select(r.value_uah).order_by(r.id)).scalars())


@pytest.fixture
def received(sqlite_led: Ledger) -> Ledger:
    """100 generators at 1000 CZK dispatched, received on RECEIPT_DAY at 1.6 (entry 2)."""
    f.world(sqlite_led)
    ops.dispatch(sqlite_led, f.ship("S1", qty="100"))
    ops.receive(sqlite_led, f.receive("R1", "S1", 1, received="100"))
    return sqlite_led


def test_a_rate_no_receipt_was_valued_at_is_corrected(received: Ledger) -> None:
    other_day = RECEIPT_DAY + dt.timedelta(days=1)
    assert received.post(rate("16", other_day), correct_rates=True) == Outcome.CORRECTED
    assert stored_rate(received, other_day) == D(16)
    # a rate of another currency on the receipt's day is no obstacle either
    received.post(rate("40", currency="EUR"))
    assert received.post(rate("40.5", currency="EUR"), correct_rates=True) == Outcome.CORRECTED
    assert received.verify().ok


def test_a_rate_a_standing_receipt_was_valued_at_is_a_conflict_naming_it(
    received: Ledger,
) -> None:
    before = (stored_rate(received), uah_values(received), received.verify().entries)
    with pytest.raises(LedgerError) as caught:
        received.post(rate("1.7"), correct_rates=True)
    message = str(caught.value)
    assert "conflict" in message and "ledger has '1.6', the command has '1.7'" in message
    assert "R1/S1/1" in message and "reverse them" in message
    assert (stored_rate(received), uah_values(received), received.verify().entries) == before


def test_reversed_receipts_free_the_rate_and_post_again_at_the_corrected_rate(
    received: Ledger,
) -> None:
    assert uah_values(received) == [D(160_000)]
    received.reverse(2, reason="valued at a mistyped rate")
    assert received.post(rate("1.7"), correct_rates=True) == Outcome.CORRECTED
    assert received.post(f.receive("R1", "S1", 1, received="100"), rebook_reversed=True) == (
        Outcome.BOOKED_AGAIN
    )
    assert uah_values(received) == [D(170_000)]
    assert received.verify().ok


def test_the_same_rate_again_is_unchanged(received: Ledger) -> None:
    assert received.post(rate("1.6")) == Outcome.UNCHANGED


def test_a_rate_of_a_closed_month_is_not_corrected(received: Ledger) -> None:
    other_day = RECEIPT_DAY + dt.timedelta(days=1)
    received.close_period(other_day.strftime("%Y-%m"))
    with pytest.raises(LedgerError, match="is closed"):
        received.post(rate("16", other_day), correct_rates=True)
    assert stored_rate(received, other_day) == D("1.6")


def test_a_changed_rate_is_a_conflict_unless_its_correction_is_asked_for(
    received: Ledger, tmp_path
) -> None:
    """Invariant 7: a changed row under an existing key is a conflict with both versions,
    never an overwrite; the import said "fx_rates 1 corrected" and replaced it unasked."""
    from click.testing import CliRunner

    from cli import main

    other_day = RECEIPT_DAY + dt.timedelta(days=1)
    with pytest.raises(LedgerError) as caught:
        received.post(rate("16", other_day))
    assert "ledger has '1.6', the command has '16'" in str(caught.value)
    assert "post it again with correct_rates=True" in str(caught.value)  # the API's own way
    assert stored_rate(received, other_day) == D("1.6")
    rates = tmp_path / "fx_rates.csv"
    rates.write_text(f"date,currency,rate,base,source\n{other_day},CZK,16,UAH,NBU\n",
                     encoding="utf-8")  # fmt: skip
    refused = CliRunner().invoke(main, ["--db", received.url, "import", str(rates)])
    assert refused.exit_code == 1 and "import it again with --correct-rates" in refused.output
    assert stored_rate(received, other_day) == D("1.6")
    done = CliRunner().invoke(main, ["--db", received.url, "import", "--correct-rates", str(rates)])
    assert done.exit_code == 0 and "1 corrected" in done.output, done.output
    assert stored_rate(received, other_day) == D(16)


def test_a_rate_posted_as_one_event_is_told_how_to_correct_it_in_its_own_terms(received):
    """A changed rate posted through the API (no file) was told to "import it again with
    --correct-rates" (review); it is told the API's own way, as a document is."""
    with pytest.raises(LedgerError) as exc:
        received.post(rate("16", RECEIPT_DAY + dt.timedelta(days=30)))  # filed afresh: new
        received.post(rate("17", RECEIPT_DAY + dt.timedelta(days=30)))
    assert "post it again with correct_rates=True" in str(exc.value)
    assert "--correct-rates" not in str(exc.value) and "file has" not in str(exc.value)
