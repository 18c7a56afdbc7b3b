"""The aid pipeline's operations, one function per event; each posts exactly one entry.

They are thin on purpose: the meaning of each event lives in `ledger.booking`, shared with the
importer, so a receipt booked from Python and one imported from a spreadsheet are the same.
"""

from __future__ import annotations

import datetime as dt

from ledger.api import Ledger
from ledger.booking import Outcome
from schemas.rows import (
    CustomsRow,
    DistributionRow,
    PledgeRow,
    ReceiptRow,
    ShipmentRow,
    TransferRow,
    WriteoffRow,
)


def pledge(ledger: Ledger, row: PledgeRow) -> Outcome:
    """Promise (status `pledge`) or sign (status `commitment`) a pledge line."""
    return ledger.post(row)


def dispatch(ledger: Ledger, row: ShipmentRow) -> Outcome:
    """Load one shipment line: against a pledge line, unpledged, partial, or beyond the pledge."""
    return ledger.post(row)


def customs(ledger: Ledger, row: CustomsRow) -> Outcome:
    """Arrived / held / rejected move the consignment to customs; released sends it on."""
    return ledger.post(row)


def receive(ledger: Ledger, row: ReceiptRow) -> Outcome:
    """Accept a shipment line into a warehouse, with shortage, damage and excess."""
    return ledger.post(row)


def distribute(ledger: Ledger, row: DistributionRow) -> Outcome:
    """Hand over to a beneficiary: the named batch, else earliest expiry first, then oldest."""
    return ledger.post(row)


def write_off(ledger: Ledger, row: WriteoffRow) -> Outcome:
    """Take expired, damaged or stolen goods out of stock into a loss account."""
    return ledger.post(row)


def transfer(ledger: Ledger, row: TransferRow) -> Outcome:
    """Move stock between warehouses, of the same or of another recipient."""
    return ledger.post(row)


def reverse(ledger: Ledger, entry_id: int, reason: str, on: dt.date | None = None) -> int:
    """Post the exact reversal of an entry; an entry can be reversed once."""
    return ledger.reverse(entry_id, reason, on)
