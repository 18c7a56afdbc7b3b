"""Output records: what `balance` and `reconcile` answer, in every format (FORMATS.md Outputs)."""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar

from pydantic import BaseModel, ConfigDict


class Output(BaseModel):
    model_config = ConfigDict(frozen=True)

    @classmethod
    def columns(cls) -> list[str]:
        return list(cls.model_fields)


class BalanceRow(Output):
    account: str
    commodity: str
    quantity: Decimal
    value: Decimal | None = None
    currency: str | None = None
    lot: str | None = None
    batch: str | None = None
    expiry: str | None = None


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
