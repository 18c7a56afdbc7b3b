"""Small builders of valid rows for tests: a minimal world of one donor, one recipient, items."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from ledger.api import Ledger
from schemas.rows import (
    CustomsRow,
    DistributionRow,
    FxRateRow,
    ItemRow,
    PartyRow,
    PledgeRow,
    ReceiptRow,
    ShipmentRow,
    TransferRow,
    WarehouseRow,
    WriteoffRow,
)

D = Decimal
DAY0 = dt.date(2023, 3, 1)


def world(led: Ledger) -> None:
    """Parties PRAGUE (donor), KYIV and LVIV (recipients), a hospital, a carrier, two items."""
    for code, kind, country in [
        ("PRAGUE", "city", "CZ"), ("KYIV", "city", "UA"), ("LVIV", "city", "UA"),
        ("HOSP", "hospital", "UA"), ("CARRIER", "carrier", "PL"),
    ]:  # fmt: skip
        led.post(PartyRow.model_validate({"code": code, "name": code.title(), "kind": kind,
                                          "country": country}))  # fmt: skip
    led.post(ItemRow(code="MED", name="Paracetamol", unit="box", hs_code="300490",
                     category="medicine", tracks_expiry=True))  # fmt: skip
    led.post(ItemRow(code="GEN", name="Generator", unit="pcs", hs_code="850220",
                     category="energy", tracks_expiry=False))  # fmt: skip
    led.post(WarehouseRow(code="WH1", party="KYIV", name="Kyiv central"))
    led.post(WarehouseRow(code="WH2", party="KYIV", name="Kyiv medical"))
    led.post(WarehouseRow(code="WHL", party="LVIV", name="Lviv"))
    for i in range(10):
        led.post(FxRateRow(date=DAY0 + dt.timedelta(days=i), currency="CZK", rate=D("1.6"),
                           base="UAH", source="NBU"))  # fmt: skip


def pledge(
    ref: str = "P1", line: int = 1, qty: str = "100", item: str = "GEN", **kw: Any
) -> PledgeRow:
    return PledgeRow(pledge_ref=ref, line_no=line, date=kw.pop("date", DAY0), donor="PRAGUE",
                     recipient=kw.pop("recipient", "KYIV"), item=item, quantity=D(qty),
                     unit_value=D(kw.pop("unit_value", "1000")), currency="CZK", **kw)  # fmt: skip


def ship(
    ref: str = "S1", line: int = 1, qty: str = "100", item: str = "GEN", **kw: Any
) -> ShipmentRow:
    if item == "MED":
        kw.setdefault("batch", "B1")
        kw.setdefault("expiry", dt.date(2025, 1, 1))
    return ShipmentRow(shipment_ref=ref, line_no=line, dispatch_date=kw.pop("date", DAY0),
                       donor="PRAGUE", recipient=kw.pop("recipient", "KYIV"), item=item,
                       quantity=D(qty), unit_value=D(kw.pop("unit_value", "1000")),
                       currency="CZK", carrier=kw.pop("carrier", "CARRIER"), **kw)  # fmt: skip


def customs(ref: str, event: str, day: int = 1) -> CustomsRow:
    return CustomsRow(shipment_ref=ref, event=event, date=DAY0 + dt.timedelta(days=day))


def receive(rref: str = "R1", sref: str = "S1", line: int = 1, received: str = "100",
            wh: str = "WH1", day: int = 2, **kw: str) -> ReceiptRow:  # fmt: skip
    return ReceiptRow(receipt_ref=rref, shipment_ref=sref, line_no=line, warehouse=wh,
                      date=DAY0 + dt.timedelta(days=day), received=D(received),
                      **{k: D(v) if k != "remarks" else v for k, v in kw.items()})  # fmt: skip


def distribute(ref: str = "D1", line: int = 1, qty: str = "10", item: str = "GEN",
               day: int = 3, wh: str = "WH1", **kw: Any) -> DistributionRow:  # fmt: skip
    return DistributionRow(distribution_ref=ref, line_no=line, date=DAY0 + dt.timedelta(days=day),
                           recipient="KYIV", warehouse=wh, beneficiary="HOSP", item=item,
                           quantity=D(qty), **kw)  # fmt: skip


def write_off(ref: str = "W1", qty: str = "1", item: str = "GEN", day: int = 4,
              reason: str = "damaged", **kw: Any) -> WriteoffRow:  # fmt: skip
    return WriteoffRow(writeoff_ref=ref, line_no=1, date=DAY0 + dt.timedelta(days=day),
                       recipient="KYIV", warehouse=kw.pop("wh", "WH1"), item=item,
                       quantity=D(qty), reason=reason, **kw)  # fmt: skip


def transfer(ref: str = "T1", qty: str = "1", item: str = "GEN", day: int = 4,
             src: str = "WH1", dst: str = "WHL", **kw: Any) -> TransferRow:  # fmt: skip
    return TransferRow(transfer_ref=ref, line_no=1, date=DAY0 + dt.timedelta(days=day),
                       from_warehouse=src, to_warehouse=dst, item=item, quantity=D(qty), **kw)  # fmt: skip


def unseal(led: Ledger) -> None:
    """Rewrite the journal as a version before sealed records (schema 0006) wrote it: no
    `records_hash`, each hash over entry and postings only. The guards are dropped for the
    rewrite and made again."""
    from sqlalchemy import select, text, update

    from ledger.db import guards
    from ledger.db import tables as t
    from ledger.entries import GENESIS_HASH, Entry, entry_hash
    from ledger.journal import _postings_by_entry

    dialect = led.engine.dialect.name
    e = t.Entry
    with led.engine.connect() as conn:
        postings = dict(_postings_by_entry(conn))
        rows = conn.execute(select(e.id, e.date, e.kind, e.ref, e.memo, e.reverses_id)
                            .order_by(e.id)).all()  # fmt: skip
    prev = GENESIS_HASH
    with led.engine.begin() as conn:
        for statement in guards.drop_statements(dialect):
            conn.execute(text(statement))
        for r in rows:
            old = entry_hash(prev, r.id, Entry(r.date, r.kind, r.ref, postings.get(r.id, ()),
                                               r.memo, r.reverses_id))  # fmt: skip
            conn.execute(update(e).where(e.id == r.id)
                         .values(prev_hash=prev, hash=old, records_hash=None))  # fmt: skip
            prev = old
        for statement in guards.create_statements(dialect):
            conn.execute(text(statement))
