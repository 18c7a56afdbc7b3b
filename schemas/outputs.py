"""Output records: what `balance` and `reconcile` answer, in every format (FORMATS.md Outputs)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields
from decimal import Decimal
from typing import Any, ClassVar


class Output:
    """Plain frozen records, not validated models: every value comes typed from the ledger's
    own store, and an answer on a large ledger builds 10⁴–10⁵ of them (validating them was
    about a third of `reconcile`'s time at a million postings)."""

    @classmethod
    def columns(cls) -> list[str]:
        return [f.name for f in fields(cls)]  # type: ignore[arg-type]

    def as_dict(self) -> dict[str, Any]:
        """The fields in declaration order (a copy: the record stays immutable)."""
        return dict(vars(self))


@dataclass(frozen=True)
class BalanceRow(Output):
    account: str
    commodity: str
    quantity: Decimal
    value: Decimal | None = None
    currency: str | None = None
    lot: str | None = None
    batch: str | None = None
    expiry: str | None = None


@dataclass(frozen=True)
class EntryRow(Output):
    """One journal entry as `entries` lists it: what `reverse` needs is its id."""

    id: int
    date: dt.date
    kind: str
    ref: str
    memo: str
    reverses: int | None = None  # the entry this one reverses
    reversed_by: int | None = None  # the entry that reversed this one


@dataclass(frozen=True)
class ReconRow(Output):
    """One (donor, recipient, item): where every unit the donor promised or sent is now.

    `in_transit` includes `at_customs`; `in_stock` = received − distributed − written_off of the
    donor's lots (wherever they were moved since); `outstanding_pledge` = max(pledged −
    dispatched against pledges, 0).
    """

    donor: str
    recipient: str
    item: str
    unit: str
    pledged: Decimal
    dispatched: Decimal
    at_customs: Decimal
    in_transit: Decimal
    received: Decimal
    short: Decimal
    damaged: Decimal
    excess: Decimal
    distributed: Decimal
    written_off: Decimal
    in_stock: Decimal
    outstanding_pledge: Decimal
    currency: str | None = None
    dispatched_value: Decimal | None = None
    received_value: Decimal | None = None
    received_value_uah: Decimal | None = None
    uah_pending: int = 0

    QUANTITIES: ClassVar[tuple[str, ...]] = (
        "pledged", "dispatched", "at_customs", "in_transit", "received", "short", "damaged",
        "excess", "distributed", "written_off", "in_stock", "outstanding_pledge",
    )  # fmt: skip
    # `reconcile --format csv|json` (FORMATS.md), the demo's files and the HXL export
    CSV_COLUMNS: ClassVar[tuple[str, ...]] = (
        "donor", "recipient", "item", *QUANTITIES, "unit", "currency", "dispatched_value",
        "received_value", "received_value_uah", "uah_pending",
    )  # fmt: skip
